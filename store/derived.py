"""The derived governance state rows, in ``ledger_derived_state`` (migration 0005).

:class:`ConnectionRows` reads and writes them inside the caller's transaction (the append
transaction, or a catch-up); :class:`EngineRows` reads them for commands, each lookup one
primary-key read in its own short read transaction. What the rows mean is governance's
business (governance/derived.py); here they are (namespace, key, bytes). A schema before
0005 has no such table: the driver then says so (``None``) and the services fold the entries
in memory as they used to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, inspect, select

from services.ports import StateRow as Row
from store.blobs import blob
from store.database import read_transaction, write_transaction
from store.schema import DERIVED, DERIVED_TABLE, ENTRIES

T = TypeVar("T")
# Built once: building and compiling a statement per lookup costs more than running it.
_GET = select(DERIVED.c.value).where(DERIVED.c.namespace == bindparam("ns"), DERIVED.c.key == bindparam("k"))
_DELETE = delete(DERIVED).where(DERIVED.c.namespace == bindparam("ns"), DERIVED.c.key == bindparam("k"))


def has_table(conn: Connection) -> bool:
    return bool(inspect(conn).has_table(DERIVED_TABLE))


def _get(conn: Connection, namespace: str, key: str) -> bytes | None:
    value = conn.execute(_GET, {"ns": namespace, "k": key}).scalar()
    return None if value is None else blob(value)


def _items(conn: Connection, namespace: str) -> list[tuple[str, bytes]]:
    query = select(DERIVED.c.key, DERIVED.c.value).where(DERIVED.c.namespace == namespace)
    return [(str(k), blob(v)) for k, v in conn.execute(query.order_by(DERIVED.c.key))]


def _count(conn: Connection, namespace: str) -> int:
    query = select(func.count()).select_from(DERIVED).where(DERIVED.c.namespace == namespace)
    return int(conn.execute(query).scalar_one())


class ConnectionRows:
    """The rows as seen, and changed, inside one open transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, namespace: str, key: str) -> bytes | None:
        return _get(self.conn, namespace, key)

    def items(self, namespace: str) -> list[tuple[str, bytes]]:
        return _items(self.conn, namespace)

    def count(self, namespace: str) -> int:
        return _count(self.conn, namespace)

    def write(self, changes: list[Row]) -> None:
        """Replace (delete, then insert) or delete the given rows: two statements in all."""
        if not changes:
            return
        self.conn.execute(_DELETE, [{"ns": ns, "k": key} for ns, key, _ in changes])
        rows = [
            {"namespace": ns, "key": key, "value": value} for ns, key, value in changes if value is not None
        ]
        if rows:
            self.conn.execute(insert(DERIVED), rows)


class EngineRows:
    """The committed rows, read for a command (never written through this)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, namespace: str, key: str) -> bytes | None:
        with read_transaction(self.engine) as conn:
            return _get(conn, namespace, key)

    def items(self, namespace: str) -> list[tuple[str, bytes]]:
        with read_transaction(self.engine) as conn:
            return _items(conn, namespace)

    def count(self, namespace: str) -> int:
        with read_transaction(self.engine) as conn:
            return _count(conn, namespace)

    def write(self, changes: list[Row]) -> None:
        raise RuntimeError("derived state rows are written only inside a transaction (ConnectionRows)")


def engine_has_table(engine: Engine) -> bool:
    with read_transaction(engine) as conn:
        return has_table(conn)


def all_rows(engine: Engine) -> dict[tuple[str, str], bytes] | None:
    """Every row, read in one statement (one snapshot); None on a schema before 0005."""
    with read_transaction(engine) as conn:
        if not has_table(conn):
            return None
        return {(str(ns), str(k)): blob(v) for ns, k, v in conn.execute(select(DERIVED))}


def in_transaction(
    engine: Engine, work: Callable[[ConnectionRows, Callable[[int, int], list[bytes]]], T]
) -> T:
    """Run ``work(rows, read)`` in one write transaction (queued behind appends), where
    ``read(start, limit)`` gives up to ``limit`` entries' bytes from seq ``start`` on."""

    def read(start: int, limit: int) -> list[bytes]:
        query = select(ENTRIES.c.body).where(ENTRIES.c.seq >= start).order_by(ENTRIES.c.seq).limit(limit)
        return [blob(body) for (body,) in conn.execute(query)]

    with write_transaction(engine) as conn:
        return work(ConnectionRows(conn), read)
