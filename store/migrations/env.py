"""Alembic's environment: always a connection handed over by store.migrations.upgrade.

The caller has begun the transaction (and, on PostgreSQL, taken the append lock), so
alembic neither begins nor commits one of its own.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from store.migrations import VERSION_TABLE

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("ledger migrations run through `rledger db upgrade`, not the alembic command")
context.configure(connection=connection, version_table=VERSION_TABLE, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
