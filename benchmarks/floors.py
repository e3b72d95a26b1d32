"""The floors beneath the issue's targets, measured in the same run (benchmarks/README.md, "Floors").

The issue's baselines leave out work the ledger's format requires. These measure that work
alone, with plain sqlite3 and the same bytes, so a missed target can be read against what the
format makes unavoidable:

- the batch insert: raw ``executemany`` of the same rows into the ledger's own tables (the
  same indexes and append-only guard triggers), not into a two-column table;
- building an entry: the canonical encoding's value-space check (a walk of the payload in
  Python), ``orjson.dumps`` with sorted keys and the leaf hash, per entry;
- full verification: ``orjson.loads`` + the canonical re-encode (``orjson.dumps``, compared
  with the stored bytes, docs/formats.md) + SHA-256, over bytes in memory;
- integrity-only verification: reading each entry and its recorded leaf hash from SQLite
  (plain sqlite3, 4,096 rows per query) + SHA-256.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks.common import BuiltLedger, decision, new_ledger, realistic_payload
from ledger.encoding.canonical import check_value_space
from store.schema import LEVEL_SHIFT

ENTRY_COLUMNS = "seq, leaf_hash, kind, body"
DECISION_COLUMNS = "seq, model, version, leaf_hex"
INSERT_ENTRY = f"INSERT INTO ledger_entries ({ENTRY_COLUMNS}) VALUES (?, ?, ?, ?)"
INSERT_DECISION = f"INSERT INTO ledger_decisions ({DECISION_COLUMNS}) VALUES (?, ?, ?, ?)"


def schema_insert_rate(built: BuiltLedger, workdir: Path, count: int, batch: int) -> float:
    """Entries/s of raw sqlite3 executemany of ``count`` stored entries and their decision rows
    into a fresh ledger's own tables, ``batch`` per transaction, WAL + synchronous=FULL."""
    path = workdir / "schema-floor.db"
    service, _, _ = new_ledger(path)  # the migrated schema, triggers and all, with its genesis
    first = service.store.size()
    service.store.close()
    source = sqlite3.connect(f"file:{built.path}?mode=ro", uri=True)
    target = sqlite3.connect(path, isolation_level=None)
    target.execute("PRAGMA synchronous=FULL")
    seconds, done = 0.0, 0
    try:
        for start in range(first, first + count, batch):
            end = min(start + batch, first + count)
            entries = source.execute(
                f"SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE seq >= ? AND seq < ?", (start, end)
            ).fetchall()
            decisions = source.execute(
                f"SELECT {DECISION_COLUMNS} FROM ledger_decisions WHERE seq >= ? AND seq < ?", (start, end)
            ).fetchall()
            clock = time.perf_counter()
            target.execute("BEGIN IMMEDIATE")
            target.executemany(INSERT_ENTRY, entries)
            target.executemany(INSERT_DECISION, decisions)
            target.execute("COMMIT")
            seconds += time.perf_counter() - clock
            done += len(entries)
    finally:
        source.close()
        target.close()
    return done / seconds


def entry_build_rates(count: int) -> tuple[float, float]:
    """(entries/s of the value-space check alone, of check + dumps + leaf hash) over ``count``
    realistic entry values, as Entry.create builds them."""
    payload = realistic_payload()
    values = [
        {"kind": "release.decision", "payload": decision(payload, i).payload, "prev": "0" * 64, "seq": i,
         "time": "2026-11-22T00:00:00Z"}
        for i in range(count)
    ]  # fmt: skip
    clock = time.perf_counter()
    for value in values:
        check_value_space(value)
    check = time.perf_counter() - clock
    dumps, sort, sha256 = orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256
    clock = time.perf_counter()
    for value in values:
        check_value_space(value)
        sha256(b"\x00" + dumps(value, option=sort)).digest()
    return count / check, count / (time.perf_counter() - clock)


