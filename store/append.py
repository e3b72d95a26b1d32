"""Writing the ledger: the append transaction, the first one (``initialize``) and imports.

One append is one write transaction (:func:`store.database.write_transaction`, which queues
writers across processes) that writes the entries, the new perfect subtree hashes, the
decision index rows and a new signed checkpoint: it lands whole or not at all. The tables'
triggers refuse any change to what is already written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.clock import SystemClock
from ledger.errors import AlreadyInitializedError, DuplicateDecisionError, StorageError, VerificationError
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import GENESIS_PREV, Entry, parse_time, time_of
from ledger.tlog.merkle import CompactRange, frontier_ids
from ledger.tlog.note import Signer
from services.ports import AppendCheck, AppendResult, PendingEntry
from store.database import driver_message, shown_url, write_transaction
from store.derived import ConnectionRows
from store.driver import fetch_all, insert_sql
from store.read import bodies_since, fetch_nodes, newest_entry
from store.schema import (
    CHECKPOINTS,
    DECISIONS,
    ENTRIES,
    META,
    NODES,
    RECORDED_PAIR_SQL,
    RECORDED_PAIRS_PG,
    node_key,
)

Moment = datetime | Callable[[], datetime]
"""The entries' time, or a clock read once the append lock is held."""


@dataclass
class _Rows:
    """The rows a batch of entries adds, inserted together: one executemany per table."""

    entries: list[tuple[int, bytes, str, bytes]] = field(default_factory=list)
    nodes: list[tuple[int, bytes]] = field(default_factory=list)
    decisions: list[tuple[int, str, str, str]] = field(default_factory=list)

    def stage(self, tree: CompactRange, entry: Entry, decision: tuple[str, str] | None) -> str:
        """Add one entry to the tree and to the rows to insert; return its leaf hash in hex."""
        leaf = entry.leaf_hash
        for node_id, value in tree.append(leaf):
            if node_id[0] > 0:
                self.nodes.append((node_key(node_id), value))
        self.entries.append((entry.seq, leaf, entry.kind, entry.data))
        leaf_hex = leaf.hex()
        if decision is not None:
            self.decisions.append((entry.seq, *decision, leaf_hex))
        return leaf_hex

    def insert(self, conn: Connection) -> None:
        # Plain tuples straight to the driver's executemany: SQLAlchemy's per-row parameter
        # processing cost more than SQLite's insert of a 3.5 KB row.
        for table, rows in ((ENTRIES, self.entries), (NODES, self.nodes), (DECISIONS, self.decisions)):
            if rows:
                conn.exec_driver_sql(insert_sql(conn, table), rows)


# -- appending ----------------------------------------------------------------------------


def initialize(
    engine: Engine,
    origin: str,
    verifier_key: str,
    genesis: Sequence[PendingEntry],
    moment: Moment,
    signer: Signer,
    check: AppendCheck | None,
    derived: bool = True,
) -> AppendResult:
    """Write the metadata and the first entries in one transaction, into a database whose
    schema is at head. AlreadyInitializedError if a ledger already lives there.
    """
    with write_transaction(engine) as conn:
        if conn.execute(select(META.c.key)).first() is not None:
            raise AlreadyInitializedError("a ledger already exists in this database")
        _write_meta(conn, origin, verifier_key)
        return _append(conn, genesis, moment, signer, origin, check, derived)


def append_entries(
    engine: Engine,
    pending: Sequence[PendingEntry],
    moment: Moment,
    signer: Signer,
    origin: str,
    check: AppendCheck | None,
    derived: bool = True,
) -> AppendResult:
    """Append ``pending`` (not empty) and a checkpoint of ``origin`` signed by ``signer``.

    ``check`` is handed the derived state rows (store/derived.py) to read and update in the
    same transaction, or None when ``derived`` says the schema predates them.

    DuplicateDecisionError for a (model, version) already recorded; StorageError if the
    database refuses the rows (a pair repeated within ``pending``, a guard trigger).
    """
    try:
        with write_transaction(engine) as conn:
            recorded = first_recorded(conn, [p.decision for p in pending if p.decision is not None])
            if recorded is not None:
                raise DuplicateDecisionError(*recorded)
            return _append(conn, pending, moment, signer, origin, check, derived)
    except IntegrityError as exc:
        raise StorageError(f"the database refused the append: {exc.orig}") from None


