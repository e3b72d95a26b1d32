"""Entries read by position inside a verification worker process (ledger.tlog.verify.ChunkSource).

The parent sends each worker only a range; the worker opens its own engine (one per process,
made on first use, never inherited across a fork) and reads the rows itself, so entry bytes
never cross a process boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from store.blobs import blob
from store.database import make_engine, read_transaction
from store.driver import fetch_all
from store.schema import ENTRIES_RANGE_SQL

_ENGINES: dict[str, Engine] = {}  # per process: the URL -> its engine


@dataclass(frozen=True)
class SqlChunkSource:
    """The ledger at ``url`` (with its password: this object stays on this machine)."""

    url: str

    def read(self, first: int, count: int) -> tuple[list[bytes], list[bytes] | None]:
        """The stored entries with seq in ``[first, first + count)``, in seq order, and their
        recorded leaf hashes. Rows that are missing are simply absent (the caller notices)."""
        with read_transaction(_engine(self.url)) as conn:
            rows = fetch_all(conn, ENTRIES_RANGE_SQL, (first, first + count))
        return [blob(body) for body, _ in rows], [blob(leaf) for _, leaf in rows]


def _engine(url: str) -> Engine:
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = make_engine(url)
    return engine
