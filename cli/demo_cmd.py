"""``rledger demo``: the README's main job, end to end on the embedded SQLite default.

It sets up a ledger with a small team, records the seed's example releases, walks them
through approvals, a canary, promotions, a rollback and a break-glass promotion, shows the
policy refusing what it must, verifies everything online and offline, and then shows
tampering and an operator's forgery being caught.

With ``--witnesses FILE`` (a witnesses.yaml, docs/operations.md "Witnesses") every append of
the story is also sent to those witnesses, and the verify section shows their cosignatures.
Without it the demo never touches the network.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import click

from cli.decision_cmds import summary_line
from cli.demo import tamper
from cli.demo.witnessed import DemoClock, witness_findings
from ledger.errors import InputError, LedgerError, RefusedError, VerificationError
from ledger.scoring.input import parse_decision_text
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.merkle import verify_inclusion
from ledger.tlog.note import Ed25519Signer
from services.keys import PERSONAL_KEY_NAME, write_key_pair, write_private_key
from services.ledger_service import LedgerService
from services.settings import sqlite_url
from services.verification import verify_export_file, verify_export_meaning
from services.witness_config import WITNESSES_FILE, WitnessConfig, load_witness_config
from store.ledger_store import LedgerStore
from store.witness_client import HttpWitnessTransport

ORIGIN = "demo.release-ledger.example/log"
# The demo runs on its own clock, never the calendar: it starts here and steps one second per
# entry, so its ledger and output are the same bytes on any day. Its decision files are dated
# relative to this instant (evaluated the day before, rehearsals within the policy's limits).
DEMO_START = datetime(2026, 11, 21, 9, 0, 0, tzinfo=UTC)
ADMIN = "admin@example.com"
TEAM = {
    "alice@example.com": ["submitter"],
    "bob@example.com": ["ml-lead"],
    "carol@example.com": ["compliance"],
    "dave@example.com": ["incident-commander"],
    "erin@example.com": ["auditor"],
    "rita@example.com": ["release-manager"],
}
ALICE, BOB, CAROL, DAVE, RITA = (
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "dave@example.com",
    "rita@example.com",
)


def _demo_seed(label: str) -> bytes:
    """Demo keys are derived from public labels, so the demo is repeatable. They protect nothing:
    never use them outside the demo."""
    return hashlib.sha256(f"rledger demo key: {label}".encode()).digest()


def _demo_random() -> Callable[[int], bytes]:
    counter = iter(range(1 << 62))

    def random(n: int) -> bytes:
        block = hashlib.sha256(f"rledger demo randomness {next(counter)}".encode()).digest()
        return (block * (n // 32 + 1))[:n]

    return random


def demo_ledger_key() -> Ed25519Signer:
    """The demo log's checkpoint key (public label, so a witness can be set up for it)."""
    return Ed25519Signer.generate(ORIGIN, _demo_seed(ORIGIN))


def _step(text: str) -> None:
    click.secho(f"\n== {text}", bold=True)


