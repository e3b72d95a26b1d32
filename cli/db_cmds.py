"""The database: schema migrations, consistent backups, and rebuilding a ledger from a backup."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from cli.context import AppContext, ensure_private_dir, pass_app, read_checkpoint_file
from cli.progress import progress_bar
from ledger.clock import clock_from_environment
from ledger.errors import StorageError
from ledger.tlog.note import Ed25519Signer
from services.keys import KeyFileError
from services.ledger_service import LedgerService
from services.restore import import_export, write_backup
from services.settings import DATABASE_FILE
from store import migrations
from store.ledger_store import LedgerStore


@contextmanager
def _open_store(app: AppContext) -> Iterator[LedgerStore]:
    """The configured database, which may not exist yet. A home SQLite file created here is
    removed again if the command fails, so a failed import leaves the home as it was."""
    home_db = app.settings.home / DATABASE_FILE
    created = app.settings.uses_home_database and not home_db.exists()
    if app.settings.uses_home_database:
        ensure_private_dir(app.settings.home)
    store = LedgerStore.open(app.settings.database_url)
    try:
        yield store
    except BaseException:
        store.close()
        if created:
            for suffix in ("", "-wal", "-shm", "-journal"):
                home_db.with_name(home_db.name + suffix).unlink(missing_ok=True)
        raise
    store.close()


@click.group()
def db() -> None:
    """Schema migrations and backups."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: AppContext) -> None:
    """Create the ledger's tables, or bring them up to the newest migration."""
    with _open_store(app) as store:
        before, after = store.migrate()
        where = store.url
    if before == after:
        click.echo(f"the ledger schema in {where} is already at {after} (head)")
    elif before is None:
        click.echo(f"created the ledger schema in {where} at {after} (head)")
    else:
        click.echo(f"upgraded the ledger schema in {where} from {before} to {after} (head)")


@db.command("current")
@click.option("--check", is_flag=True, help="Fail unless the schema is at the newest migration.")
@pass_app
def db_current(app: AppContext, check: bool) -> None:
    """Print the migration the database is at."""
    revision = app.store().schema_revision()
    head = migrations.head()
    if revision == head:
        click.echo(f"{revision} (head)")
        return
    behind = f"the ledger schema is at {revision or 'none'}, the newest migration is {head}"
    if check:
        raise StorageError(f"{behind}; run `rledger db upgrade`")
    click.echo(f"{revision or 'none'} (head is {head}; run `rledger db upgrade`)")


@db.command("backup")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The export file to write."
)
@click.option(
    "--checkpoint-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the matching signed checkpoint (default OUT.checkpoint).",
)
@pass_app
def db_backup(app: AppContext, out: Path, checkpoint_out: Path | None) -> None:
    """Export exactly the entries the latest checkpoint covers, and that checkpoint."""
    checkpoint_path = checkpoint_out or out.with_name(out.name + ".checkpoint")
    result = write_backup(app.service().store, out, checkpoint_path)
    click.echo(f"backed up {result.size} entries to {out} and their signed checkpoint to {checkpoint_path}")
    click.echo(f"restore into an empty database with: rledger import {out} --checkpoint {checkpoint_path}")


@click.command("import")
@click.argument("export_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--checkpoint",
    "checkpoint_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The signed checkpoint of the whole export (as `rledger db backup` writes it).",
)
@click.option("--workers", type=click.IntRange(1, 64), help="Processes to verify with (default: automatic).")
@pass_app
def import_cmd(app: AppContext, export_file: Path, checkpoint_file: Path, workers: int | None) -> None:
    """Rebuild a ledger from an export into an EMPTY database, on either backend.

    Everything is verified before anything is written: the entries against the signed
    checkpoint, and every entry against the governance rules. The entries are written with
    their exact bytes, then a checkpoint signed with this home's signing key, which must be
    the ledger's own key (the one its first entry records).
    """
    note = read_checkpoint_file(checkpoint_file)
    signer = _import_signer(app)
    total = max(1, export_file.stat().st_size // 1000) if export_file.exists() else 0
    with _open_store(app) as store:
        with progress_bar(total, "verifying and importing") as tick:
            result = import_export(store, export_file, note, signer, workers=workers, progress=tick)
        service = LedgerService(store, clock_from_environment(os.environ))
        verified = service.verification.verify(workers=workers)  # and once more, as stored
        service.verification.verify_meaning()
        where = store.url
    click.echo(
        f"imported {result.size} entries of {result.origin} into {where}: "
        f"{result.identities} identities, {result.decisions} decisions"
    )
    click.echo(f"OK: verified again as stored; root {verified.root.hex()}")
    click.echo("checkpoint signed with the ledger key:")
    click.echo(result.note, nl=False)


def _import_signer(app: AppContext) -> Ed25519Signer:
    """The ledger's own signing key, which a new home does not have yet: say what to copy where.

    Raises KeyFileError naming the file to copy (or the environment variable to set) when the
    key is missing; other key problems (mode, format) keep their own message.
    """
    key_path = app.settings.signing_key_path
    if not os.environ.get("RLEDGER_SIGNING_KEY") and not key_path.exists():
        raise KeyFileError(
            f"import needs the ledger's own signing key (the signing.key of the home that made the "
            f"backup): copy it to {key_path} with mode 0600, or set RLEDGER_SIGNING_KEY"
        )
    return app.signer()


COMMANDS = (db, import_cmd)
