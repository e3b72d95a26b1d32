"""Reading the ledger: metadata, entries, stored tree nodes, checkpoints, the decision index.

Functions that take an ``Engine`` open their own read transaction (one snapshot on both
backends, see :func:`store.database.read_transaction`); those that take a ``Connection``
run inside the caller's, as the append transaction does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from ledger.errors import NotInitializedError, StorageError
from ledger.tlog.chunks import Chunk
from ledger.tlog.entry import GENESIS_PREV
from ledger.tlog.merkle import NodeId
from services.ports import DecisionRef
from store.blobs import blob, integer
from store.database import UnreachableDatabaseError, has_ledger, read_transaction, shown_url
from store.driver import fetch_all
from store.schema import (
    CHECKPOINT_NOTES,
    CHECKPOINTS,
    DECISION_ROWS_SQL,
    DECISIONS,
    ENTRIES,
    ENTRIES_AFTER_SQL,
    HEAD,
    INDEX_MASK,
    LATEST_CHECKPOINT,
    LEAF_HASHES,
    LEAF_RANGE_SQL,
    LEVEL_SHIFT,
    META,
    NEWEST_ENTRY_SQL,
    NODE_HASHES,
    NODE_RANGE_SQL,
)

# -- inside a transaction -----------------------------------------------------------------


def head(conn: Connection) -> tuple[int, str]:
    """(size, leaf hash in hex of the newest entry); (0, GENESIS_PREV) for an empty log."""
    row = conn.execute(HEAD).first()
    if row is None:
        return 0, GENESIS_PREV
    return integer(row.seq, "ledger_entries.seq") + 1, blob(row.leaf_hash).hex()


def newest_entry(conn: Connection) -> tuple[int, str, bytes | None]:
    """(size, leaf hash in hex, bytes) of the newest entry, in one lookup; (0, GENESIS_PREV,
    None) for an empty log. The append transaction needs all three: the next seq, its prev
    and the time entries may not go back before."""
    rows = fetch_all(conn, NEWEST_ENTRY_SQL, ())
    if not rows:
        return 0, GENESIS_PREV, None
    seq, leaf, body = rows[0]
    return integer(seq, "ledger_entries.seq") + 1, blob(leaf).hex(), blob(body)


def fetch_nodes(conn: Connection, ids: Sequence[NodeId] | set[NodeId]) -> dict[NodeId, bytes]:
    """The stored hash of each (level, index) in ``ids``: leaf hashes at level 0, subtree
    hashes above. StorageError if any is missing."""
    found: dict[NodeId, bytes] = {}
    by_level: dict[int, list[int]] = {}
    for level, index in ids:
        by_level.setdefault(level, []).append(index)
    for level, indexes in by_level.items():
        for index, value in _level_hashes(conn, level, indexes):
            found[(level, index)] = blob(value)
    missing = set(ids) - set(found)
    if missing:
        raise StorageError(f"the tree is missing {len(missing)} stored node(s), e.g. {sorted(missing)[0]}")
    return found


def _level_hashes(conn: Connection, level: int, indexes: list[int]) -> Iterator[tuple[int, bytes]]:
    """(index, hash) of the wanted nodes of one level. Verification asks for every node a chunk
    of entries creates, which are contiguous at each level: one range scan, not an IN list of
    thousands of parameters (whose compilation cost more than the query)."""
    low, high = min(indexes), max(indexes)
    wanted = set(indexes)
    shift = level << LEVEL_SHIFT  # ledger_nodes.id (store.schema.node_key); seq for the leaves
    rows: Sequence[tuple[Any, ...]]
    if high - low < 2 * len(wanted):
        text = LEAF_RANGE_SQL if level == 0 else NODE_RANGE_SQL
        rows = fetch_all(conn, text, (shift | low, shift | high))
    else:
        query = LEAF_HASHES if level == 0 else NODE_HASHES
        rows = [tuple(row) for row in conn.execute(query, {"ids": [shift | index for index in indexes]})]
    table = "ledger_entries.seq" if level == 0 else "ledger_nodes.id"
    keys = [(integer(key, table) & INDEX_MASK, value) for key, value in rows]
    return ((index, value) for index, value in keys if index in wanted)


def bodies_since(conn: Connection, start: int) -> list[bytes]:
    """Every entry's bytes from seq ``start`` on, in seq order."""
    rows = conn.execute(select(ENTRIES.c.body).where(ENTRIES.c.seq >= start).order_by(ENTRIES.c.seq))
    return [blob(body) for (body,) in rows]


