"""Witnesses' cosignatures of the ledger's checkpoints, in ``ledger_cosignatures``.

Rows are written after the append that made the checkpoint has committed, each in its own
short write transaction (so a slow witness never holds up, or undoes, an append), and never
changed. A ledger whose schema predates migration 0004 has no such table: reading gives
nothing, and writing says to run ``rledger db upgrade``.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, inspect, select

from ledger.errors import StorageError
from services.ports import StoredCosignature
from store.database import read_transaction, write_transaction
from store.schema import COSIGNATURE_TABLE, COSIGNATURES


def _has_table(conn: Connection) -> bool:
    return bool(inspect(conn).has_table(COSIGNATURE_TABLE))


def has_table(engine: Engine) -> bool:
    with read_transaction(engine) as conn:
        return _has_table(conn)


def add(engine: Engine, row: StoredCosignature) -> bool:
    """Record one cosignature; False (and nothing written) if that witness's line for that
    size is already stored. Raises StorageError on a schema before 0004."""
    with write_transaction(engine) as conn:
        if not _has_table(conn):
            raise StorageError(
                f"the ledger schema in {engine.url.render_as_string(hide_password=True)} has no "
                "ledger_cosignatures table: run `rledger db upgrade`"
            )
        clash = select(COSIGNATURES.c.size).where(
            COSIGNATURES.c.size == row.size, COSIGNATURES.c.witness == row.witness
        )
        if conn.execute(clash).first() is not None:
            return False
        conn.execute(
            COSIGNATURES.insert().values(
                size=row.size, witness=row.witness, line=row.line, received_at=row.received_at
            )
        )
    return True


def _rows(conn: Connection, size: int | None) -> list[StoredCosignature]:
    query = select(COSIGNATURES).order_by(
        COSIGNATURES.c.size, COSIGNATURES.c.received_at, COSIGNATURES.c.witness
    )
    if size is not None:
        query = query.where(COSIGNATURES.c.size == size)
    return [
        StoredCosignature(int(r.size), str(r.witness), str(r.line), str(r.received_at))
        for r in conn.execute(query)
    ]


def rows(engine: Engine, size: int | None = None) -> list[StoredCosignature]:
    """The stored cosignatures (of checkpoint ``size`` only, if given), oldest size first."""
    with read_transaction(engine) as conn:
        return _rows(conn, size) if _has_table(conn) else []


def latest_sizes(engine: Engine) -> dict[str, int]:
    """Each witness's largest cosigned size."""
    with read_transaction(engine) as conn:
        if not _has_table(conn):
            return {}
        query = select(COSIGNATURES.c.witness, func.max(COSIGNATURES.c.size)).group_by(COSIGNATURES.c.witness)
        return {str(w): int(s) for w, s in conn.execute(query)}
