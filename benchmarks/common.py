"""Shared pieces: sizes, a builder for realistic ledgers, timing helpers and the result table.

Nothing here asserts on time. Benchmarks measure, compare with a baseline measured in the
same run, and print; the only failures are crashes (or a benchmark computing a wrong root).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cli.demo
from governance.record import DECISION_KIND
from ledger.clock import FixedClock
from ledger.scoring.assess import decision_payload
from ledger.scoring.input import load_decision_file, parse_request
from ledger.scoring.rules import DEFAULT_RULES
from ledger.tlog.note import Ed25519Signer
from services.ledger_service import LedgerService
from services.ports import PendingEntry
from store.ledger_store import LedgerStore

ORIGIN = "bench.example/ledger"
SIGNER_SEED = bytes(range(32))
ADMIN = "admin@example.com"
ADMIN_SEED = bytes(range(32, 64))
START = datetime(2026, 11, 22, tzinfo=UTC)
DEMO_FILE = "01-support-summarizer-1.1.yaml"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    entries: int  # the big ledger (verification, proofs), genesis included
    batch: int  # entries per LedgerStore.append while building it
    proof_sizes: tuple[int, ...]  # tree sizes proofs are asked against; multiples of batch
    proofs: int  # random proofs per (kind, tree size)
    durable_appends: int  # single-entry appends, ours and raw sqlite3 each
    pymerkle_leaves: int
    raw_batch_sample: int  # entries the raw sqlite3 batch-insert baseline writes


FULL = Sizes(1_000_000, 10_000, (10_000, 100_000, 1_000_000), 1_000, 300, 100_000, 100_000)
QUICK = Sizes(20_000, 1_000, (1_000, 10_000, 20_000), 100, 40, 5_000, 5_000)


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the result table. ``ratio`` is ours / baseline (or as ``ratio_of`` says)."""

    bench: str
    metric: str
    measured: str
    baseline: str = "-"
    ratio: float | None = None
    target: str = "-"
    meets: bool | None = None

    def cells(self) -> list[str]:
        ratio = "-" if self.ratio is None else f"{self.ratio:.3g}"
        meets = {None: "-", True: "yes", False: "NO"}[self.meets]
        return [self.bench, self.metric, self.measured, self.baseline, ratio, self.target, meets]


HEADER = ["bench", "metric", "measured (ours)", "baseline (same run)", "ratio", "target", "meets"]


