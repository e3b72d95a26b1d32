"""3. Proof generation through LedgerService at several tree sizes of one ledger.

Inclusion and consistency proofs against tree sizes that are signed checkpoints of the big
ledger (10k, 100k and 1M at full size). Reports median and p99 latency over random proofs,
and flatness: the median at the largest size over the median at the smallest.

    python -m benchmarks.bench_proofs [--quick]
"""

from __future__ import annotations

import base64
import random
from typing import Any

from benchmarks.common import Context, Row, log, median, ms, percentile, run, timed_calls
from ledger.tlog import merkle
from ledger.tlog.checkpoint import Checkpoint
from services.ledger_service import LedgerService

MEDIAN_TARGET_MS = 1.0


def _b(text: str) -> bytes:
    return base64.b64decode(text)


def check_proofs(service: LedgerService, size: int, index: int, old: int) -> None:
    """Untimed: one proof of each kind verifies against the signed checkpoint of ``size``."""
    note = service.store.checkpoint_at(size)
    if note is None:
        raise RuntimeError(f"no checkpoint at size {size}; batch boundaries are off")
    root = Checkpoint.open(note, service.log.verifier()).root
    inclusion = service.log.inclusion_proof(index, size)
    leaf = merkle.leaf_hash(service.log.entry(index))
    merkle.verify_inclusion(index, size, leaf, [_b(h) for h in inclusion["hashes"]], root)
    consistency = service.log.consistency_proof(old, size)
    old_root = _b(consistency["old_root"])
    merkle.verify_consistency(old, size, old_root, root, [_b(h) for h in consistency["hashes"]])


def proof_args(size: int, count: int, seed: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Random (index, size) inclusion and (old, size) consistency challenges."""
    rng = random.Random(seed)
    inclusion = [(rng.randrange(size), size) for _ in range(count)]
    consistency = [(rng.randrange(1, size), size) for _ in range(count)]
    return inclusion, consistency


def latency_rows(
    bench: str, kind: str, medians: dict[int, float], p99s: dict[int, float], extra: str = ""
) -> list[Row]:
    rows = []
    smallest = min(medians)
    for size in sorted(medians):
        rows.append(
            Row(
                bench,
                f"{kind} proof @ {size:,}{extra}: median (p99)",
                f"{ms(medians[size])} ({ms(p99s[size])})",
                f"median @ {smallest:,}: {ms(medians[smallest])}",
                medians[size] / medians[smallest],
                f"median <= {MEDIAN_TARGET_MS} ms",
                medians[size] * 1000 <= MEDIAN_TARGET_MS,
            )
        )
    return rows


def bench(context: Context) -> list[Row]:
    built = context.ledger()
    service = built.service()
    sizes = [s for s in context.sizes.proof_sizes if s <= built.size]
    results: dict[str, tuple[dict[int, float], dict[int, float]]] = {
        "inclusion": ({}, {}),
        "consistency": ({}, {}),
    }
    for size in sizes:
        inclusion, consistency = proof_args(size, context.sizes.proofs, seed=size)
        check_proofs(service, size, inclusion[0][0], consistency[0][0])
        calls: dict[str, tuple[Any, list[tuple[int, int]]]] = {
            "inclusion": (service.log.inclusion_proof, inclusion),
            "consistency": (service.log.consistency_proof, consistency),
        }
        for kind, (fn, args) in calls.items():
            log(f"{len(args):,} {kind} proofs at tree size {size:,}")
            seconds = timed_calls(fn, args)
            results[kind][0][size] = median(seconds)
            results[kind][1][size] = percentile(seconds, 99)
    service.store.close()
    rows: list[Row] = []
    for kind, (medians, p99s) in results.items():
        rows += latency_rows("proofs", kind, medians, p99s)
    rows.append(
        Row(
            "proofs",
            f"flatness: median @ {sizes[-1]:,} / median @ {sizes[0]:,} (inclusion, consistency)",
            ", ".join(f"{results[k][0][sizes[-1]] / results[k][0][sizes[0]]:.2f}" for k in results),
            "-",
            None,
            "~1 (O(log n) reads)",
        )
    )
    return rows


if __name__ == "__main__":
    run("Release Ledger benchmark: proof generation", [bench])
