"""2. Durable single-entry appends.

Each ``LedgerStore.append`` of one realistic decision is its own fsync'd transaction that
also signs and stores a checkpoint. The baseline is raw sqlite3 inserting the same entry
bytes, one transaction per row, with the same durability settings (WAL, synchronous=FULL).
The two alternate in blocks so that background load affects both alike.

    python -m benchmarks.bench_append [--quick]
"""

from __future__ import annotations

import sqlite3

from benchmarks import durable
from benchmarks import floors as floor_of
from benchmarks.common import Context, Row, log, new_ledger, rate, run


def bench(context: Context) -> list[Row]:
    service, key, clock = new_ledger(context.path("durable.db"))
    raw = sqlite3.connect(context.path("durable-raw.db"), isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)")

    def raw_insert(row: tuple[int, bytes]) -> None:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO entries (seq, body) VALUES (?, ?)", row)
        raw.execute("COMMIT")

    count = context.sizes.durable_appends
    log(f"{count} durable single-entry appends, ours and raw sqlite3, in turns, {durable.BLOCK} each")
    first = service.store.size()
    try:
        ours, baseline = durable.alternate(service.store, key, clock.now, count, raw_insert)
    finally:
        raw.close()
        service.store.close()
    log("floor: the same rows written by raw sqlite3 into the ledger's own tables, one transaction each")
    floor = floor_of.schema_single_rate(context.path("durable.db"), context.workdir, first)
    ours_rate = len(ours) / sum(ours)
    return [
        *durable.rows("append", "raw sqlite3", ours, baseline),
        Row(
            "append",
            "floor: the same rows into the ledger's own tables (entry, decision, nodes, checkpoint)",
            rate(floor, "appends/s"),
            f"ours: {rate(ours_rate, 'appends/s')}",
            ours_rate / floor,
        ),
    ]


if __name__ == "__main__":
    run("Release Ledger benchmark: durable appends", [bench])