def first_recorded(conn: Connection, wanted: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The first of ``wanted`` (in order) already recorded, each found by a seek on the unique
    (model, version) index: the cost does not grow with the ledger.

    SQLite plans ``(model, version) IN (VALUES ...)`` as a scan of the whole index (about 0.1 s
    at 100,000 decisions, on every append), so there each pair is its own seek, in-process.
    PostgreSQL joins the pairs against the index. A pair repeated within ``wanted`` is left to
    the unique constraint, as before.
    """
    if not wanted:
        return None
    if conn.dialect.name == "sqlite":
        for pair in wanted:
            if fetch_all(conn, RECORDED_PAIR_SQL, pair):
                return pair
        return None
    models, versions = [m for m, _ in wanted], [v for _, v in wanted]
    found = {(str(m), str(v)) for m, v in fetch_all(conn, RECORDED_PAIRS_PG, (models, versions))}
    return next((pair for pair in wanted if pair in found), None)


def _append(
    conn: Connection,
    pending: Sequence[PendingEntry],
    moment: Moment,
    signer: Signer,
    origin: str,
    check: AppendCheck | None,
    derived: bool,
) -> AppendResult:
    """The body of the append transaction, with the write lock held."""
    size, prev, newest = newest_entry(conn)
    moment = append_time(conn, moment, newest)
    tree = CompactRange.from_stored(size, fetch_nodes(conn, frontier_ids(size)))
    entries: list[Entry] = []
    rows = _Rows()
    for item in pending:
        entry = Entry.create(tree.size, prev, item.time or moment, item.kind, item.payload)
        prev = rows.stage(tree, entry, item.decision)
        entries.append(entry)
    if check is not None:
        check(entries, lambda start: bodies_since(conn, start), ConnectionRows(conn) if derived else None)
    rows.insert(conn)
    checkpoint = Checkpoint(origin, tree.size, tree.root())
    note = _write_checkpoint(conn, checkpoint, signer)
    return AppendResult(tuple(entries), checkpoint, note)


def append_time(conn: Connection, moment: Moment, newest: bytes | None) -> datetime:
    """The time of the entries being appended: one time source per ledger, never backwards.

    With the system clock on PostgreSQL the database server's clock is read here, inside
    the append transaction, so writers whose own clocks disagree still agree on time. On
    either backend a time before the newest entry's (a writer whose clock ran ahead went
    first) is raised to that entry's time instead of refused: one fast clock must not lock
    every other writer out (docs/formats.md §3.4).
    """
    if callable(moment):
        if isinstance(getattr(moment, "__self__", None), SystemClock) and conn.dialect.name == "postgresql":
            moment = conn.execute(select(func.clock_timestamp())).scalar_one()
        else:
            moment = moment()
    assert isinstance(moment, datetime)
    if newest is None:
        return moment
    return max(moment.astimezone(UTC), parse_time(time_of(newest)))


def _write_meta(conn: Connection, origin: str, verifier_key: str) -> None:
    conn.execute(
        insert(META),
        [{"key": "origin", "value": origin}, {"key": "verifier_key", "value": verifier_key}],
    )


def _write_checkpoint(conn: Connection, checkpoint: Checkpoint, signer: Signer) -> str:
    """Sign ``checkpoint`` and store the note; return the note."""
    note = checkpoint.sign(signer)
    conn.execute(insert(CHECKPOINTS), [{"size": checkpoint.size, "root": checkpoint.root, "note": note}])
    return note


# -- importing ----------------------------------------------------------------------------


def import_log(
    engine: Engine,
    origin: str,
    verifier_key: str,
    chunks: Iterable[list[bytes]],
    signer: Signer,
    expected: Checkpoint,
    decision_of: Callable[[Entry], tuple[str, str] | None],
) -> tuple[Checkpoint, str]:
    """Write a verified log's exact entry bytes into an empty database, then one checkpoint
    of the whole tree signed by ``signer``: one transaction, so it lands whole or not at all.

    The caller has verified the entries already; here each is parsed, chained and hashed
    again as it is written, and the transaction is abandoned unless the tree comes out as
    ``expected`` (so a file that changed between verifying and importing is refused).
    The schema must be at head. AlreadyInitializedError for a database that holds a ledger;
    VerificationError as above.
    """
    try:
        with write_transaction(engine) as conn:
            if any(conn.execute(select(t.c[0]).limit(1)).first() for t in (META, ENTRIES)):
                raise AlreadyInitializedError(
                    f"{shown_url(engine)} already holds a ledger; import needs an empty database"
                )
            _write_meta(conn, origin, verifier_key)
            tree = _import_entries(conn, chunks, decision_of)
            checkpoint = Checkpoint(origin, tree.size, tree.root())
            _check_tree(checkpoint, expected)
            note = _write_checkpoint(conn, checkpoint, signer)
    except IntegrityError as exc:
        raise StorageError(f"the database refused the import: {driver_message(exc)}") from None
    return checkpoint, note


def _import_entries(
    conn: Connection,
    chunks: Iterable[list[bytes]],
    decision_of: Callable[[Entry], tuple[str, str] | None],
) -> CompactRange:
    """Insert each chunk's entries after checking that each follows the one before."""
    tree, prev = CompactRange(), GENESIS_PREV
    for blobs in chunks:
        rows = _Rows()
        for data in blobs:
            entry = Entry.parse(data)
            if entry.seq != tree.size or entry.prev != prev:
                raise VerificationError("the export changed while it was being imported", index=tree.size)
            prev = rows.stage(tree, entry, decision_of(entry))
        if rows.entries:
            rows.insert(conn)
    return tree


def _check_tree(checkpoint: Checkpoint, expected: Checkpoint) -> None:
    if checkpoint.size != expected.size or checkpoint.root != expected.root:
        raise VerificationError(
            "the export changed while it was being imported: its tree is not the verified one",
            expected=f"{expected.size} {expected.root.hex()}",
            actual=f"{checkpoint.size} {checkpoint.root.hex()}",
        )
