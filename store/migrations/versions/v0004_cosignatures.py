"""witnesses' cosignatures of the ledger's checkpoints (ledger_cosignatures), append-only

Revision ID: 0004
Revises: 0003

One row per (checkpoint size, witness key): the cosignature/v1 line the witness answered
with (docs/formats.md §12), and when the ledger received it. Written after the append that
made the checkpoint has committed, never inside it. The same guards as the ledger's own
tables: UPDATE and DELETE (and TRUNCATE on PostgreSQL) are refused, and on SQLite so is an
INSERT that would replace a row. Under a restricted application role, grant
``SELECT, INSERT ON ledger_cosignatures`` (docs/operations.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "ledger_cosignatures"


def upgrade() -> None:
    # A database re-stamped at an older revision by hand (tests do it) may already have it.
    if sa.inspect(op.get_bind()).has_table(TABLE):
        return
    op.create_table(
        TABLE,
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("witness", sa.String(300), primary_key=True),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # rledger_append_only() is created by 0001.
        statements = [
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION rledger_append_only()",
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION rledger_append_only()",
        ]
    else:
        statements = [
            f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END",
            f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END",
            f"CREATE TRIGGER {TABLE}_no_replace BEFORE INSERT ON {TABLE} "
            f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE size = NEW.size AND witness = NEW.witness) "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END",
        ]
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    raise RuntimeError("a ledger's tables are never dropped by a migration")
