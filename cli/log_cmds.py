"""Commands on the log itself: init, verify, checkpoint, key, export, proof."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from cli.context import AppContext, ensure_private_dir, pass_app, read_checkpoint_file
from cli.progress import progress_bar
from cli.witness_options import witness_key, witness_options
from governance.state import GovernanceState
from ledger.clock import clock_from_environment
from ledger.errors import AlreadyInitializedError, InputError
from ledger.tlog.note import Ed25519Signer
from ledger.tlog.verify import VerifiedLog, b64_root, checkpoint_size_and_root, claimed_size
from ledger.tlog.witnessed import check_quorum
from policies.loader import load_default_policy, load_policy_file
from services.keys import PERSONAL_KEY_NAME, read_text_argument, write_key_pair, write_private_key
from services.ledger_service import LedgerService
from services.online_verification import QuorumUsageError, verify_online
from services.verification import verify_export_file, verify_export_meaning
from store.ledger_store import LedgerStore
from store.witness_client import HttpWitnessTransport


@click.command()
@click.option("--origin", required=True, help="The log's name, e.g. example.com/release-ledger.")
@click.option(
    "--admin", "admin_name", required=True, help="The first admin identity, e.g. alice@example.com."
)
@click.option(
    "--admin-key",
    "admin_prefix",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the admin's key pair (PREFIX.key, PREFIX.pub; default HOME/ADMIN).",
)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The policy in force from the start (default: policies/default.yaml).",
)
@pass_app
def init(
    app: AppContext, origin: str, admin_name: str, admin_prefix: Path | None, policy_file: Path | None
) -> None:
    """Create the ledger, its signing key and the first admin, and print the verifier key."""
    key_path = app.settings.signing_key_path
    if key_path.exists():
        raise AlreadyInitializedError(f"{key_path} already exists; this home already has a ledger")
    policy = load_policy_file(policy_file) if policy_file else load_default_policy()
    signer = Ed25519Signer.generate(origin, os.urandom(32))
    admin_key = Ed25519Signer.generate(PERSONAL_KEY_NAME, os.urandom(32))
    prefix = admin_prefix or app.settings.home / admin_name
    ensure_private_dir(app.settings.home)
    store = LedgerStore.open(app.settings.database_url)
    if store.is_initialized():
        store.close()
        raise AlreadyInitializedError("the database already holds a ledger")
    written: list[Path] = []
    try:
        write_private_key(key_path, signer)
        written.append(key_path)
        written.extend(write_key_pair(prefix, admin_key))
        LedgerService(store, clock_from_environment(os.environ), signer).setup.initialize(
            origin, admin_name, admin_key, policy
        )
    except BaseException:
        for path in written:  # leave nothing half-made behind
            path.unlink(missing_ok=True)
        raise
    finally:
        store.close()
    click.echo(f"initialised ledger {origin} at {app.settings.home} under policy {policy.label}")
    click.echo(f"ledger signing key: {key_path} (mode 0600; keep it secret)")
    click.echo(f"admin {admin_name}: private key {written[1]} (mode 0600), public key {written[2]}")
    click.echo("verifier key (give this to auditors):")
    click.echo(signer.verifier_key)


def _report(result: VerifiedLog, notes: list[str]) -> None:
    click.echo(f"OK: {result.size} entries verified; root {b64_root(result.root)}")
    checked = result.checkpoints_checked
    click.echo(f"    {checked} signed checkpoint{'' if checked == 1 else 's'} checked", nl=False)
    if result.latest_checkpoint is not None:
        click.echo(f"; the latest covers {result.latest_checkpoint.size} entries", nl=False)
    click.echo("")
    if result.uncovered:
        click.echo(
            f"    note: {result.uncovered} entries after the latest checkpoint are not yet covered by one"
        )
    for note in notes:  # the ones given: each matched the root of the entries at its size
        size, root = checkpoint_size_and_root(note)
        click.echo(f"    consistent with the given checkpoint of size {size}, root {root}")


@click.command()
@click.option(
    "--export",
    "export_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Verify an export file offline instead of the database.",
)
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A signed checkpoint note to verify against: with --export, the export's own first "
    "(required), then any the auditor kept. Repeatable; each must match the entries' root at its size.",
)
@click.option("--key", "verifier_key", help="Verifier key, or a file holding it (required with --export).")
@click.option("--workers", type=click.IntRange(1, 64), help="Processes to use (default: automatic).")
@click.option(
    "--integrity-only",
    is_flag=True,
    help="Hashes, hash chain, Merkle tree, signed and witnessed checkpoints only: no entry is "
    "parsed, no rule re-checked (docs/formats.md, 'Integrity-only verification').",
)
@witness_options(
    "A witness's cosignature verifier key, or a file holding one. Repeatable. "
    "Default online: the witnesses in HOME/witnesses.yaml."
)
@pass_app
def verify(
    app: AppContext,
    export_file: Path | None,
    checkpoint_files: tuple[Path, ...],
    verifier_key: str | None,
    workers: int | None,
    integrity_only: bool,
    witness_keys: tuple[str, ...],
    quorum: int | None,
) -> None:
    """Verify the whole ledger, or an export file offline; with witnesses, the checkpoint
    relied on must carry their cosignatures (docs/operations.md, "Witnesses")."""
    notes = [read_checkpoint_file(path) for path in checkpoint_files]
    note = notes[0] if notes else None
    witnesses = [witness_key(value) for value in witness_keys]
    if quorum is not None and not witnesses and export_file is not None:
        raise click.UsageError("--quorum needs --witness keys")
    if export_file is not None:
        if note is None or verifier_key is None:
            raise click.UsageError("--export needs --checkpoint FILE and --key VKEY")
        key = read_text_argument(verifier_key, "verifier key").strip()
        found = check_quorum(note, witnesses, quorum or len(witnesses)) if witnesses else None
        total = max(1, export_file.stat().st_size // 1000) if export_file.exists() else 0
        with progress_bar(total, "verifying export") as tick:
            result = verify_export_file(
                export_file, notes, key, workers=workers, progress=tick, integrity_only=integrity_only
            )
        _report(result, notes)
        if found is not None:
            summary = found.summary(quorum or len(witnesses))
            click.echo(f"OK: the checkpoint (size {claimed_size(note)}) is {summary}")
        _report_meaning(None if integrity_only else verify_export_meaning(export_file))
        return
    if verifier_key is not None:
        raise click.UsageError("--key is only for --export; the database records its own key")
    service = app.service()
    with progress_bar(service.store.size(), "verifying") as tick:
        try:
            online = verify_online(
                service.verification,
                HttpWitnessTransport(),
                checkpoints=notes,
                witnesses=witnesses,
                quorum=quorum,
                workers=workers,
                progress=tick,
                integrity_only=integrity_only,
            )
        except QuorumUsageError:
            raise click.UsageError(
                f"--quorum needs --witness keys (or {app.settings.witnesses_path})"
            ) from None
    _report(online.log, notes)
    for line in online.witness_lines:
        click.echo(line)
    _report_meaning(online.meaning)


def _report_meaning(state: GovernanceState | None) -> None:
    if state is None:
        click.echo(
            "NOTE: integrity only: no entry was parsed, so neither their form (canonical JSON) nor "
            "the rules (signatures, roles, separation of duties) were checked; run verify without "
            "--integrity-only for those"
        )
        return
    click.echo(
        f"OK: every entry was allowed: {len(state.identities)} identities, {len(state.decisions)} decisions, "
        f"{len(state.policy_history)} policy adoptions; signatures, roles, separation of duties and "
        f"promotions re-checked (ledger format {state.format})"
    )
    _report_asserted(state)
    _report_reset_keys(state)


def _report_asserted(state: GovernanceState) -> None:
    """Entries an older-format ledger accepted on a token attestation: listed, never silent."""
    if not state.asserted:
        return
    count = len(state.asserted)
    click.echo(
        f"NOTE: {count} {'entry is' if count == 1 else 'entries are'} asserted by the operator, "
        "not signed by their author "
        f"(a token attestation, accepted by ledger format {state.format}; from format 4 only a personal "
        "signature authorises an entry):"
    )
    for a in state.asserted:
        click.echo(f"  entry {a.seq} {a.kind}: {a.author}, asserted with API token {a.token_id}")


def _report_reset_keys(state: GovernanceState) -> None:
    """Statements signed with a key an admin set for their author: valid, but resting on that
    admin's word as well, so they are listed (docs/operations.md, "Who may act")."""
    if not state.on_reset_keys:
        return
    count = len(state.on_reset_keys)
    click.echo(
        f"NOTE: {count} {'entry is' if count == 1 else 'entries are'} signed with a key an admin set "
        "for its author, not one the author registered themselves (the admin could hold it too):"
    )
    for r in state.on_reset_keys:
        click.echo(f"  entry {r.seq} {r.kind}: {r.author}, key set by {r.admin} at entry {r.reset_seq}")


