"""Durable single-entry appends against a raw driver's one-row transactions, alternating in
blocks so that background load hits both sides alike (bench_append: SQLite; bench_pg_append:
PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from benchmarks.common import Row, decision, median, ms, rate, realistic_payload
from ledger.tlog.note import Signer
from services.ports import LogStore

BLOCK = 20
RATIO_TARGET = 0.5  # of the raw driver's rate at the same durability (issue 14)


def alternate(
    store: LogStore,
    key: Signer,
    now: Callable[[], Any],
    count: int,
    raw_insert: Callable[[tuple[int, bytes]], None],
) -> tuple[list[float], list[float]]:
    """(seconds of each of our appends, seconds of each raw insert of the same bytes)."""
    payload = realistic_payload()
    ours: list[float] = []
    baseline: list[float] = []
    clock = time.perf_counter
    for block_start in range(1, count + 1, BLOCK):
        written: list[tuple[int, bytes]] = []
        for i in range(block_start, min(block_start + BLOCK, count + 1)):
            start = clock()
            result = store.append([decision(payload, i)], now(), key)
            ours.append(clock() - start)
            written.append((i, result.entries[0].data))
        for row in written:
            start = clock()
            raw_insert(row)
            baseline.append(clock() - start)
    return ours, baseline


def rows(bench: str, raw_name: str, ours: list[float], baseline: list[float]) -> list[Row]:
    """The rate row (with the target) and the median latency row."""
    ours_rate, raw_rate = len(ours) / sum(ours), len(baseline) / sum(baseline)
    return [
        Row(
            bench,
            f"durable single-entry append ({len(ours)} appends)",
            rate(ours_rate, "appends/s"),
            f"{raw_name}, 1 row/txn: {rate(raw_rate, 'appends/s')}",
            ours_rate / raw_rate,
            f">= {RATIO_TARGET}",
            ours_rate / raw_rate >= RATIO_TARGET,
        ),
        Row(
            bench,
            "durable single-entry append: median latency",
            ms(median(ours)),
            f"{raw_name}: {ms(median(baseline))}",
            median(ours) / median(baseline),
        ),
    ]
