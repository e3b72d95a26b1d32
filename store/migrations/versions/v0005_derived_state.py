"""the governance state derived from the entries (ledger_derived_state), rewritten by appends

Revision ID: 0005
Revises: 0004

One row per (namespace, key): a value of the governance state (an identity, a decision, a
token, a policy, ...) as canonical JSON (governance/derived.py), plus a meta row recording
how many entries the rows reflect. Each append updates the rows it changes inside its own
transaction, so commands read a few rows instead of replaying the log. The rows are derived,
not evidence: they have no append-only guards, ``rledger verify`` rebuilds them from the
entries and fails on any difference, and nothing signed is built from them alone. The
migration only creates the table; a ledger made before it fills the rows on first use
(services/governed.py). Under a restricted application role, grant
``SELECT, INSERT, UPDATE, DELETE ON ledger_derived_state`` (docs/operations.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "ledger_derived_state"


def upgrade() -> None:
    # A database re-stamped at an older revision by hand (tests do it) may already have it.
    if sa.inspect(op.get_bind()).has_table(TABLE):
        return
    op.create_table(
        TABLE,
        sa.Column("namespace", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(600), primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table(TABLE)