class _Demo:
    def __init__(self, home: Path, witnesses: WitnessConfig | None = None) -> None:
        self.home = home
        self.db = home / "ledger.db"
        self.clock = DemoClock(DEMO_START, step_seconds=1)
        self.witnesses = witnesses
        self.ledger_key = demo_ledger_key()
        write_private_key(home / "signing.key", self.ledger_key)
        self.keys: dict[str, Ed25519Signer] = {}
        for name in (ADMIN, *TEAM):
            self.keys[name] = Ed25519Signer.generate(PERSONAL_KEY_NAME, _demo_seed(name))
            write_key_pair(home / name, self.keys[name])
        self.store = LedgerStore.open(sqlite_url(self.db))
        transport = HttpWitnessTransport() if witnesses is not None else None
        self.service = LedgerService(
            self.store, self.clock, self.ledger_key, _demo_random(), witnesses, transport
        )
        self.service.witnessing.now = self.clock.peek
        self.surprises: list[str] = []

    def refused(self, label: str, action: Callable[[], object]) -> None:
        """Run an action the policy must refuse, and show the refusal."""
        try:
            action()
        except RefusedError as exc:
            click.echo(f"  refused as it should be, {label}: {exc}")
            return
        self.surprises.append(f"{label} was not refused")
        click.echo(f"  NOT refused: {label}")

    def ok(self, text: str) -> None:
        click.echo(f"  {text}")


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to build the demo ledger (must be new or empty; default: a new temp dir).",
)
@click.option(
    "--witnesses",
    "witnesses_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A witnesses.yaml, copied into the demo's home: every append is sent to those witnesses, "
    "which must witness the demo's log key (printed at init). Default: none, and no network.",
)
def demo(directory: Path | None, witnesses_file: Path | None) -> None:
    """Record the seed's example releases, govern them, verify, prove, and catch tampering."""
    config = load_witness_config(witnesses_file) if witnesses_file is not None else None
    home = directory or Path(tempfile.mkdtemp(prefix="rledger-demo-"))
    if home.exists() and any(home.iterdir()):
        raise InputError(f"{home} is not empty; pick a new directory for the demo")
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if witnesses_file is not None:  # before the first append, and for `rledger --home` later
        shutil.copyfile(witnesses_file, home / WITNESSES_FILE)
    d = _Demo(home, config)
    click.echo(f"demo clock: starts at {DEMO_START.isoformat()} and never reads the calendar")
    if config is not None:
        names = ", ".join(w.name for w in config.witnesses)
        click.echo(f"witnesses: {names} (quorum {config.quorum}); every append is sent to them")
    _setup(d)
    refs = _submit(d)
    _lifecycle(d, refs)
    _verify(d)
    d.store.close()
    _tamper(d)
    click.echo(f"\ndemo ledger kept at {home}; try: rledger --home {home} decision list")
    if d.surprises:
        raise LedgerError("the demo saw something unexpected: " + "; ".join(d.surprises))


def _setup(d: _Demo) -> None:
    _step(f"init: ledger {ORIGIN}, first admin {ADMIN}, default policy (seeds 000 and 001)")
    d.service.setup.initialize(ORIGIN, ADMIN, d.keys[ADMIN])
    d.ok(f"verifier key: {d.ledger_key.verifier_key}")
    for name, roles in TEAM.items():
        public = base64.b64encode(d.keys[name].public_key).decode()
        d.service.identities.add(name, roles, public, ADMIN, d.keys[ADMIN])
        d.ok(f"identity {name}: {', '.join(roles)}")


def _submit(d: _Demo) -> dict[str, str]:
    _step("submit: seed 001's candidates against baseline v1.0, plus two that show the rules")
    files = sorted(
        (p for p in resources.files("cli.demo").iterdir() if p.name.endswith(".yaml")),
        key=lambda p: p.name,
    )
    refs = {}
    for item in files:
        recorded = d.service.decisions.submit(parse_decision_text(item.read_text()), ALICE, d.keys[ALICE])
        refs[recorded.ref.version] = f"{recorded.ref.model}@{recorded.ref.version}"
        d.ok(f"entry {recorded.ref.seq}: {summary_line(recorded)}")
    return refs


def _canary_metrics(error_rate: str, live_index: float) -> dict[str, object]:
    """The canary's observed metrics, as alice reports them (p99 latency in milliseconds)."""
    return {"error_rate": error_rate, "p99_latency_ms": 1800, "live_index": live_index}


def _lifecycle(d: _Demo, refs: dict[str, str]) -> None:
    _low_tier_promotion(d, refs["1.3"])
    _medium_tier_approval(d, refs["1.1"])
    _medium_tier_canary(d, refs["1.1"])
    _promotion_and_rollback(d, refs["1.4"])
    _high_tier_break_glass(d, refs["2.0"])
    _ci_gate(d, refs)


def _low_tier_promotion(d: _Demo, ref: str) -> None:
    s, k = d.service, d.keys
    _step("low tier v1.3: auto-approved, promoted straight away by the release manager")
    d.refused("a submitter promoting", lambda: s.lifecycle.promote(ref, ALICE, k[ALICE]))
    s.lifecycle.promote(ref, RITA, k[RITA])
    d.ok("support-summarizer 1.3 promoted")


