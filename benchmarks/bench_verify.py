"""1. Building a big ledger (batch append) and verifying all of it.

- Batch append: entries/s inside LedgerStore.append while building the ledger, against raw
  sqlite3 ``executemany`` of the same entry bytes, one transaction per batch, WAL + FULL.
- Full verify: ``LedgerService.verification.verify()`` in a fresh subprocess (so its peak RSS
  is its own), with one and two workers, entries/s against the floor of what it must do:
  ``orjson.loads`` plus SHA-256 of every entry, over the same bytes already in memory.
- Integrity-only verify (``integrity_only=True``, no parsing): against SHA-256 alone.
- Two workers against one, for each; peak RSS against an idle interpreter, same imports.

    python -m benchmarks.bench_verify [--quick]
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import time

import orjson

from benchmarks import floors as floor_of
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

BATCH_TARGET = 20_000  # entries/s
FULL_RATIO_TARGET = 0.8  # of the orjson.loads + SHA-256 floor, one worker (issue 14)
INTEGRITY_RATIO_TARGET = 0.5  # of the SHA-256 floor, one worker
SPEEDUP_TARGET = 1.7  # two workers against one
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

    rows += append_floor_rows(context, built, ours)

    log("floors: orjson.loads + SHA-256, and SHA-256 alone, over the same bytes in memory")
    parse_floor, sha_floor = floors(built)
    floor_seconds, floor_root = hashing_floor(built)
    idle = child("idle", built)
    idle_kib = int(str(idle["self_peak_kib"]))
    measured: dict[str, float] = {}
    for how, floor, target, floor_name in (
        ("full", parse_floor, FULL_RATIO_TARGET, "orjson.loads + SHA-256"),
        ("integrity", sha_floor, INTEGRITY_RATIO_TARGET, "SHA-256 alone"),
    ):
        for workers in ("1", "2"):
            label = f"{'full verify' if how == 'full' else 'integrity-only verify'}, workers={workers}"
            log(f"{label}, in a subprocess")
            report = child(f"{how}:{workers}", built)
            if report["size"] != size or report["root"] != floor_root.hex():
                raise RuntimeError(f"verification disagrees with the hashing floor: {report}")
            measured[f"{how}:{workers}"] = verify_rate = size / float(str(report["seconds"]))
            rows.append(
                Row(
                    "verify",
                    label,
                    rate(verify_rate),
                    f"{floor_name} floor: {rate(floor)}",
                    verify_rate / floor,
                    f">= {target}",
                    verify_rate / floor >= target,
                )
            )
            rows.append(_memory_row(label, report, idle_kib))
        speedup = measured[f"{how}:2"] / measured[f"{how}:1"]
        rows.append(
            Row(
                "verify",
                f"{how} verify, 2 workers against 1",
                f"{speedup:.2f}x",
                "one worker, same run",
                speedup,
                f">= {SPEEDUP_TARGET}x",
                speedup >= SPEEDUP_TARGET,
            )
        )
    log(f"(the whole-tree hashing floor, leaf + node hashes: {rate(size / floor_seconds)})")
    rows += verify_floor_rows(built, measured)
    return rows


def append_floor_rows(context: Context, built: BuiltLedger, ours: float) -> list[Row]:
    """Flatness of the batch rate, and what the format and schema make the floor of an append."""
    window = max(context.sizes.batch, built.size // 10)
    first, last = built.append_rate(up_to=window), built.append_rate(from_size=built.size - window)
    log("floors: raw executemany into the ledger's own tables; building entries in Python")
    sample = min(context.sizes.raw_batch_sample, built.size - 10)
    schema = floor_of.schema_insert_rate(built, context.workdir, sample, context.sizes.batch)
    check, build = floor_of.entry_build_rates(min(sample, 20_000))
    ceiling = 1 / (1 / schema + 1 / build)
    return [
        Row("verify", f"batch append, last {window:,} entries", rate(last),
            f"first {window:,}: {rate(first)}", last / first, ">= 0.8", last / first >= 0.8),
        Row("verify", "floor: raw executemany into the ledger's own tables (indexes, guard triggers)",
            rate(schema), "-", None),
        Row("verify", "floor: value-space check alone (Python walk of the payload)", rate(check)),
        Row("verify", "floor: building entries (value-space check + dumps + leaf hash)", rate(build)),
        Row("verify", "batch append against the two floors in sequence", rate(ours), rate(ceiling),
            ours / ceiling),
    ]  # fmt: skip


def verify_floor_rows(built: BuiltLedger, measured: dict[str, float]) -> list[Row]:
    """One-worker rates against the floors the format makes unavoidable (benchmarks/floors.py)."""
    log("floors: loads + canonical re-encode + SHA-256; reading from SQLite + SHA-256")
    full = floor_of.full_verify_floor(built)
    read = floor_of.read_and_hash_floor(built)
    return [
        Row("verify", "full verify, workers=1, against loads + re-encode + SHA-256", rate(measured["full:1"]),
            f"floor: {rate(full)}", measured["full:1"] / full),
        Row("verify", "integrity-only, workers=1, against reading + SHA-256", rate(measured["integrity:1"]),
            f"floor (plain sqlite3): {rate(read)}", measured["integrity:1"] / read),
    ]  # fmt: skip


def floors(built: BuiltLedger) -> tuple[float, float]:
    """Entries/s of orjson.loads + SHA-256 of the leaf, and of the SHA-256 alone, over the
    stored bytes already in memory (read a chunk at a time with the clock stopped)."""
    loads, sha256 = orjson.loads, hashlib.sha256
    parse_seconds = sha_seconds = 0.0
    for chunk in built.entry_bytes(0, built.size):
        start = time.perf_counter()
        for data in chunk:
            loads(data)
            sha256(b"\x00" + data).digest()
        middle = time.perf_counter()
        for data in chunk:
            sha256(b"\x00" + data).digest()
        parse_seconds += middle - start
        sha_seconds += time.perf_counter() - middle
    return built.size / parse_seconds, built.size / sha_seconds


def _memory_row(label: str, report: dict[str, object], idle_kib: int) -> Row:
    peak = int(str(report["self_peak_kib"]))
    workers_peak = int(str(report["children_peak_kib"]))
    return Row(
        "verify",
        f"peak RSS, {label}" + (f" (+ each pool worker {mb(workers_peak)})" if workers_peak else ""),
        mb(peak),
        f"idle interpreter, same imports: {mb(idle_kib)}",
        peak / idle_kib,
        f"<= {MEMORY_TARGET_MB} MB",
        peak / 1024 <= MEMORY_TARGET_MB and workers_peak / 1024 <= MEMORY_TARGET_MB,
    )


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
        how, workers = mode.split(":")
        verified = service.verification.verify(workers=int(workers), integrity_only=how == "integrity")
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