# -- metadata -----------------------------------------------------------------------------


def meta(engine: Engine) -> dict[str, str]:
    """``ledger_meta`` as a dict (origin, verifier_key).

    NotInitializedError when no ledger lives here; StorageError (UnreachableDatabaseError
    when it cannot be reached) when the database fails.
    """
    try:
        with read_transaction(engine) as conn:
            rows = conn.execute(select(META.c.key, META.c.value)).all()
    except UnreachableDatabaseError:
        raise
    except StorageError:
        if has_ledger(engine):
            raise
        rows = []
    if not rows:
        raise NotInitializedError(
            f"no ledger in {shown_url(engine)}; run `rledger init --origin NAME` or `rledger import` first"
        )
    return {key: value for key, value in rows}


# -- entries and nodes --------------------------------------------------------------------


def size(engine: Engine) -> int:
    with read_transaction(engine) as conn:
        return head(conn)[0]


def entry(engine: Engine, seq: int) -> bytes | None:
    with read_transaction(engine) as conn:
        row = conn.execute(select(ENTRIES.c.body).where(ENTRIES.c.seq == seq)).first()
    return None if row is None else blob(row.body)


def nodes(engine: Engine, ids: Sequence[NodeId] | set[NodeId]) -> dict[NodeId, bytes]:
    with read_transaction(engine) as conn:
        return fetch_nodes(conn, ids)


def bodies_from(engine: Engine, start: int, chunk_entries: int) -> Iterator[bytes]:
    """Entry bytes from seq ``start`` on, streamed a chunk at a time (one transaction each)."""
    after = start - 1
    while True:
        rows = _entries_after(engine, after, chunk_entries, ENTRIES.c.body)
        if not rows:
            return
        for row in rows:
            yield blob(row.body)
        after = integer(rows[-1].seq, "ledger_entries.seq")


def entry_chunks(engine: Engine, chunk_entries: int, end: int | None) -> Iterator[Chunk]:
    """Entries in stored order with their recorded leaf hashes, a bounded chunk at a time.

    Chunks are numbered by position in the stream, not by the seq column, so that a
    missing or moved row shows up as an entry whose own seq disagrees with its position.
    """
    position, after = 0, -1
    while end is None or position < end:
        limit = chunk_entries if end is None else min(chunk_entries, end - position)
        with read_transaction(engine) as conn:
            rows = fetch_all(conn, ENTRIES_AFTER_SQL, (after, limit))
        if not rows:
            return
        yield position, [blob(body) for _, body, _ in rows], [blob(leaf) for _, _, leaf in rows]
        position += len(rows)
        after = integer(rows[-1][0], "ledger_entries.seq")


def _entries_after(engine: Engine, after: int, limit: int, *columns: Any) -> Sequence[Any]:
    """Up to ``limit`` rows (seq and ``columns``) of the entries after seq ``after``."""
    with read_transaction(engine) as conn:
        return conn.execute(
            select(ENTRIES.c.seq, *columns).where(ENTRIES.c.seq > after).order_by(ENTRIES.c.seq).limit(limit)
        ).all()


# -- checkpoints --------------------------------------------------------------------------


