"""Every benchmark in one run, sharing one big ledger: ``make bench`` (or ``make bench-quick``).

python -m benchmarks.run_all [--quick]
"""

from __future__ import annotations

from benchmarks import bench_append, bench_proofs, bench_pymerkle, bench_startup, bench_verify
from benchmarks.common import run

BENCHES = [
    bench_verify.bench,
    bench_proofs.bench,
    bench_pymerkle.bench,
    bench_append.bench,
    bench_startup.bench,
]

if __name__ == "__main__":
    run("Release Ledger benchmarks", BENCHES)