@click.command()
@pass_app
def checkpoint(app: AppContext) -> None:
    """Print the latest signed checkpoint note, with the witnesses' cosignature lines; with
    witnesses configured, say on stderr whether it is witnessed."""
    service = app.service()
    click.echo(service.log.latest_checkpoint(), nl=False)
    status = service.witnessing.status()
    if status is not None:
        click.echo(status.summary, err=True)


@click.command()
@pass_app
def key(app: AppContext) -> None:
    """Print the verifier key (public; safe to share)."""
    click.echo(app.service().log.verifier_key())


@click.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Where to write.")
@pass_app
def export(app: AppContext, out: Path) -> None:
    """Write every entry as JSON Lines, exactly as stored, in seq order."""
    service = app.service()
    partial = out.with_name(out.name + ".partial")
    try:
        with partial.open("wb") as handle, progress_bar(service.store.size(), "exporting") as tick:
            count = service.log.export(handle, progress=tick)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(out)  # readers never see a half-written export
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"cannot write {out}: {exc}") from None
    click.echo(f"exported {count} entries to {out}")
    click.echo("verify offline with: rledger verify --export FILE --checkpoint CHECKPOINT --key VKEY")


@click.group()
def proof() -> None:
    """Inclusion and consistency proofs (hashes in standard base64)."""


@proof.command("inclusion")
@click.argument("index", type=click.IntRange(min=0))
@click.option("--size", type=click.IntRange(min=1), help="Tree size (default: the latest checkpoint).")
@pass_app
def proof_inclusion(app: AppContext, index: int, size: int | None) -> None:
    """Prove entry INDEX is in the tree."""
    click.echo(json.dumps(app.service().log.inclusion_proof(index, size), indent=2))


@proof.command("consistency")
@click.argument("old", type=click.IntRange(min=1))
@click.argument("new", type=click.IntRange(min=1))
@pass_app
def proof_consistency(app: AppContext, old: int, new: int) -> None:
    """Prove the tree of size NEW extends the tree of size OLD."""
    click.echo(json.dumps(app.service().log.consistency_proof(old, new), indent=2))


COMMANDS = (init, verify, checkpoint, key, export, proof)