def snapshot(engine: Engine) -> tuple[int, list[str]]:
    """(number of entries by the highest seq, every checkpoint note), read consistently."""
    with read_transaction(engine) as conn:
        top = conn.execute(select(func.max(ENTRIES.c.seq))).scalar_one()
        notes = [str(n) for (n,) in conn.execute(CHECKPOINT_NOTES)]
    return (0 if top is None else integer(top, "ledger_entries.seq") + 1), notes


def checkpoint_notes(engine: Engine) -> list[str]:
    with read_transaction(engine) as conn:
        return [str(n) for (n,) in conn.execute(CHECKPOINT_NOTES)]


def latest_checkpoint(engine: Engine) -> tuple[int, str] | None:
    with read_transaction(engine) as conn:
        row = conn.execute(LATEST_CHECKPOINT).first()
    return None if row is None else (integer(row.size, "ledger_checkpoints.size"), str(row.note))


def checkpoint_at(engine: Engine, size: int) -> str | None:
    with read_transaction(engine) as conn:
        row = conn.execute(select(CHECKPOINTS.c.note).where(CHECKPOINTS.c.size == size)).first()
    return None if row is None else str(row.note)


# -- the decision index -------------------------------------------------------------------


def decision_by_version(engine: Engine, model: str, version: str) -> DecisionRef | None:
    query = select(DECISIONS).where(DECISIONS.c.model == model, DECISIONS.c.version == version)
    with read_transaction(engine) as conn:
        row = conn.execute(query).first()
    return None if row is None else _decision_ref(row)


def decisions_by_prefix(engine: Engine, prefix: str, limit: int) -> list[DecisionRef]:
    # The range lets both databases seek the leaf_hex index (LIKE alone is a scan in SQLite,
    # where it ignores case, and in PostgreSQL outside the C collation); LIKE stays the test.
    # Every stored leaf_hex is lowercase hex, so all that start with the prefix sort below +"g".
    low = prefix.lower()
    within = (DECISIONS.c.leaf_hex >= low) & (DECISIONS.c.leaf_hex < low + "g")
    query = select(DECISIONS).where(within, DECISIONS.c.leaf_hex.like(prefix + "%"))
    with read_transaction(engine) as conn:
        rows = conn.execute(query.order_by(DECISIONS.c.seq).limit(limit)).all()
    return [_decision_ref(r) for r in rows]


def decisions(engine: Engine, model: str | None, limit: int, after_seq: int) -> list[DecisionRef]:
    query = select(DECISIONS).where(DECISIONS.c.seq > after_seq)
    if model is not None:
        query = query.where(DECISIONS.c.model == model)
    with read_transaction(engine) as conn:
        rows = conn.execute(query.order_by(DECISIONS.c.seq).limit(limit)).all()
    return [_decision_ref(r) for r in rows]


def decision_rows(engine: Engine, start: int | None = None, end: int | None = None) -> list[DecisionRef]:
    """The rows of the decision lookup table with ``start <= seq < end`` (None: unbounded), in
    seq order (for verification, which trusts no derived table: each row is checked against
    the entry it points at, a chunk of entries at a time)."""
    # Open bounds stay open: SQLite sorts text after every number, so a row whose seq was
    # rewritten as text is among "seq >= end" (and named by `integer`), never silently skipped.
    bounds = [(">=", start), ("<", end)]
    where = " AND ".join(f"seq {op} ?" for op, value in bounds if value is not None) or "1 = 1"
    with read_transaction(engine) as conn:
        rows = fetch_all(conn, DECISION_ROWS_SQL.format(where=where), [v for _, v in bounds if v is not None])
    return [
        DecisionRef(integer(seq, "ledger_decisions.seq"), model, version, leaf_hex)
        for seq, model, version, leaf_hex in rows
    ]


def decision_count(engine: Engine) -> int:
    with read_transaction(engine) as conn:
        return int(conn.execute(select(func.count()).select_from(DECISIONS)).scalar_one())


def _decision_ref(row: Any) -> DecisionRef:
    return DecisionRef(integer(row.seq, "ledger_decisions.seq"), row.model, row.version, row.leaf_hex)
