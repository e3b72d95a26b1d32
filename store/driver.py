"""The driver's own cursor, for the few hot paths where SQLAlchemy's per-row work dominates.

Verification reads every entry and every stored subtree hash, and a batch append writes
thousands of rows: there, building SQLAlchemy ``Row`` objects and processing each bind
parameter cost more than the database's own work (benchmarks/README.md). These helpers run
plain SQL on the connection of the caller's transaction, so snapshots and locks are those of
``store.database``; SQL is written with ``?`` and given the driver's placeholder here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

from ledger.errors import StorageError


def sql_for(conn: Connection, text: str) -> str:
    """``text`` with each ``?`` in the driver's placeholder (sqlite3: ``?``; psycopg: ``%s``)."""
    return text if conn.dialect.paramstyle == "qmark" else text.replace("?", "%s")


def fetch_all(conn: Connection, text: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of one query as plain tuples. Driver errors: StorageError, as elsewhere."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql_for(conn, text), tuple(params))
        return list(cursor.fetchall())
    except conn.dialect.loaded_dbapi.Error as exc:
        raise StorageError(f"database error: {exc}".strip()) from None
    finally:
        cursor.close()


def insert_sql(conn: Connection, table: Table) -> str:
    """INSERT of every column of ``table`` in declared order, in the driver's placeholders
    (for ``conn.exec_driver_sql(sql, rows)`` with rows as plain tuples in that order)."""
    columns = ", ".join(column.name for column in table.columns)
    marks = ", ".join("?" for _ in table.columns)
    return sql_for(conn, f"INSERT INTO {table.name} ({columns}) VALUES ({marks})")
