"""``LedgerStore``: the storage driver the application services are handed.

A thin front over the modules that do the work: each method delegates to
``store.database`` (engines, transactions, migrations), ``store.append`` (the append
transaction, ``initialize``, imports) or ``store.read`` (everything read back). It satisfies
``services.ports.LogStore`` structurally, so its public methods keep that Protocol's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import Engine

from ledger.errors import NotInitializedError
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.chunks import Chunk
from ledger.tlog.entry import Entry
from ledger.tlog.merkle import NodeId
from ledger.tlog.note import Signer
from services.ports import (
    AppendCheck,
    AppendResult,
    DecisionRef,
    PendingEntry,
    StateFold,
    StateRows,
    StoredCosignature,
)
from store import append as appending
from store import cosignatures as cosigning
from store import database, derived, read
from store.chunk_source import SqlChunkSource


class LedgerStore:
    """One ledger in one SQLite or PostgreSQL database, reached through ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._origin: str | None = None  # ledger_meta is written once, so this cannot go stale
        self._derived = False  # whether ledger_derived_state exists; once it does, it always will

    @classmethod
    def open(cls, url: str) -> LedgerStore:
        """A store for ``url`` (see ``store.database.database_url``); StorageError if it cannot be."""
        return cls(database.open_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        """The database URL with any password hidden, for messages."""
        return database.shown_url(self.engine)

    # -- schema ---------------------------------------------------------------------------

    def migrate(self, target: str = "head") -> tuple[str | None, str | None]:
        """Bring the schema to ``target`` (creating it in an empty database), in one
        transaction under the append lock. Returns the revisions before and after."""
        return database.migrate(self.engine, target)

    def create_schema(self) -> None:
        """The ledger's tables and guard triggers, by running the migrations up to head."""
        self.migrate()

    def schema_revision(self) -> str | None:
        """The migration the database is at (None: no ledger schema yet)."""
        return database.schema_revision(self.engine)

    def is_initialized(self) -> bool:
        """Whether a ledger lives here. A database that cannot be reached raises StorageError."""
        try:
            self.meta()
        except NotInitializedError:
            return False
        return True

    def meta(self) -> dict[str, str]:
        return read.meta(self.engine)

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
        return appending.initialize(
            self.engine, origin, verifier_key, genesis, moment, signer, check, self._has_derived()
        )

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
        return appending.append_entries(
            self.engine, pending, moment, signer, self._ledger_origin(), check, self._has_derived()
        )

    def _ledger_origin(self) -> str:
        if self._origin is None:
            self._origin = self.meta()["origin"]
        return self._origin

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
        of the whole tree signed by ``signer``, in one transaction (see ``store.append``)."""
        self.create_schema()
        checkpoint, note = appending.import_log(
            self.engine, origin, verifier_key, chunks, signer, expected, decision_of
        )
        self._origin = origin
        return checkpoint, note

    # -- reading ----------------------------------------------------------------------------

    def bodies_from(self, start: int, chunk_entries: int = 4096) -> Iterator[bytes]:
        """Entry bytes from seq ``start`` on, streamed a chunk at a time."""
        return read.bodies_from(self.engine, start, chunk_entries)

    def nodes(self, ids: Sequence[NodeId] | set[NodeId]) -> dict[NodeId, bytes]:
        return read.nodes(self.engine, ids)

    def size(self) -> int:
        return read.size(self.engine)

    def entry(self, seq: int) -> bytes | None:
        return read.entry(self.engine, seq)

    def entry_chunks(self, chunk_entries: int = 4096, end: int | None = None) -> Iterator[Chunk]:
        """Entries in stored order with their recorded leaf hashes, a bounded chunk at a time,
        numbered by position in the stream (not by seq)."""
        return read.entry_chunks(self.engine, chunk_entries, end)

    def chunk_source(self) -> SqlChunkSource:
        """This database's entries, for verification workers to read by position themselves."""
        return SqlChunkSource(self.engine.url.render_as_string(hide_password=False))

    def snapshot(self) -> tuple[int, list[str]]:
        """(number of entries by the highest seq, every checkpoint note), read consistently."""
        return read.snapshot(self.engine)

    def checkpoint_notes(self) -> list[str]:
        return read.checkpoint_notes(self.engine)

    def latest_checkpoint(self) -> tuple[int, str] | None:
        return read.latest_checkpoint(self.engine)

    def checkpoint_at(self, size: int) -> str | None:
        return read.checkpoint_at(self.engine, size)

    def decision_by_version(self, model: str, version: str) -> DecisionRef | None:
        return read.decision_by_version(self.engine, model, version)

    def decisions_by_prefix(self, prefix: str, limit: int = 2) -> list[DecisionRef]:
        return read.decisions_by_prefix(self.engine, prefix, limit)

    def decisions(
        self, model: str | None = None, limit: int = 1000, after_seq: int = -1
    ) -> list[DecisionRef]:
        return read.decisions(self.engine, model, limit, after_seq)

    def decision_rows(self, start: int | None = None, end: int | None = None) -> list[DecisionRef]:
        """The rows of the decision lookup table with ``start <= seq < end``, in seq order."""
        return read.decision_rows(self.engine, start, end)

    # -- the derived governance state (migration 0005) ---------------------------------------

    def _has_derived(self) -> bool:
        if not self._derived:
            self._derived = derived.engine_has_table(self.engine)
        return self._derived

    def state_rows(self) -> StateRows | None:
        """The committed derived state rows, read a lookup at a time (None before 0005)."""
        return derived.EngineRows(self.engine) if self._has_derived() else None

    def update_state(self, fold: StateFold) -> bool:
        """Run ``fold`` with the rows and an entry reader in one write transaction."""
        return derived.in_transaction(self.engine, fold)

    def derived_rows(self) -> dict[tuple[str, str], bytes] | None:
        """Every derived state row, read in one statement (None before 0005)."""
        return derived.all_rows(self.engine)

    # -- witnesses' cosignatures ------------------------------------------------------------

    def add_cosignature(self, row: StoredCosignature) -> bool:
        """Store a witness's cosignature in its own short transaction (never an append's)."""
        return cosigning.add(self.engine, row)

    def cosignatures(self, size: int | None = None) -> list[StoredCosignature]:
        return cosigning.rows(self.engine, size)

    def cosigned_sizes(self) -> dict[str, int]:
        return cosigning.latest_sizes(self.engine)

    def decision_count(self) -> int:
        return read.decision_count(self.engine)
