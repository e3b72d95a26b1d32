"""Alembic migrations for the ledger's tables, on SQLite and PostgreSQL alike.

They ship inside the package and run programmatically on a connection the caller owns
(no alembic.ini): :func:`store.database.migrate` opens one write transaction,
takes the append lock, and runs every pending revision inside it, so a schema change lands
whole or not at all, and never while an append is in flight.

Revisions are plain DDL frozen at the time they were written; they never import the
models in ``store.schema``. tests/store/test_migrations.py checks that head matches them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "rledger_alembic_version"
LEGACY_REVISION = "0002"
"""The schema ``create_schema`` built before migrations existed (tables, update, delete and
replace guards): a database that has the tables but no version table is stamped with it."""


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    found = script().get_current_head()
    assert found is not None, "the ledger has migrations"
    return found


def revisions() -> list[tuple[str, str]]:
    """(revision, one-line description), oldest first."""
    return [(s.revision, (s.doc or "").strip()) for s in reversed(list(script().walk_revisions()))]


def current(connection: Connection) -> str | None:
    """The revision the database is at; None for a database migrations never touched."""
    return MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE}
    ).get_current_revision()


def is_legacy(connection: Connection) -> bool:
    """The ledger's tables exist but no revision is recorded: made before migrations existed."""
    return current(connection) is None and inspect(connection).has_table("ledger_meta")


def upgrade(connection: Connection, target: str = "head") -> None:
    """Run the pending revisions up to ``target`` in the caller's transaction."""
    cfg = config(connection)
    if is_legacy(connection):
        command.stamp(cfg, LEGACY_REVISION)
    command.upgrade(cfg, target)