def format_table(rows: Sequence[Row]) -> str:
    lines = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]

    def fmt(cells: list[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([fmt(HEADER), rule, *(fmt(cells) for cells in lines[1:])])


def rate(count: float, unit: str = "entries/s") -> str:
    return f"{count:,.0f} {unit}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def mb(kib: float) -> str:
    return f"{kib / 1024:.1f} MB"


def log(message: str) -> None:
    """Progress goes to stderr so stdout holds only results."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- timing ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed_calls(fn: Callable[..., Any], args: Sequence[tuple[Any, ...]], warmup: int = 10) -> list[float]:
    """Seconds per call of ``fn(*a)`` for each ``a``, after a few untimed warm-up calls."""
    for a in args[:warmup]:
        fn(*a)
    out = []
    clock = time.perf_counter
    for a in args:
        start = clock()
        fn(*a)
        out.append(clock() - start)
    return out


def peak_rss_kib() -> int:
    """Peak resident set size of this process (VmHWM), in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# -- realistic ledgers ------------------------------------------------------------------------


def realistic_payload() -> dict[str, Any]:
    """A real ``release.decision`` payload, built once from a demo decision file."""
    path = Path(cli.demo.__file__).parent / DEMO_FILE
    return decision_payload(parse_request(load_decision_file(path)), DEFAULT_RULES)


def decision(payload: dict[str, Any], i: int) -> PendingEntry:
    """The demo payload as decision number ``i``: a distinct model@version, so entries differ."""
    model, version = f"{payload['model']}-{i % 100:02d}", f"{i // 100}.{i % 100}"
    return PendingEntry(DECISION_KIND, {**payload, "model": model, "version": version}, (model, version))


def signer() -> Ed25519Signer:
    return Ed25519Signer.generate(ORIGIN, SIGNER_SEED)


def new_ledger(path: Path) -> tuple[LedgerService, Ed25519Signer, FixedClock]:
    """A fresh SQLite ledger holding only its genesis entries (init, first admin, policy)."""
    key, clock = signer(), FixedClock(START, step_seconds=1.0)
    service = LedgerService(LedgerStore.open(f"sqlite:///{path}"), clock, key)
    service.setup.initialize(ORIGIN, ADMIN, Ed25519Signer.generate("rledger-identity", ADMIN_SEED))
    return service, key, clock


@dataclass
class BuiltLedger:
    path: Path
    size: int
    batches: list[tuple[int, int, float]] = field(default_factory=list)  # (size after, entries, seconds)
    mean_entry_bytes: float = 0.0

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def append_rate(self, up_to: int | None = None, from_size: int = 0) -> float:
        """Entries per second inside LedgerStore.append, over the batches that end at or before
        ``up_to`` and start at or after ``from_size``."""
        chosen = [
            (n, s) for end, n, s in self.batches if (up_to is None or end <= up_to) and end - n >= from_size
        ]
        return sum(n for n, _ in chosen) / sum(s for _, s in chosen)

    def service(self) -> LedgerService:
        return LedgerService(LedgerStore.open(self.url), FixedClock(START))

    def entry_bytes(self, first: int, count: int, chunk: int = 4096) -> Iterator[list[bytes]]:
        """Stored entry bytes [first, first+count) in chunks, read with plain sqlite3."""
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            cursor = con.execute(
                "SELECT body FROM ledger_entries WHERE seq >= ? AND seq < ? ORDER BY seq",
                (first, first + count),
            )
            while rows := cursor.fetchmany(chunk):
                yield [bytes(body) for (body,) in rows]
        finally:
            con.close()


def build_ledger(path: Path, entries: int, batch: int) -> BuiltLedger:
    """A ledger of ``entries`` realistic decisions appended ``batch`` at a time.

    The first batch is short by the genesis entries, so every checkpoint lands on a
    multiple of ``batch`` and proofs against sizes like 10k and 100k are against real
    signed checkpoints. Only the time inside ``LedgerStore.append`` is counted. Entries go
    straight to the store (no governance check), as the storage layer sees them.
    """
    service, key, clock = new_ledger(path)
    store, payload = service.store, realistic_payload()
    built = BuiltLedger(path, store.size())  # genesis
    report_every = max(batch, entries // 10)
    entry_bytes = entry_count = 0
    while built.size < entries:
        count = min(batch - built.size % batch, entries - built.size)
        pending = [decision(payload, i) for i in range(built.size, built.size + count)]
        start = time.perf_counter()
        result = store.append(pending, clock.now(), key)
        seconds = time.perf_counter() - start
        built.size += count
        built.batches.append((built.size, count, seconds))
        if entry_count < 100_000:
            entry_bytes += sum(len(e.data) for e in result.entries)
            entry_count += count
        if built.size % report_every < count or built.size == entries:
            log(f"built {built.size:,}/{entries:,} entries ({built.append_rate():,.0f} entries/s)")
    store.close()
    built.mean_entry_bytes = entry_bytes / entry_count
    return built


# -- running --------------------------------------------------------------------------------


@dataclass
class Context:
    """What one run shares: sizes, a temporary directory, and the big ledger once built."""

    sizes: Sizes
    quick: bool
    workdir: Path
    _ledger: BuiltLedger | None = None

    def ledger(self) -> BuiltLedger:
        if self._ledger is None:
            log(f"building a {self.sizes.entries:,}-entry ledger in batches of {self.sizes.batch:,}")
            self._ledger = build_ledger(self.workdir / "big.db", self.sizes.entries, self.sizes.batch)
        return self._ledger

    def path(self, name: str) -> Path:
        return self.workdir / name


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("RLEDGER_BENCH_QUICK", "") not in ("", "0"),
        help="small sizes for a smoke run (also RLEDGER_BENCH_QUICK=1)",
    )
    return parser.parse_args(argv)


def environment() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} cpu(s), load average {load}"
    )


def run(
    title: str,
    benches: Sequence[Callable[[Context], list[Row]]],
    argv: Sequence[str] | None = None,
) -> list[Row]:
    """Run benchmarks in one temporary directory, print the table, clean up, return the rows."""
    args = parse_args(title, argv)
    sizes = QUICK if args.quick else FULL
    print(f"{title} ({'quick' if args.quick else 'full'} sizes)")
    print(f"start: {environment()}")
    print(f"sizes: {sizes}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="rledger-bench-"))
    rows: list[Row] = []
    started = time.perf_counter()
    try:
        context = Context(sizes, args.quick, workdir)
        for bench in benches:
            section = bench(context)
            print()
            print(format_table(section), flush=True)
            rows += section
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(f"== summary ({'quick' if args.quick else 'full'} sizes, {time.perf_counter() - started:.0f} s) ==")
    print(format_table(rows))
    print(f"end: {environment()}")
    print("Ratios compare with baselines measured in this run; nothing here fails on a time.")
    return rows
