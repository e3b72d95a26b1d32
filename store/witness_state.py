"""The witness's own state: one row per log origin, the latest checkpoint it cosigned.

It lives in its own SQLite file (never the ledger's database). ``WitnessState.update`` reads
an origin's row, lets the caller decide (``ledger.witness.decide``) and writes the new row in
one ``BEGIN IMMEDIATE`` transaction, so two racing add-checkpoint requests are serialised and
the second sees the first's result: the race of https://c2sp.org/tlog-witness cannot happen,
across threads and across processes sharing the file. The write is a compare-and-swap on the
row read, and triggers refuse a smaller size, or another root at the same size, so a bug above
cannot roll the witness back either. WAL with ``synchronous=FULL`` makes a commit durable
before the cosignature is sent: after a crash (SIGKILL, power loss) the row is the old state
or the new one, never a mix.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ledger.errors import StorageError
from ledger.witness.decide import LogState

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS witness_log (
    origin TEXT PRIMARY KEY NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32)
) STRICT;
CREATE TRIGGER IF NOT EXISTS witness_log_never_rolls_back
BEFORE UPDATE ON witness_log
WHEN NEW.origin != OLD.origin OR NEW.size < OLD.size OR (NEW.size = OLD.size AND NEW.root != OLD.root)
BEGIN SELECT RAISE(ABORT, 'a witness never rolls back or forks a log'); END;
CREATE TRIGGER IF NOT EXISTS witness_log_never_forgets
BEFORE DELETE ON witness_log
BEGIN SELECT RAISE(ABORT, 'a witness never forgets a log'); END;
"""

BUSY_TIMEOUT_SECONDS = 30.0


class WitnessState:
    """The state file at ``path``. Each call opens its own connection: safe from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with self._connect() as connection:
                connection.raw.execute("PRAGMA journal_mode=WAL")
                connection.raw.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the witness state {path}: {exc}") from None

    def _connect(self) -> _Connection:
        return _Connection(self.path)

    def get(self, origin: str) -> LogState | None:
        with self._connect() as connection:
            return _read(connection.raw, origin)

    def update(self, origin: str, decide: Callable[[LogState | None], tuple[T, LogState | None]]) -> T:
        """Run ``decide`` on the origin's row and store the state it returns, atomically.

        ``decide`` returns (its result, the new state or None to keep the row). The write
        happens, and is durable, before this returns the result; if it fails, the result
        is not returned (StorageError), so nothing unrecorded is ever answered.
        """
        with self._connect() as connection:
            raw = connection.raw
            try:
                raw.execute("BEGIN IMMEDIATE")
                current = _read(raw, origin)
                result, new = decide(current)
                if new is not None:
                    _write(raw, origin, current, new)
                raw.execute("COMMIT")
            except BaseException as exc:
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StorageError(f"the witness state {self.path} refused the write: {exc}") from None
                raise
            return result


class _Connection:
    """One connection in autocommit mode (we issue BEGIN ourselves), closed on exit."""

    def __init__(self, path: Path) -> None:
        try:
            self.raw = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            self.raw.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the witness state {path}: {exc}") from None

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.raw.close()


def _read(raw: sqlite3.Connection, origin: str) -> LogState | None:
    row = raw.execute("SELECT size, root FROM witness_log WHERE origin = ?", (origin,)).fetchone()
    return None if row is None else LogState(int(row[0]), bytes(row[1]))


def _write(raw: sqlite3.Connection, origin: str, current: LogState | None, new: LogState) -> None:
    if current is None:
        raw.execute(
            "INSERT INTO witness_log (origin, size, root) VALUES (?, ?, ?)", (origin, new.size, new.root)
        )
        return
    if current == new:
        return
    changed = raw.execute(
        "UPDATE witness_log SET size = ?, root = ? WHERE origin = ? AND size = ? AND root = ?",
        (new.size, new.root, origin, current.size, current.root),
    ).rowcount
    if changed != 1:  # cannot happen under BEGIN IMMEDIATE; refuse rather than answer
        raise StorageError(f"the witness state of {origin} changed under a write lock")
