"""2. Durable single-entry appends.

Each ``LedgerStore.append`` of one realistic decision is its own fsync'd transaction that
also signs and stores a checkpoint. The baseline is raw sqlite3 inserting the same entry
bytes, one transaction per row, with the same durability settings (WAL, synchronous=FULL).
The two alternate in blocks so that background load affects both alike.

    python -m benchmarks.bench_append [--quick]
"""

from __future__ import annotations

import sqlite3
import time

from benchmarks.common import (
    Context,
    Row,
    decision,
    log,
    median,
    ms,
    new_ledger,
    rate,
    realistic_payload,
    run,
)

RATIO_TARGET = 0.5
BLOCK = 20


def bench(context: Context) -> list[Row]:
    service, key, clock = new_ledger(context.path("durable.db"))
    store, payload = service.store, realistic_payload()
    raw = sqlite3.connect(context.path("durable-raw.db"), isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)")
    count = context.sizes.durable_appends
    log(f"{count} durable single-entry appends, ours and raw sqlite3, alternating in blocks of {BLOCK}")
    ours: list[float] = []
    baseline: list[float] = []
    clock_fn = time.perf_counter
    for block_start in range(1, count + 1, BLOCK):
        block = range(block_start, min(block_start + BLOCK, count + 1))
        written: list[tuple[int, bytes]] = []
        for i in block:
            pending = [decision(payload, i)]
            start = clock_fn()
            result = store.append(pending, clock.now(), key)
            ours.append(clock_fn() - start)
            written.append((i, result.entries[0].data))
        for row in written:
            start = clock_fn()
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO entries (seq, body) VALUES (?, ?)", row)
            raw.execute("COMMIT")
            baseline.append(clock_fn() - start)
    raw.close()
    store.close()
    ours_rate, raw_rate = len(ours) / sum(ours), len(baseline) / sum(baseline)
    return [
        Row(
            "append",
            f"durable single-entry append ({count} appends)",
            rate(ours_rate, "appends/s"),
            f"raw sqlite3, 1 row/txn: {rate(raw_rate, 'appends/s')}",
            ours_rate / raw_rate,
            f">= {RATIO_TARGET}",
            ours_rate / raw_rate >= RATIO_TARGET,
        ),
        Row(
            "append",
            "durable single-entry append: median latency",
            ms(median(ours)),
            f"raw sqlite3: {ms(median(baseline))}",
            median(ours) / median(baseline),
        ),
    ]


if __name__ == "__main__":
    run("Release Ledger benchmark: durable appends", [bench])
