"""1. Building a big ledger (batch append) and verifying all of it.

- Batch append: entries/s inside LedgerStore.append while building the ledger, against raw
  sqlite3 ``executemany`` of the same entry bytes, one transaction per batch, WAL + FULL.
- Full verify: ``LedgerService.verification.verify()`` in a fresh subprocess (so its peak RSS
  is its own), entries/s against the hashing floor: hashlib alone computing the leaf hashes,
  chain links and RFC 9162 Merkle root over the same entry bytes, already in memory.
- Peak RSS of verification against an idle interpreter with the same imports.

    python -m benchmarks.bench_verify [--quick]
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import time

from benchmarks.common import (
    PROJECT_ROOT,
    BuiltLedger,
    Context,
    Row,
    log,
    mb,
    peak_rss_kib,
    rate,
    run,
)
from services.verification import default_workers

BATCH_TARGET = 20_000  # entries/s
VERIFY_RATIO_TARGET = 0.5
MEMORY_TARGET_MB = 150


def hashing_floor(built: BuiltLedger) -> tuple[float, bytes]:
    """Seconds hashlib alone needs for every leaf hash, chain link and the Merkle root.

    Entry bytes are read from the database a chunk at a time with the clock stopped; only
    the hashing of bytes already in memory is timed. Returns (seconds, root).
    """
    sha256 = hashlib.sha256
    stack: list[bytes] = []  # the compact range: one perfect-subtree hash per set bit of size
    size, seconds = 0, 0.0
    link = "0" * 64
    for chunk in built.entry_bytes(0, built.size):
        start = time.perf_counter()
        for data in chunk:
            node = sha256(b"\x00" + data).digest()
            link = node.hex()  # the next entry's prev
            n = size
            while n & 1:
                node = sha256(b"\x01" + stack.pop() + node).digest()
                n >>= 1
            stack.append(node)
            size += 1
        seconds += time.perf_counter() - start
    start = time.perf_counter()
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = sha256(b"\x01" + left + root).digest()
    seconds += time.perf_counter() - start
    assert size == built.size and len(link) == 64
    return seconds, root


def raw_batch_rate(built: BuiltLedger, path: str, count: int, batch: int) -> float:
    """Entries/s of raw sqlite3 executemany of the same bytes, ``batch`` rows per transaction."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)")
    seconds, seq = 0.0, 0
    for chunk in built.entry_bytes(0, count, chunk=batch):
        rows = [(seq + i, body) for i, body in enumerate(chunk)]
        start = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        con.executemany("INSERT INTO entries (seq, body) VALUES (?, ?)", rows)
        con.execute("COMMIT")
        seconds += time.perf_counter() - start
        seq += len(rows)
    con.close()
    return seq / seconds


def child(mode: str, built: BuiltLedger) -> dict[str, object]:
    """Run ``verify`` (or nothing, for ``idle``) in a fresh interpreter; return what it reports."""
    command = [sys.executable, "-m", "benchmarks.bench_verify", "--child", mode, built.url]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench(context: Context) -> list[Row]:
    built = context.ledger()
    size = built.size
    rows: list[Row] = []

    sample = min(context.sizes.raw_batch_sample, size)
    log(f"raw sqlite3 batch-insert baseline over {sample:,} entries")
    raw = raw_batch_rate(built, str(context.path("raw-batch.db")), sample, context.sizes.batch)
    ours = built.append_rate()
    rows.append(
        Row(
            "verify",
            f"batch append ({context.sizes.batch:,}/txn, {size:,} entries of "
            f"~{built.mean_entry_bytes:,.0f} B)",
            rate(ours),
            f"raw sqlite3 executemany: {rate(raw)}",
            ours / raw,
            f">= {BATCH_TARGET:,} entries/s",
            ours >= BATCH_TARGET,
        )
    )

    log("hashing floor (hashlib over the same bytes, in memory)")
    floor_seconds, floor_root = hashing_floor(built)
    floor_rate = size / floor_seconds

    idle = child("idle", built)
    idle_kib = int(str(idle["self_peak_kib"]))
    auto = default_workers(size)
    # 'auto' is what `rledger verify` does; also 1 worker, and 2 when auto is 1 (quick sizes).
    for mode in ["auto", *(w for w in ("1", "2") if int(w) != auto)]:
        label = f"workers=auto({auto})" if mode == "auto" else f"workers={mode}"
        log(f"verify in a subprocess, {label}")
        report = child(mode, built)
        if report["size"] != size or report["root"] != floor_root.hex():
            raise RuntimeError(f"verification disagrees with the hashing floor: {report}")
        verify_rate = size / float(str(report["seconds"]))
        rows.append(
            Row(
                "verify",
                f"full verify, {label}",
                rate(verify_rate),
                f"hashlib floor: {rate(floor_rate)}",
                verify_rate / floor_rate,
                f">= {VERIFY_RATIO_TARGET}",
                verify_rate / floor_rate >= VERIFY_RATIO_TARGET,
            )
        )
        peak = int(str(report["self_peak_kib"]))
        workers_peak = int(str(report["children_peak_kib"]))
        rows.append(
            Row(
                "verify",
                f"peak RSS, {label}" + (f" (+ each pool worker {mb(workers_peak)})" if workers_peak else ""),
                mb(peak),
                f"idle interpreter, same imports: {mb(idle_kib)}",
                peak / idle_kib,
                f"<= {MEMORY_TARGET_MB} MB",
                peak / 1024 <= MEMORY_TARGET_MB and workers_peak / 1024 <= MEMORY_TARGET_MB,
            )
        )
    return rows


def _child_main(mode: str, url: str) -> None:
    import resource

    from benchmarks.common import START
    from ledger.clock import FixedClock
    from services.ledger_service import LedgerService
    from store.ledger_store import LedgerStore

    report: dict[str, object] = {}
    if mode != "idle":
        service = LedgerService(LedgerStore.open(url), FixedClock(START))
        start = time.perf_counter()
        verified = service.verification.verify(workers=None if mode == "auto" else int(mode))
        report.update(
            seconds=time.perf_counter() - start,
            size=verified.size,
            root=verified.root.hex(),
            checkpoints=verified.checkpoints_checked,
        )
        service.store.close()
    report["self_peak_kib"] = peak_rss_kib()
    report["children_peak_kib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps(report))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child_main(sys.argv[2], sys.argv[3])
    else:
        run("Release Ledger benchmark: build and verify", [bench])
