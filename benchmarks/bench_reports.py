"""Report rendering: a release report and an auditor export over 1,000 decisions.

    python -m benchmarks.bench_reports            # 1,000 decisions
    python -m benchmarks.bench_reports --quick    # 100 decisions (RLEDGER_BENCH_QUICK=1 works too)

For each report it prints pages, pages per second for the whole command path (snapshot,
selection, inclusion proofs from storage, evidence checked as a verifier would, figures,
charts, HTML, PDF/A-3b with the attachment), and, measured in the same run, WeasyPrint
alone rendering the same finished HTML with the same options: the ratio total / WeasyPrint
is our overhead. It also times ``verify_report`` on each PDF. Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from governance import actions
from ledger.clock import FixedClock
from ledger.scoring.input import parse_decision_text
from ledger.tlog.note import Ed25519Signer
from reports import generate
from reports.period import parse_period
from reports.render import write_pdf_plain
from reports.verify import verify_report
from services.ledger_service import LedgerService
from services.settings import sqlite_url
from store.ledger_store import LedgerStore

ORIGIN = "bench.example/reports"
# After the template's evidence.evaluated_at (2026-11-20T12:00Z): the ledger refuses future instants.
START = datetime(2026, 11, 21, tzinfo=UTC)
MODELS = ("support-summarizer", "claims-assistant", "search-ranker", "code-helper")
PEOPLE = {"alice@example.com": ["submitter"], "rita@example.com": ["release-manager"]}


def _key(n: int, name: str = "rledger-identity") -> Ed25519Signer:
    return Ed25519Signer.generate(name, bytes([n]) * 32)


def build_ledger(path: Path, decisions: int) -> LedgerService:
    """``decisions`` low-tier decisions over four models, ten minutes apart; two in three promoted."""
    store = LedgerStore.open(sqlite_url(path))
    service = LedgerService(store, FixedClock(START, step_seconds=600), _key(1, ORIGIN))
    admin = _key(2)
    service.setup.initialize(ORIGIN, "admin@example.com", admin)
    keys = {name: _key(10 + n) for n, name in enumerate(PEOPLE)}
    for name, roles in PEOPLE.items():
        service.identities.add(name, roles, actions.public_key_b64(keys[name]), "admin@example.com", admin)
    template = (resources.files("cli.demo") / "03-support-summarizer-1.3.yaml").read_text()
    for n in range(decisions):
        data: dict[str, Any] = parse_decision_text(template)
        data["model"] = MODELS[n % len(MODELS)]
        data["version"] = f"2.{n}"
        data["scores"] = {**data["scores"], "performance": 80 + n % 15, "safety": 85 + n % 9}
        data["risk"] = {**data["risk"], "test_coverage": 60 + n % 40, "regression_surface": 10 + n % 30}
        data["rollback"] = {**data["rollback"], "rehearsed_at": "2026-11-04T00:00:00Z"}
        recorded = service.decisions.submit(data, "alice@example.com", keys["alice@example.com"])
        if n % 3 != 2:
            ref = f"{recorded.ref.model}@{recorded.ref.version}"
            service.lifecycle.promote(ref, "rita@example.com", keys["rita@example.com"])
        if n % 100 == 99:
            print(f"  built {n + 1} decisions", file=sys.stderr)
    return service


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_one(label: str, prepare: Callable[[], generate.Prepared], key: str, repeat: int) -> list[str]:
    def whole() -> tuple[generate.Prepared, bytes, int]:
        prepared = prepare()
        rendered = generate.render(prepared)
        return prepared, rendered.data, rendered.pages

    total, (prepared, data, pages) = _timed(whole, repeat)
    plain, _ = _timed(lambda: write_pdf_plain(prepared.job), repeat)
    check, _ = _timed(lambda: verify_report(data, key), 1)
    return [
        label,
        f"{pages}",
        f"{len(prepared.evidence.entries)}",
        f"{total:.2f} s",
        f"{pages / total:.1f}",
        f"{plain:.2f} s",
        f"{pages / plain:.1f}",
        f"{total / plain:.2f}",
        f"{check:.2f} s",
        f"{len(data) / 1e6:.2f} MB",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100 decisions instead of 1,000")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("RLEDGER_BENCH_QUICK") == "1"
    decisions = 100 if quick else 1000
    with tempfile.TemporaryDirectory(prefix="rledger-bench-reports-") as folder:
        started = time.perf_counter()
        print(f"building a ledger of {decisions} decisions ...", file=sys.stderr)
        service = build_ledger(Path(folder) / "ledger.db", decisions)
        print(f"  built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        key = service.log.verifier_key()
        target = f"{MODELS[0]}@2.{decisions - 4}"
        period = parse_period("2026-11-01", "2026-12-31")
        rows = [
            bench_one(
                f"release report ({target})", lambda: generate.prepare_release(service, target), key, 3
            ),
            bench_one(
                f"auditor export ({decisions} decisions)",
                lambda: generate.prepare_audit(service, period, None),
                key,
                1,
            ),
        ]
        service.store.close()
    header = [
        "report",
        "pages",
        "entries",
        "ours, total",
        "pages/s",
        "WeasyPrint alone",
        "pages/s",
        "overhead (ratio)",
        "verify",
        "size",
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print(
        "\noverhead = our whole command path / WeasyPrint rendering the same finished HTML with the same "
        "options, both measured in this run (median of 3 for the release report, 1 run for the export)."
    )


if __name__ == "__main__":
    main()
