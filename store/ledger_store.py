"""Storage: the one module of ``ledger`` that speaks SQL.

Tables are declared with SQLModel; the hot paths use SQLAlchemy Core on the same tables.
They are created, with their guard triggers, by the Alembic migrations in ``store/migrations``
(tests check that the two agree). The same code runs on SQLite and PostgreSQL; what differs
(how the write lock is taken, the read isolation level, connection options) is kept here.
Everything is append-only, enforced by triggers in the database itself, and one append is
one transaction that ends with a new signed checkpoint: it lands whole or not at all.
Writers queue for that transaction across processes and machines (SQLite: BEGIN IMMEDIATE;
PostgreSQL: a transaction-scoped advisory lock).

    ledger_meta         origin and verifier key, written once at init
    ledger_entries      seq, leaf hash, kind, the exact entry bytes
    ledger_nodes        every perfect subtree hash above the leaves, keyed by (level, index)
    ledger_checkpoints  one signed checkpoint note per append transaction
    ledger_decisions    lookup index: model@version and leaf hash to seq
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    inspect,
    make_url,
    select,
    tuple_,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlmodel import Field, SQLModel

from ledger.clock import SystemClock
from ledger.errors import (
    AlreadyInitializedError,
    DuplicateDecisionError,
    NotInitializedError,
    StorageError,
    VerificationError,
)
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import GENESIS_PREV, Entry, parse_time
from ledger.tlog.merkle import CompactRange, NodeId, frontier_ids
from ledger.tlog.note import Signer
from ledger.tlog.verify import Chunk
from services.ports import AppendCheck, AppendResult, DecisionRef, PendingEntry

LEVEL_SHIFT = 40  # node id = level << 40 | index: 2^40 leaves is far beyond any ledger


def node_key(node: NodeId) -> int:
    level, index = node
    return (level << LEVEL_SHIFT) | index


class LedgerMeta(SQLModel, table=True):
    __tablename__ = "ledger_meta"
    key: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


class EntryRow(SQLModel, table=True):
    __tablename__ = "ledger_entries"
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False, unique=True))
    kind: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class NodeRow(SQLModel, table=True):
    __tablename__ = "ledger_nodes"
    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class CheckpointRow(SQLModel, table=True):
    __tablename__ = "ledger_checkpoints"
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))


class DecisionRow(SQLModel, table=True):
    __tablename__ = "ledger_decisions"
    __table_args__ = (UniqueConstraint("model", "version", name="uq_decision_model_version"),)
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    model: str = Field(sa_column=Column(String(200), nullable=False))
    version: str = Field(sa_column=Column(String(200), nullable=False))
    leaf_hex: str = Field(sa_column=Column(String(64), nullable=False, index=True))


LEDGER_TABLES = ("ledger_meta", "ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_decisions")
_entries = EntryRow.__table__  # type: ignore[attr-defined]
_nodes = NodeRow.__table__  # type: ignore[attr-defined]
_checkpoints = CheckpointRow.__table__  # type: ignore[attr-defined]
_meta = LedgerMeta.__table__  # type: ignore[attr-defined]
_decisions = DecisionRow.__table__  # type: ignore[attr-defined]

# Built once: building and coercing an IN clause on every call costs more than running it.
_LEAF_HASHES = select(_entries.c.seq, _entries.c.leaf_hash).where(
    _entries.c.seq.in_(bindparam("ids", expanding=True))
)
_NODE_HASHES = select(_nodes.c.id, _nodes.c.hash).where(_nodes.c.id.in_(bindparam("ids", expanding=True)))
_LATEST_CHECKPOINT = (
    select(_checkpoints.c.size, _checkpoints.c.note).order_by(_checkpoints.c.size.desc()).limit(1)
)

# Serialises appends across processes on PostgreSQL; an arbitrary constant of ours.
_PG_APPEND_LOCK = 0x726C6564


class UnreachableDatabaseError(StorageError):
    """The database could not be reached or opened at all (as opposed to refusing a statement)."""


SUPPORTED_URLS = "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DATABASE"


def database_url(url: str) -> URL:
    """Parse and check a database URL; ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"{url!r} is not a database URL; expected {SUPPORTED_URLS}") from None
    driver = parsed.drivername
    if driver in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg")
    if driver == "postgresql+psycopg" or driver in ("sqlite", "sqlite+pysqlite"):
        return parsed
    shown = parsed.render_as_string(hide_password=True)
    raise StorageError(f"unsupported database URL {shown!r}; expected {SUPPORTED_URLS}")


