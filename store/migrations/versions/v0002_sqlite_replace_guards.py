"""SQLite: refuse INSERT OR REPLACE and upserts that would overwrite a row

Revision ID: 0002
Revises: 0001

REPLACE deletes the clashing row without firing DELETE triggers (unless the connection set
recursive_triggers), so 0001's guards do not stop it; a BEFORE INSERT trigger that refuses
any row clashing with a unique column does. PostgreSQL has no REPLACE, and its
``ON CONFLICT DO UPDATE`` fires the row UPDATE trigger from 0001, so there is nothing to do.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

UNIQUE_COLUMNS = {
    "ledger_meta": ["key"],
    "ledger_entries": ["seq", "leaf_hash"],
    "ledger_nodes": ["id"],
    "ledger_checkpoints": ["size"],
    "ledger_decisions": ["seq", "model = NEW.model AND version"],
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in UNIQUE_COLUMNS.items():
        clash = " OR ".join(f"{column} = NEW.{column.split()[-1]}" for column in columns)
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {clash}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in UNIQUE_COLUMNS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