def _medium_tier_approval(d: _Demo, ref: str) -> None:
    s, k = d.service, d.keys
    _step("medium tier v1.1: ml-lead approval, then a canary that must meet the acceptance criteria")
    d.refused("self-approval", lambda: s.lifecycle.approve(ref, ALICE, k[ALICE], role="submitter"))
    d.refused(
        "a role the tier does not require",
        lambda: s.lifecycle.approve(ref, CAROL, k[CAROL], role="compliance"),
    )
    d.refused("promotion before approval and canary", lambda: s.lifecycle.promote(ref, RITA, k[RITA]))
    s.lifecycle.approve(ref, BOB, k[BOB], comment="offline eval reviewed")
    d.ok("approved by bob@example.com as ml-lead")


def _medium_tier_canary(d: _Demo, ref: str) -> None:
    s, k = d.service, d.keys
    s.lifecycle.start_canary(ref, ALICE, k[ALICE])
    d.refused("promotion before the canary passed", lambda: s.lifecycle.promote(ref, RITA, k[RITA]))
    d.refused(
        "a canary result before the 24-hour window has passed",
        lambda: s.lifecycle.record_canary(ref, True, _canary_metrics("0.011", 103.5), ALICE, k[ALICE]),
    )
    d.clock.advance(timedelta(hours=24))  # the policy's canary window for the medium tier
    d.ok("24 hours of canary traffic later (the demo's clock moves; nothing sleeps)")
    d.refused(
        "a canary 'pass' that misses the criteria",
        lambda: s.lifecycle.record_canary(ref, True, _canary_metrics("0.05", 103), ALICE, k[ALICE]),
    )
    s.lifecycle.record_canary(ref, True, _canary_metrics("0.011", 103.5), ALICE, k[ALICE])
    s.lifecycle.promote(ref, RITA, k[RITA])
    d.ok("canary passed; 1.1 promoted, superseding 1.3")


def _promotion_and_rollback(d: _Demo, ref: str) -> None:
    s, k = d.service, d.keys
    _step("low tier v1.4 (green) promoted, then rolled back to 1.1")
    s.lifecycle.promote(ref, RITA, k[RITA])
    d.refused(
        "a rollback to a version never promoted",
        lambda: s.lifecycle.rollback(ref, "0.9", "test", RITA, k[RITA]),
    )
    s.lifecycle.rollback(ref, "1.1", "cost spike in production", RITA, k[RITA])
    d.ok("1.4 rolled back; production is 1.1 again")


def _high_tier_break_glass(d: _Demo, ref: str) -> None:
    s, k = d.service, d.keys
    _step("high tier claims-assistant 2.0 (restricted data): two roles must sign; break-glass stays open")
    s.lifecycle.approve(ref, BOB, k[BOB])
    for m in s.decisions.status(ref)["missing_approvals"]:
        d.ok(f"missing: {m['count']} from {m['role']} (can approve: {', '.join(m['who'])})")
    d.refused("promotion with an approval missing", lambda: s.lifecycle.promote(ref, RITA, k[RITA]))
    s.lifecycle.promote(
        ref, DAVE, k[DAVE], break_glass=True, reason="regulator deadline; compliance reachable tomorrow"
    )
    d.ok("promoted by BREAK-GLASS: " + "; ".join(s.decisions.status(ref)["open_items"]))
    _retrospective_approval(d, ref)


def _retrospective_approval(d: _Demo, ref: str) -> None:
    s = d.service
    s.lifecycle.approve(ref, CAROL, d.keys[CAROL], comment="retrospective review done")
    still_open = s.decisions.status(ref)["open_items"]
    d.ok(f"retrospective approval by carol; open items now: {still_open or 'none'}")


def _ci_gate(d: _Demo, refs: dict[str, str]) -> None:
    s = d.service
    _step("the CI gate on the others")
    for version in ("1.2", "1.5"):
        report = s.decisions.status(refs[version])
        verdict = "may ship" if report["may_promote_now"] else "blocked: " + "; ".join(report["blockers"])
        d.ok(f"{refs[version]}: {verdict}")
    replay = s.decisions.replay(refs["1.1"])
    d.ok(f"replay of {refs['1.1']} from the ledger alone: identical={replay['identical']}")


