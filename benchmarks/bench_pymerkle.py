"""4. Side by side with pymerkle on the same leaves.

The leaves are the first N entries of the big ledger (100k at full size), byte for byte, so
pymerkle's RFC 9162 root must equal ours; the benchmark checks that before printing.

- append: our batch append rate while building those N entries (LedgerStore.append, 10k per
  transaction, entries created, stored, indexed and checkpointed) against pymerkle's
  ``SqliteTree.append_entries`` (one bulk transaction, default journal) and
  ``InmemoryTree.append_entry`` (no storage at all).
- proofs: the same random inclusion and consistency challenges at tree size N through
  ``LedgerService`` and through pymerkle's ``prove_inclusion`` / ``prove_consistency``.

Ratios are ours / pymerkle of the same metric: above 1 is better for a rate, below 1 for a latency.

    python -m benchmarks.bench_pymerkle [--quick]
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.bench_proofs import proof_args
from benchmarks.common import Context, Row, log, median, ms, percentile, rate, run, timed_calls
from ledger.tlog import merkle


def _pymerkle() -> Any:
    try:
        import pymerkle  # type: ignore[import-untyped]
    except ImportError:
        return None
    return pymerkle


def bench(context: Context) -> list[Row]:
    pymerkle = _pymerkle()
    if pymerkle is None:
        return [Row("pymerkle", "skipped: pymerkle is not installed", "-", "pip install pymerkle")]
    built = context.ledger()
    n = min(context.sizes.pymerkle_leaves, built.size)
    leaves = [data for chunk in built.entry_bytes(0, n) for data in chunk]
    ours_append = built.append_rate(up_to=n)

    log(f"pymerkle {pymerkle.__version__}: appending {n:,} leaves to InmemoryTree and SqliteTree")
    memory = pymerkle.InmemoryTree()
    start = time.perf_counter()
    for data in leaves:
        memory.append_entry(data)
    memory_append = n / (time.perf_counter() - start)
    sqlite_tree = pymerkle.SqliteTree(str(context.path("pymerkle.db")))
    start = time.perf_counter()
    sqlite_tree.append_entries(leaves)
    sqlite_append = n / (time.perf_counter() - start)
    del leaves

    service = built.service()
    inclusion, consistency = proof_args(n, context.sizes.proofs, seed=7)
    trees = {"ours": service, "pymerkle InmemoryTree": memory, "pymerkle SqliteTree": sqlite_tree}
    latency: dict[tuple[str, str], tuple[float, float]] = {}
    for name, tree in trees.items():
        if name == "ours":
            calls = {
                "inclusion": (tree.inclusion_proof, inclusion),
                "consistency": (tree.consistency_proof, consistency),
            }
        else:  # pymerkle counts leaves from one
            one_based = [(index + 1, size) for index, size in inclusion]
            calls = {
                "inclusion": (tree.prove_inclusion, one_based),
                "consistency": (tree.prove_consistency, consistency),
            }
        for kind, (fn, args) in calls.items():
            log(f"{len(args):,} {kind} proofs at size {n:,}: {name}")
            seconds = timed_calls(fn, args)
            latency[(name, kind)] = (median(seconds), percentile(seconds, 99))

    ours_root = merkle.root_from(n, service.store.nodes(merkle.frontier_ids(n)))
    for name, tree in trees.items():
        if name != "ours" and tree.get_root(n) != ours_root:
            raise RuntimeError(f"{name} computed a different root over the same leaves")
    service.store.close()
    sqlite_tree.close()

    rows = [
        Row(
            "pymerkle",
            f"append {n:,} leaves vs {name}",
            rate(ours_append),
            f"{name}: {rate(theirs)}",
            ours_append / theirs,
            ">1: ours faster",
        )
        for name, theirs in (
            ("SqliteTree.append_entries", sqlite_append),
            ("InmemoryTree.append_entry", memory_append),
        )
    ]
    for kind in ("inclusion", "consistency"):
        ours_median, ours_p99 = latency[("ours", kind)]
        for name in ("pymerkle InmemoryTree", "pymerkle SqliteTree"):
            their_median, their_p99 = latency[(name, kind)]
            rows.append(
                Row(
                    "pymerkle",
                    f"{kind} proof @ {n:,} vs {name}: median (p99)",
                    f"{ms(ours_median)} ({ms(ours_p99)})",
                    f"{ms(their_median)} ({ms(their_p99)})",
                    ours_median / their_median,
                    "<1: ours faster",
                )
            )
    rows.append(Row("pymerkle", "roots over the same leaves agree", "yes", "yes"))
    return rows


if __name__ == "__main__":
    run("Release Ledger benchmark: side by side with pymerkle", [bench])