def full_verify_floor(built: BuiltLedger) -> float:
    """Entries/s of loads + canonical re-encode and compare + SHA-256, bytes already in memory."""
    loads, dumps, sort, sha256 = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256
    seconds = 0.0
    for chunk in built.entry_bytes(0, built.size):
        clock = time.perf_counter()
        for data in chunk:
            if dumps(loads(data), option=sort) != data:
                raise RuntimeError("a stored entry is not canonical")
            sha256(b"\x00" + data).digest()
        seconds += time.perf_counter() - clock
    return built.size / seconds


def read_and_hash_floor(built: BuiltLedger, chunk: int = 4096) -> float:
    """Entries/s of reading each entry and its recorded leaf hash with plain sqlite3, by seq
    range, and hashing it: everything integrity-only verification must do but the tree."""
    con = sqlite3.connect(f"file:{built.path}?mode=ro", uri=True)
    sha256 = hashlib.sha256
    clock = time.perf_counter()
    try:
        for start in range(0, built.size, chunk):
            rows = con.execute(
                "SELECT body, leaf_hash FROM ledger_entries WHERE seq >= ? AND seq < ? ORDER BY seq",
                (start, start + chunk),
            ).fetchall()
            for body, leaf in rows:
                if sha256(b"\x00" + body).digest() != leaf:
                    raise RuntimeError("a stored leaf hash disagrees")
    finally:
        con.close()
    return built.size / (time.perf_counter() - clock)


def schema_single_rate(source: Path, workdir: Path, first: int) -> float:
    """Appends/s of raw sqlite3 writing, one durable transaction per append, the rows each
    single-entry append from seq ``first`` on wrote into ``source``: its entry, decision row,
    new subtree hashes and signed checkpoint, into a fresh ledger's own tables (WAL + FULL).
    The same database work as ours, without any of our code: the floor of a durable append."""
    path = workdir / "single-floor.db"
    service, _, _ = new_ledger(path)  # the same genesis as ``source``'s (same seeds and clock)
    service.store.close()
    read = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    appends = [_rows_of_append(read, seq) for (seq,) in read.execute(
        "SELECT seq FROM ledger_entries WHERE seq >= ? ORDER BY seq", (first,)
    ).fetchall()]  # fmt: skip
    read.close()
    target = sqlite3.connect(path, isolation_level=None)
    target.execute("PRAGMA synchronous=FULL")
    clock = time.perf_counter()
    for entry, decision_rows, nodes, checkpoint in appends:
        target.execute("BEGIN IMMEDIATE")
        target.execute(INSERT_ENTRY, entry)
        target.executemany(INSERT_DECISION, decision_rows)
        target.executemany("INSERT INTO ledger_nodes (id, hash) VALUES (?, ?)", nodes)
        target.execute("INSERT INTO ledger_checkpoints (size, root, note) VALUES (?, ?, ?)", checkpoint)
        target.execute("COMMIT")
    seconds = time.perf_counter() - clock
    target.close()
    return len(appends) / seconds


def _rows_of_append(con: sqlite3.Connection, seq: int) -> tuple[Any, list[Any], list[Any], Any]:
    """The rows one single-entry append of entry ``seq`` wrote (a subtree hash (level, index)
    is written by the append of leaf ((index + 1) << level) - 1)."""
    entry = con.execute(f"SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE seq = ?", (seq,)).fetchone()
    decisions = con.execute(
        f"SELECT {DECISION_COLUMNS} FROM ledger_decisions WHERE seq = ?", (seq,)
    ).fetchall()
    ids = [
        (level << LEVEL_SHIFT) | (((seq + 1) >> level) - 1)
        for level in range(1, 64)
        if (seq + 1) % (1 << level) == 0
    ]
    nodes = [con.execute("SELECT id, hash FROM ledger_nodes WHERE id = ?", (i,)).fetchone() for i in ids]
    checkpoint = con.execute(
        "SELECT size, root, note FROM ledger_checkpoints WHERE size = ?", (seq + 1,)
    ).fetchone()
    return entry, decisions, nodes, checkpoint
