"""What the application services need from storage, and the values that cross that line.

The services are written against :class:`LogStore`; the SQL driver in ``store/`` implements it
(structurally: it never needs to import this Protocol), and the edges (CLI, HTTP API) hand
the driver to the services. So the arrows point one way: ``store`` -> ``services`` -> domain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from governance.derived import Row
from governance.derived import StateRows as StateRows  # the derived state port, for store/ (an edge)
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.chunks import Chunk, ChunkSource
from ledger.tlog.entry import Entry
from ledger.tlog.merkle import NodeId
from ledger.tlog.note import Signer

StateRow = Row
"""(namespace, key, new bytes or None to delete): one change to the derived state rows."""


@dataclass(frozen=True)
class PendingEntry:
    kind: str
    payload: dict[str, Any]
    decision: tuple[str, str] | None = None  # (model, version) for the lookup index
    time: datetime | None = None  # only when rebuilding a log whose entries already have times


AppendCheck = Callable[[list[Entry], Callable[[int], list[bytes]], StateRows | None], None]
"""Called inside the append transaction with the new entries, a reader of stored entries
from a given seq on and the derived state rows (None on a schema without them), to read and
update in that transaction; raising refuses the append and nothing is written."""

StateFold = Callable[[StateRows, Callable[[int, int], list[bytes]]], bool]
"""Run in a write transaction of its own with the derived state rows and ``read(start, limit)``
of stored entries; folds some missing entries into the rows, True when they are up to date."""


@dataclass(frozen=True)
class AppendResult:
    entries: tuple[Entry, ...]
    checkpoint: Checkpoint
    note: str


@dataclass(frozen=True)
class DecisionRef:
    seq: int
    model: str
    version: str
    leaf_hex: str


@dataclass(frozen=True)
class StoredCosignature:
    """A witness's cosignature/v1 line on the ledger's checkpoint of ``size``.

    ``witness`` is the witness key's ``name+keyid`` (so two witnesses with one name differ);
    ``received_at`` is when the ledger stored it, RFC 3339 UTC.
    """

    size: int
    witness: str
    line: str
    received_at: str


class WitnessTransport(Protocol):
    """How a checkpoint reaches a witness: one HTTP POST of a text body.

    Returns (status, content type, body text). A witness that cannot be reached, or does not
    answer in time, is status 0 with the reason as the text: it never raises for that.
    ``store.witness_client.HttpWitnessTransport`` implements it with httpx.
    """

    def post(self, url: str, body: bytes) -> tuple[int, str, str]: ...


class LogStore(Protocol):
    """The storage the services use: an append-only log of entry bytes, its Merkle subtree
    hashes, its signed checkpoints and a lookup index of decisions by (model, version).

    ``store.ledger_store.LedgerStore`` implements it over SQLite or PostgreSQL; these are
    exactly the methods of that class the services call, with the same signatures. Every
    method may raise ``StorageError`` (``NotInitializedError`` where no ledger lives yet).
    """

    @property
    def url(self) -> str:
        """Where the log lives, with any password hidden, for messages."""
        ...

    def is_initialized(self) -> bool: ...

    def meta(self) -> dict[str, str]:
        """``origin`` and ``verifier_key``, written once at genesis."""
        ...

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
        ...

    def append(
        self,
        pending: Sequence[PendingEntry],
        moment: datetime | Callable[[], datetime],
        signer: Signer,
        check: AppendCheck | None = None,
    ) -> AppendResult:
        """Append entries and a signed checkpoint covering them, atomically."""
        ...

    def import_log(
        self,
        origin: str,
        verifier_key: str,
        chunks: Iterable[list[bytes]],
        signer: Signer,
        expected: Checkpoint,
        decision_of: Callable[[Entry], tuple[str, str] | None],
    ) -> tuple[Checkpoint, str]:
        """Write a verified log's exact bytes into an empty store, then one checkpoint of it."""
        ...

    def bodies_from(self, start: int, chunk_entries: int = 4096) -> Iterator[bytes]: ...

    def nodes(self, ids: Sequence[NodeId] | set[NodeId]) -> dict[NodeId, bytes]:
        """Stored subtree hashes by (level, index); raises StorageError if any is missing."""
        ...

    def size(self) -> int: ...

    def entry(self, seq: int) -> bytes | None: ...

    def entry_chunks(self, chunk_entries: int = 4096, end: int | None = None) -> Iterator[Chunk]:
        """(position, entry bytes, recorded leaf hashes) in stored order, a chunk at a time."""
        ...

    def chunk_source(self) -> ChunkSource:
        """The stored entries, for verification workers to read by position themselves."""
        ...

    def snapshot(self) -> tuple[int, list[str]]:
        """(number of entries by the highest seq, every checkpoint note), read consistently."""
        ...

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """(size, signed note) of the newest checkpoint, or None before genesis."""
        ...

    def decision_by_version(self, model: str, version: str) -> DecisionRef | None: ...

    def decisions_by_prefix(self, prefix: str, limit: int = 2) -> list[DecisionRef]: ...

    def decisions(
        self, model: str | None = None, limit: int = 1000, after_seq: int = -1
    ) -> list[DecisionRef]: ...

    def add_cosignature(self, row: StoredCosignature) -> bool:
        """Store a witness's cosignature, after the append that made the checkpoint has
        committed; False if that witness's line for that size is already stored."""
        ...

    def cosignatures(self, size: int | None = None) -> list[StoredCosignature]:
        """Stored cosignatures (of checkpoint ``size`` only, if given), oldest size first."""
        ...

    def cosigned_sizes(self) -> dict[str, int]:
        """Each witness's (``name+keyid``) largest cosigned size."""
        ...

    def checkpoint_at(self, size: int) -> str | None:
        """The signed checkpoint note of ``size``, if one is stored."""
        ...

    def state_rows(self) -> StateRows | None:
        """The derived governance state rows as committed (None: the schema predates them)."""
        ...

    def update_state(self, fold: StateFold) -> bool:
        """Run ``fold`` in one write transaction (see StateFold) and return what it returns."""
        ...

    def derived_rows(self) -> dict[tuple[str, str], bytes] | None:
        """Every derived state row, read at once (None: the schema predates them)."""
        ...

    def decision_rows(self, start: int | None = None, end: int | None = None) -> list[DecisionRef]:
        """The rows of the decision lookup table with ``start <= seq < end`` (None: no bound),
        in seq order. The table is derived from the entries, so callers check each row
        against its entry before trusting it."""
        ...