def _reason(exc: BaseException) -> str:
    """A driver's error message on one line (psycopg's span several)."""
    inner = getattr(exc, "orig", None) or exc
    return " ".join(str(inner).split()) or type(inner).__name__


def make_engine(url: str) -> Engine:
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            # We issue BEGIN ourselves so that writers can take the lock up front.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            immediate = connection.get_execution_options().get("rledger_write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    connect_args: dict[str, Any] = {"application_name": "rledger"}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = 10
    if "prepare_threshold" in parsed.query:
        # psycopg's own option, not libpq's: ``none`` stops server-side prepared statements,
        # which a PgBouncer older than 1.21 in transaction mode cannot route.
        value = str(parsed.query["prepare_threshold"]).strip().lower()
        if value not in ("", "none", "off") and not value.isdigit():
            raise StorageError(f"prepare_threshold must be a number or none, not {value!r}")
        connect_args["prepare_threshold"] = int(value) if value.isdigit() else None
        parsed = parsed.difference_update_query(["prepare_threshold"])
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


def _stage(
    tree: CompactRange,
    entry: Entry,
    decision: tuple[str, str] | None,
    entry_rows: list[dict[str, Any]],
    node_rows: list[dict[str, Any]],
    decision_rows: list[dict[str, Any]],
) -> str:
    """Add one entry to the tree and to the rows to insert; return its leaf hash in hex."""
    leaf = entry.leaf_hash
    for node_id, value in tree.append(leaf):
        if node_id[0] > 0:
            node_rows.append({"id": node_key(node_id), "hash": value})
    entry_rows.append({"seq": entry.seq, "leaf_hash": leaf, "kind": entry.kind, "body": entry.data})
    if decision is not None:
        model, version = decision
        decision_rows.append({"seq": entry.seq, "model": model, "version": version, "leaf_hex": leaf.hex()})
    return leaf.hex()


def _insert_rows(
    conn: Connection,
    entry_rows: list[dict[str, Any]],
    node_rows: list[dict[str, Any]],
    decision_rows: list[dict[str, Any]],
) -> None:
    conn.execute(insert(_entries), entry_rows)
    if node_rows:
        conn.execute(insert(_nodes), node_rows)
    if decision_rows:
        conn.execute(insert(_decisions), decision_rows)


class LedgerStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._origin: str | None = None  # ledger_meta is written once, so this cannot go stale

    @classmethod
    def open(cls, url: str) -> LedgerStore:
        try:
            return cls(make_engine(url))
        except (SQLAlchemyError, ValueError, ImportError) as exc:
            shown = url
            with suppress(StorageError):
                shown = database_url(url).render_as_string(hide_password=True)
            raise StorageError(f"cannot open database {shown!r}: {_reason(exc)}") from None

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        """The database URL with any password hidden, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except DBAPIError as exc:
            raise UnreachableDatabaseError(
                f"cannot connect to the database {self.url}: {_reason(exc)}"
            ) from None
        with conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read transaction that sees one snapshot (SQLite's always does; PostgreSQL's
        default READ COMMITTED would give each statement its own)."""
        with self._connection() as conn:
            if self.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            try:
                with conn.begin():
                    yield conn
            except DBAPIError as exc:
                raise StorageError(f"database error: {_reason(exc)}") from None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """The one write transaction: appends, migrations and imports queue here, one at a time,
        across processes (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock)."""
        with self._connection() as conn:
            conn.execution_options(rledger_write=True)
            try:
                with conn.begin():
                    if self.dialect == "postgresql":
                        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_APPEND_LOCK})")
                    yield conn
            except IntegrityError:
                raise
            except DBAPIError as exc:
                raise StorageError(f"database error: {_reason(exc)}") from None

    # -- schema ---------------------------------------------------------------------------

    def migrate(self, target: str = "head") -> tuple[str | None, str | None]:
        """Bring the schema to ``target`` (creating it in an empty database), in one
        transaction under the append lock. Returns the revisions before and after."""
        from alembic.util import CommandError

        from store import migrations

        try:
            with self._write() as conn:
                before = migrations.current(conn)
                if before != migrations.head() or target != "head":
                    migrations.upgrade(conn, target)
                after = migrations.current(conn)
        except UnreachableDatabaseError:
            raise
        except CommandError as exc:  # e.g. a schema newer than this code knows
            raise StorageError(
                f"cannot migrate the ledger schema in {self.url}: {_reason(exc)} "
                f"(this version of rledger knows migrations up to {migrations.head()})"
            ) from None
        except (StorageError, IntegrityError) as exc:
            raise StorageError(f"cannot migrate the ledger schema in {self.url}: {_reason(exc)}") from None
        return before, after

    def create_schema(self) -> None:
        """The ledger's tables and guard triggers, by running the migrations up to head."""
        self.migrate()

    def schema_revision(self) -> str | None:
        """The migration the database is at (None: no ledger schema yet)."""
        from store import migrations

        with self._read() as conn:
            return migrations.current(conn)

    def _has_ledger(self) -> bool:
        with self._read() as conn:
            return bool(inspect(conn).has_table("ledger_meta"))

    def is_initialized(self) -> bool:
        """Whether a ledger lives here. A database that cannot be reached raises StorageError."""
        try:
            self.meta()
        except NotInitializedError:
            return False
        return True

    def meta(self) -> dict[str, str]:
        try:
            with self._read() as conn:
                rows = conn.execute(select(_meta.c.key, _meta.c.value)).all()
        except UnreachableDatabaseError:
            raise
        except StorageError:
            if self._has_ledger():
                raise
            rows = []
        if not rows:
            raise NotInitializedError(
                f"no ledger in {self.url}; run `rledger init --origin NAME` or `rledger import` first"
            )
        return {key: value for key, value in rows}

    # -- appending --------------------------------------------------------------------------

    def initialize(
        self,
        origin: str,
        verifier_key: str,
        genesis: Sequence[PendingEntry],
        moment: datetime | Callable[[], datetime],
        signer: Signer,
        check: AppendCheck | None = None,
    ) -> AppendResult:
        """Write the metadata and the first entries in one transaction."""
        self.create_schema()
        with self._write() as conn:
            if conn.execute(select(_meta.c.key)).first() is not None:
                raise AlreadyInitializedError("a ledger already exists in this database")
            conn.execute(
                insert(_meta),
                [{"key": "origin", "value": origin}, {"key": "verifier_key", "value": verifier_key}],
            )
            return self._append(conn, genesis, moment, signer, origin, check)

    def append(
        self,
        pending: Sequence[PendingEntry],
        moment: datetime | Callable[[], datetime],
        signer: Signer,
        check: AppendCheck | None = None,
    ) -> AppendResult:
        """Append entries and a signed checkpoint covering them, atomically.

        ``moment`` may be a clock function, read only once the append lock is held, so entry
        times never go backwards between concurrent writers. ``check`` sees the new entries
        (and can read the log up to them) before anything is written, and may refuse them.
        """
        if not pending:
            raise ValueError("nothing to append")
        if self._origin is None:
            self._origin = self.meta()["origin"]
        origin = self._origin
        try:
            with self._write() as conn:
                recorded = self._first_recorded(conn, [p.decision for p in pending if p.decision is not None])
                if recorded is not None:
                    raise DuplicateDecisionError(*recorded)
                return self._append(conn, pending, moment, signer, origin, check)
        except IntegrityError as exc:
            raise StorageError(f"the database refused the append: {exc.orig}") from None

    def _first_recorded(self, conn: Connection, wanted: list[tuple[str, str]]) -> tuple[str, str] | None:
        """The first of ``wanted`` (in order) already recorded: one query per 500, not one per entry.

        A pair repeated within ``wanted`` is left to the unique constraint, as before.
        """
        found: set[tuple[str, str]] = set()
        for start in range(0, len(wanted), 500):
            clause = tuple_(_decisions.c.model, _decisions.c.version).in_(wanted[start : start + 500])
            query = select(_decisions.c.model, _decisions.c.version).where(clause)
            found.update((str(model), str(version)) for model, version in conn.execute(query))
        return next((pair for pair in wanted if pair in found), None)

    def _append(
        self,
        conn: Connection,
        pending: Sequence[PendingEntry],
        moment: datetime | Callable[[], datetime],
        signer: Signer,
        origin: str,
        check: AppendCheck | None = None,
    ) -> AppendResult:
        size, prev = self._head(conn)
        moment = self._append_time(conn, moment, size)
        tree = CompactRange.from_stored(size, self._fetch_nodes(conn, frontier_ids(size)))
        entries: list[Entry] = []
        entry_rows: list[dict[str, Any]] = []
        node_rows: list[dict[str, Any]] = []
        decision_rows: list[dict[str, Any]] = []
        for item in pending:
            entry = Entry.create(tree.size, prev, item.time or moment, item.kind, item.payload)
            prev = _stage(tree, entry, item.decision, entry_rows, node_rows, decision_rows)
            entries.append(entry)
        if check is not None:
            check(entries, lambda start: self._bodies_from(conn, start))
        _insert_rows(conn, entry_rows, node_rows, decision_rows)
        checkpoint = Checkpoint(origin, tree.size, tree.root())
        note = checkpoint.sign(signer)
        conn.execute(insert(_checkpoints), [{"size": checkpoint.size, "root": checkpoint.root, "note": note}])
        return AppendResult(tuple(entries), checkpoint, note)

    def import_log(
        self,
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
        """
        self.create_schema()
        try:
            with self._write() as conn:
                if any(conn.execute(select(t.c[0]).limit(1)).first() for t in (_meta, _entries)):
                    raise AlreadyInitializedError(
                        f"{self.url} already holds a ledger; import needs an empty database"
                    )
                conn.execute(
                    insert(_meta),
                    [{"key": "origin", "value": origin}, {"key": "verifier_key", "value": verifier_key}],
                )
                tree, prev = CompactRange(), GENESIS_PREV
                for blobs in chunks:
                    entry_rows: list[dict[str, Any]] = []
                    node_rows: list[dict[str, Any]] = []
                    decision_rows: list[dict[str, Any]] = []
                    for data in blobs:
                        entry = Entry.parse(data)
                        if entry.seq != tree.size or entry.prev != prev:
                            raise VerificationError(
                                "the export changed while it was being imported", index=tree.size
                            )
                        prev = _stage(tree, entry, decision_of(entry), entry_rows, node_rows, decision_rows)
                    if entry_rows:
                        _insert_rows(conn, entry_rows, node_rows, decision_rows)
                checkpoint = Checkpoint(origin, tree.size, tree.root())
                if checkpoint.size != expected.size or checkpoint.root != expected.root:
                    raise VerificationError(
                        "the export changed while it was being imported: its tree is not the verified one",
                        expected=f"{expected.size} {expected.root.hex()}",
                        actual=f"{checkpoint.size} {checkpoint.root.hex()}",
                    )
                note = checkpoint.sign(signer)
                conn.execute(
                    insert(_checkpoints), [{"size": checkpoint.size, "root": checkpoint.root, "note": note}]
                )
        except IntegrityError as exc:
            raise StorageError(f"the database refused the import: {_reason(exc)}") from None
        self._origin = origin
        return checkpoint, note

    def _bodies_from(self, conn: Connection, start: int) -> list[bytes]:
        rows = conn.execute(select(_entries.c.body).where(_entries.c.seq >= start).order_by(_entries.c.seq))
        return [bytes(body) for (body,) in rows]

    def _append_time(
        self, conn: Connection, moment: datetime | Callable[[], datetime], size: int
    ) -> datetime:
        """The time of the entries being appended: one time source per ledger, never backwards.

        With the system clock on PostgreSQL the database server's clock is read here, inside
        the append transaction, so writers whose own clocks disagree still agree on time. On
        either backend a time before the newest entry's (a writer whose clock ran ahead went
        first) is raised to that entry's time instead of refused: one fast clock must not lock
        every other writer out (docs/formats.md §3.4).
        """
        if callable(moment):
            if isinstance(getattr(moment, "__self__", None), SystemClock) and self.dialect == "postgresql":
                moment = conn.execute(select(func.clock_timestamp())).scalar_one()
            else:
                moment = moment()
        assert isinstance(moment, datetime)
        if size == 0:
            return moment
        body = conn.execute(select(_entries.c.body).where(_entries.c.seq == size - 1)).scalar_one()
        newest = Entry.parse(bytes(body)).time
        return max(moment.astimezone(UTC), parse_time(newest))

    def _head(self, conn: Connection) -> tuple[int, str]:
        row = conn.execute(
            select(_entries.c.seq, _entries.c.leaf_hash).order_by(_entries.c.seq.desc()).limit(1)
        ).first()
        if row is None:
            return 0, GENESIS_PREV
        return int(row.seq) + 1, bytes(row.leaf_hash).hex()

    # -- reading ----------------------------------------------------------------------------

    def _fetch_nodes(self, conn: Connection, ids: Sequence[NodeId] | set[NodeId]) -> dict[NodeId, bytes]:
        leaves = [index for level, index in ids if level == 0]
        upper = {node_key(n): n for n in ids if n[0] > 0}
        found: dict[NodeId, bytes] = {}
        if leaves:
            for seq, value in conn.execute(_LEAF_HASHES, {"ids": leaves}):
                found[(0, int(seq))] = bytes(value)
        if upper:
            for key, value in conn.execute(_NODE_HASHES, {"ids": list(upper)}):
                found[upper[int(key)]] = bytes(value)
        missing = set(ids) - set(found)
        if missing:
            raise StorageError(
                f"the tree is missing {len(missing)} stored node(s), e.g. {sorted(missing)[0]}"
            )
        return found

    def bodies_from(self, start: int, chunk_entries: int = 4096) -> Iterator[bytes]:
        """Entry bytes from seq ``start`` on, streamed a chunk at a time."""
        after = start - 1
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    select(_entries.c.seq, _entries.c.body)
                    .where(_entries.c.seq > after)
                    .order_by(_entries.c.seq)
                    .limit(chunk_entries)
                ).all()
            if not rows:
                return
            for row in rows:
                yield bytes(row.body)
            after = int(rows[-1].seq)

    def nodes(self, ids: Sequence[NodeId] | set[NodeId]) -> dict[NodeId, bytes]:
        with self._read() as conn:
            return self._fetch_nodes(conn, ids)

    def size(self) -> int:
        with self._read() as conn:
            return self._head(conn)[0]

    def entry(self, seq: int) -> bytes | None:
        with self._read() as conn:
            row = conn.execute(select(_entries.c.body).where(_entries.c.seq == seq)).first()
        return None if row is None else bytes(row.body)

    def entry_chunks(self, chunk_entries: int = 4096, end: int | None = None) -> Iterator[Chunk]:
        """Entries in stored order with their recorded leaf hashes, a bounded chunk at a time.

        Chunks are numbered by position in the stream, not by the seq column, so that a
        missing or moved row shows up as an entry whose own seq disagrees with its position.
        """
        position, after = 0, -1
        while end is None or position < end:
            limit = chunk_entries if end is None else min(chunk_entries, end - position)
            with self._read() as conn:
                rows = conn.execute(
                    select(_entries.c.seq, _entries.c.body, _entries.c.leaf_hash)
                    .where(_entries.c.seq > after)
                    .order_by(_entries.c.seq)
                    .limit(limit)
                ).all()
            if not rows:
                return
            yield position, [bytes(r.body) for r in rows], [bytes(r.leaf_hash) for r in rows]
            position += len(rows)
            after = int(rows[-1].seq)

    def snapshot(self) -> tuple[int, list[str]]:
        """(number of entries by the highest seq, every checkpoint note), read consistently."""
        with self._read() as conn:
            top = conn.execute(select(func.max(_entries.c.seq))).scalar_one()
            notes = [
                str(n) for (n,) in conn.execute(select(_checkpoints.c.note).order_by(_checkpoints.c.size))
            ]
        return (0 if top is None else int(top) + 1), notes

    def checkpoint_notes(self) -> list[str]:
        with self._read() as conn:
            return [
                str(n) for (n,) in conn.execute(select(_checkpoints.c.note).order_by(_checkpoints.c.size))
            ]

    def latest_checkpoint(self) -> tuple[int, str] | None:
        with self._read() as conn:
            row = conn.execute(_LATEST_CHECKPOINT).first()
        return None if row is None else (int(row.size), str(row.note))

    def checkpoint_at(self, size: int) -> str | None:
        with self._read() as conn:
            row = conn.execute(select(_checkpoints.c.note).where(_checkpoints.c.size == size)).first()
        return None if row is None else str(row.note)

    def decision_by_version(self, model: str, version: str) -> DecisionRef | None:
        with self._read() as conn:
            row = conn.execute(
                select(_decisions).where(_decisions.c.model == model, _decisions.c.version == version)
            ).first()
        return None if row is None else DecisionRef(int(row.seq), row.model, row.version, row.leaf_hex)

    def decisions_by_prefix(self, prefix: str, limit: int = 2) -> list[DecisionRef]:
        with self._read() as conn:
            rows = conn.execute(
                select(_decisions)
                .where(_decisions.c.leaf_hex.like(prefix + "%"))
                .order_by(_decisions.c.seq)
                .limit(limit)
            ).all()
        return [DecisionRef(int(r.seq), r.model, r.version, r.leaf_hex) for r in rows]

    def decisions(
        self, model: str | None = None, limit: int = 1000, after_seq: int = -1
    ) -> list[DecisionRef]:
        query = select(_decisions).where(_decisions.c.seq > after_seq)
        if model is not None:
            query = query.where(_decisions.c.model == model)
        with self._read() as conn:
            rows = conn.execute(query.order_by(_decisions.c.seq).limit(limit)).all()
        return [DecisionRef(int(r.seq), r.model, r.version, r.leaf_hex) for r in rows]

    def decision_count(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(_decisions)).scalar_one())