def _verify(d: _Demo) -> None:
    s = d.service
    _step("verify: every entry, chain link and checkpoint; then every signature, role and promotion")
    result = s.verification.verify()
    state = s.verification.verify_meaning()
    d.ok(f"OK: {result.size} entries, root {result.root.hex()}, {result.checkpoints_checked} checkpoints")
    d.ok(
        f"OK: {len(state.decisions)} decisions and {sum(len(x.approvals) for x in state.decisions.values())} "
        "approvals re-checked against the keys registered at the time"
    )

    _step("prove and verify offline: an inclusion proof, and an export checked with only the public key")
    note = s.log.latest_checkpoint()
    checkpoint = Checkpoint.open(note, s.log.verifier())
    proof = s.log.inclusion_proof(8, checkpoint.size)
    verify_inclusion(
        proof["leaf_index"],
        proof["tree_size"],
        base64.b64decode(proof["leaf_hash"]),
        [base64.b64decode(h) for h in proof["hashes"]],
        checkpoint.root,
    )
    d.ok(f"entry 8 is in the tree of {checkpoint.size} ({len(proof['hashes'])} hashes)")
    export_path = d.home / "export.jsonl"
    (d.home / "checkpoint.txt").write_text(note)
    (d.home / "verifier.key").write_text(d.ledger_key.verifier_key + "\n")
    with export_path.open("wb") as handle:
        s.log.export(handle)
    offline = verify_export_file(export_path, note, d.ledger_key.verifier_key)
    verify_export_meaning(export_path)
    d.ok(f"OK offline: {offline.size} entries match the signed checkpoint and every entry was allowed")
    if d.witnesses is not None:
        _verify_witnessed(d, note)
    click.echo("  " + note.rstrip("\n").replace("\n", "\n  "))


def _verify_witnessed(d: _Demo, note: str) -> None:
    assert d.witnesses is not None
    lines, surprises = witness_findings(d.service, d.witnesses, note)
    for line in lines:
        d.ok(line)
    d.surprises.extend(surprises)


def _tamper(d: _Demo) -> None:
    _step("tamper: the database refuses edits, and edits behind its back are caught")
    conn = sqlite3.connect(d.db)
    try:
        conn.execute("UPDATE ledger_entries SET body = x'00' WHERE seq = 1")
        d.surprises.append("UPDATE was allowed")
    except sqlite3.DatabaseError as exc:
        d.ok(f"UPDATE refused by the database: {exc}")
    finally:
        conn.close()
    attacks: dict[str, Callable[[Path], None]] = {
        "a payload byte changed (triggers dropped)": lambda p: tamper.flip_payload_byte(p, 9),
        "an entry deleted": lambda p: tamper.delete_entry(p, 10),
        "two entries swapped": lambda p: tamper.swap_entries(p, 9, 10),
        "the newest entries truncated, their checkpoints left": lambda p: tamper.truncate_after(p, 12),
        "a checkpoint signature altered": tamper.alter_latest_checkpoint_signature,
    }
    for number, (label, attack) in enumerate(attacks.items()):
        copy = d.home / f"tampered-{number}.db"
        shutil.copyfile(d.db, copy)
        attack(copy)
        _expect_caught(d, label, copy, meaning=False)

    # Said, not shown here: truncating the checkpoints too is caught only by a checkpoint kept
    # elsewhere, an auditor's or the witnesses' (rledger demo --witnesses FILE shows it).
    d.ok(
        "the newest entries truncated with their checkpoints: caught only by a checkpoint kept "
        "elsewhere (an auditor's --checkpoint, or the witnesses': rledger demo --witnesses FILE)"
    )
    forged = d.home / "forged.db"
    seq = tamper.forge_approval_and_reseal(d.db, forged, d.ledger_key)
    _expect_caught(d, f"the operator forging approval entry {seq} and re-signing", forged, meaning=True)
    seq = tamper.forge_attested_rotation_and_reseal(d.db, forged, d.ledger_key, "bob@example.com")
    label = f"the operator rotating bob's key by a token attestation (entry {seq}), approving, rotating back"
    _expect_caught(d, label, forged, meaning=True)


def _expect_caught(d: _Demo, label: str, db: Path, *, meaning: bool) -> None:
    store = LedgerStore.open(sqlite_url(db))
    try:
        service = LedgerService(store, d.clock)
        service.verification.verify()
        if meaning:
            service.verification.verify_meaning()
        d.surprises.append(f"{label} was not caught")
        d.ok(f"{label}: NOT caught")
    except VerificationError as exc:
        d.ok(f"{label}: caught -> {exc}")
    finally:
        store.close()
        db.unlink()
