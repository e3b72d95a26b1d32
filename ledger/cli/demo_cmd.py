"""``rledger demo``: the README's main job, end to end on the embedded SQLite default.

It records the seed's example releases, verifies the ledger, proves one decision's
inclusion, verifies an export offline, and then shows tampering being caught.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import click

from ledger.cli.decision_cmds import summary_line
from ledger.clock import SystemClock
from ledger.decisions.record import parse_decision_text
from ledger.demo import tamper
from ledger.errors import InputError, LedgerError, VerificationError
from ledger.keys import write_private_key
from ledger.service import LedgerService, verify_export_file
from ledger.settings import sqlite_url
from ledger.store import LedgerStore
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.merkle import verify_inclusion
from ledger.tlog.note import Ed25519Signer

ORIGIN = "demo.release-ledger.example/log"


def _step(text: str) -> None:
    click.secho(f"\n== {text}", bold=True)


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to build the demo ledger (must be new or empty; default: a new temp dir).",
)
def demo(directory: Path | None) -> None:
    """Record the seed's example releases, verify, prove, export, and catch tampering."""
    home = directory or Path(tempfile.mkdtemp(prefix="rledger-demo-"))
    if home.exists() and any(home.iterdir()):
        raise InputError(f"{home} is not empty; pick a new directory for the demo")
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = home / "ledger.db"

    _step(f"init: a new ledger {ORIGIN} in {home}")
    import os

    signer = Ed25519Signer.generate(ORIGIN, os.urandom(32))
    write_private_key(home / "signing.key", signer)
    store = LedgerStore.open(sqlite_url(db))
    service = LedgerService(store, SystemClock(), signer)
    service.initialize(ORIGIN)
    click.echo(f"verifier key: {signer.verifier_key}")

    _step("submit: seed 001's candidates against baseline v1.0, plus two that show the rules")
    files = sorted(
        (p for p in resources.files("ledger.demo").iterdir() if p.name.endswith(".yaml")),
        key=lambda p: p.name,
    )
    recorded = []
    for item in files:
        decision = service.submit_decision(parse_decision_text(item.read_text()))
        recorded.append(decision)
        click.echo(f"entry {decision.ref.seq}: {summary_line(decision)}")

    _step("verify: every entry, chain link and signed checkpoint in the database")
    result = service.verify()
    click.echo(
        f"OK: {result.size} entries, root {result.root.hex()}, {result.checkpoints_checked} checkpoints"
    )

    _step("prove: v1.1's inclusion, checked against the signed checkpoint alone")
    note = service.latest_checkpoint()
    checkpoint = Checkpoint.open(note, service.verifier())
    proof = service.inclusion_proof(recorded[0].ref.seq, checkpoint.size)
    verify_inclusion(
        proof["leaf_index"],
        proof["tree_size"],
        base64.b64decode(proof["leaf_hash"]),
        [base64.b64decode(h) for h in proof["hashes"]],
        checkpoint.root,
    )
    click.echo(
        f"entry {proof['leaf_index']} is in the tree of {checkpoint.size} ({len(proof['hashes'])} hashes)"
    )
    click.echo(note.rstrip("\n"))

    _step("export and verify offline: export file + checkpoint + verifier key, no database")
    export_path, checkpoint_path = home / "export.jsonl", home / "checkpoint.txt"
    with export_path.open("wb") as handle:
        service.export(handle)
    checkpoint_path.write_text(note)
    offline = verify_export_file(export_path, note, signer.verifier_key)
    click.echo(f"OK offline: {offline.size} entries match checkpoint size {checkpoint.size}")
    store.close()

    _step("tamper: the database refuses edits, and edits behind its back are caught")
    _refuse_update(db)
    caught = _show_caught(db, home)
    click.echo(f"\ndemo ledger kept at {home}; try: rledger --home {home} decision list")
    if not caught:
        raise LedgerError("the demo expected every tampering to be caught, and one was not")


def _refuse_update(db: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        conn.execute("UPDATE ledger_entries SET body = x'00' WHERE seq = 1")
        click.echo("UPDATE was allowed (unexpected)")
    except sqlite3.DatabaseError as exc:
        click.echo(f"UPDATE refused by the database: {exc}")
    finally:
        conn.close()


def _show_caught(db: Path, home: Path) -> bool:
    attacks = {
        "a payload byte changed (triggers dropped)": lambda p: tamper.flip_payload_byte(p, 2),
        "an entry deleted": lambda p: tamper.delete_entry(p, 3),
        "two entries swapped": lambda p: tamper.swap_entries(p, 2, 3),
        "the newest entries truncated": lambda p: tamper.truncate_after(p, 5),
        "a checkpoint signature altered": tamper.alter_latest_checkpoint_signature,
    }
    all_caught = True
    for number, (label, attack) in enumerate(attacks.items()):
        copy = home / f"tampered-{number}.db"
        shutil.copyfile(db, copy)
        attack(copy)
        store = LedgerStore.open(sqlite_url(copy))
        try:
            LedgerService(store, SystemClock()).verify()
            click.echo(f"{label}: NOT caught")
            all_caught = False
        except VerificationError as exc:
            click.echo(f"{label}: caught -> {exc}")
        finally:
            store.close()
            copy.unlink()
    return all_caught
