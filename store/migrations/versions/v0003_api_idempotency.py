"""the HTTP API's Idempotency-Key replies (api_idempotency), on both backends

Revision ID: 0003
Revises: 0002

The API used to create this table when it started. With several workers starting at once on
a new SQLite ledger, one worker's CREATE TABLE met another's write lock and failed with
"database is locked"; under a role that may only SELECT and INSERT it could not be created at
all. A migration creates it once, under the append lock, like every other table. It holds
replies, not evidence, so it has no append-only guards. Under a restricted application role,
grant ``SELECT, INSERT ON api_idempotency`` (docs/operations.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A ledger whose API already created the table at start-up (before this migration existed)
    # keeps it: same columns, and its remembered replies stay valid.
    if sa.inspect(op.get_bind()).has_table("api_idempotency"):
        return
    op.create_table(
        "api_idempotency",
        sa.Column("caller", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("api_idempotency")
