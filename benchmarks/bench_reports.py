"""Report rendering: a release report and an auditor export over 1,000 decisions, then audit
reports at scale (100,000 decisions).

    python -m benchmarks.bench_reports            # 1,000 decisions; at scale 1,000 and 100,000
    python -m benchmarks.bench_reports --quick    # 100 decisions; at scale 100 and 1,000
    python -m benchmarks.bench_reports --decisions 1000,100000 --skip-small

For each report it prints pages, pages per second for the whole command path (snapshot,
selection, inclusion proofs from storage, evidence checked as a verifier would, figures,
charts, HTML, PDF/A-3b with the attachment), and, measured in the same run, WeasyPrint
alone rendering the same finished HTML with the same options: the ratio total / WeasyPrint
is our overhead. It also times ``verify_report`` on each PDF. Nothing asserts on time.

At scale (``--decisions``): each size's ledger is built
fast (decisions appended 1,000 per transaction through the governed log, as bench_scaling does),
then a fresh process makes the audit report of the period and another verifies it; each prints
pages, pages per second and its peak RSS (VmHWM), against an idle interpreter with the same
imports. Target: bounded, peak memory at the largest size <= 1.5 x at the smallest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
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
SCALE_TARGET = 1.5  # peak memory at the largest size / at the smallest
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


# -- audit reports at scale ---------------------------------------------------------------------

PEAK = "[l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]"
IMPORTS = (
    "import json, sys, time\n"
    "from pathlib import Path\n"
    "from ledger.clock import SystemClock\n"
    "from reports.generate import prepare_audit, render\n"
    "from reports.period import parse_period\n"
    "from reports.verify import verify_report\n"
    "from services.ledger_service import LedgerService\n"
    "from store.ledger_store import LedgerStore\n"
)
IDLE = f"{IMPORTS}print(json.dumps({{'peak_kib': int({PEAK})}}))\n"
MAKE = (
    f"{IMPORTS}"
    "store = LedgerStore.open(sys.argv[1])\n"
    "service = LedgerService(store, SystemClock())\n"
    "start = time.perf_counter()\n"
    "rendered = render(prepare_audit(service, parse_period('2026-11-01', '2026-12-31'), None))\n"
    "seconds = time.perf_counter() - start\n"
    "Path(sys.argv[2]).write_bytes(rendered.data)\n"
    f"print(json.dumps({{'pages': rendered.pages, 'seconds': seconds, 'peak_kib': int({PEAK})}}))\n"
)
CHECK = (
    f"{IMPORTS}"
    "start = time.perf_counter()\n"
    "done = verify_report(Path(sys.argv[1]).read_bytes(), Path(sys.argv[2]).read_text())\n"
    "seconds = time.perf_counter() - start\n"
    f"print(json.dumps({{'pages': done.pages.pages, 'entries': done.entries, 'seconds': seconds, "
    f"'peak_kib': int({PEAK})}}))\n"
)


def build_fast(home: Path, decisions: int) -> str:
    """A governed ledger of ``decisions`` decisions over the four MODELS, one second apart, appended
    1,000 per transaction through the governed log (bench_scaling's way: one evaluation reused
    with each decision's own model and version). Returns the verifier key."""
    from benchmarks.bench_scaling import ALICE, ALICE_SEED, BATCH, DEMO_FILE
    from benchmarks.common import ADMIN, ADMIN_SEED, SIGNER_SEED
    from benchmarks.common import START as SCALE_START
    from governance.record import DECISION_KIND, decision_record
    from ledger.scoring.input import parse_request
    from policies.evaluate import evaluate_request
    from services.governed import authored
    from services.keys import PERSONAL_KEY_NAME
    from services.ports import PendingEntry

    home.mkdir(parents=True, exist_ok=True)
    ledger_key = Ed25519Signer.generate(ORIGIN, SIGNER_SEED)
    admin = Ed25519Signer.generate(PERSONAL_KEY_NAME, ADMIN_SEED)
    alice = Ed25519Signer.generate(PERSONAL_KEY_NAME, ALICE_SEED)
    store = LedgerStore.open(sqlite_url(home / "ledger.db"))
    service = LedgerService(store, FixedClock(SCALE_START, step_seconds=1.0), ledger_key)
    service.setup.initialize(ORIGIN, ADMIN, admin)
    service.identities.add(ALICE, ["submitter"], actions.public_key_b64(alice), ADMIN, admin)
    data = parse_decision_text((resources.files("cli.demo") / DEMO_FILE).read_text())
    data["requested_by"] = ALICE
    policy = service.state().active_policy
    record = decision_record(policy, parse_request(data), evaluate_request(policy, parse_request(data)))
    origin = service.state().statement_origin()
    for done in range(0, decisions, BATCH):
        pending = []
        for i in range(done, min(done + BATCH, decisions)):
            model, version = MODELS[i % len(MODELS)], f"3.{i}"
            payload = authored(DECISION_KIND, {**record, "model": model, "version": version}, alice, origin)
            pending.append(PendingEntry(DECISION_KIND, payload, (model, version)))
        service.governed.append(pending)
    key = service.log.verifier_key()
    store.close()
    return key


def _child(script: str, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the measured process failed ({done.returncode}): {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def scale(sizes: list[int], workdir: Path | None) -> None:
    """Audit reports over each size's decisions, made and verified in fresh processes."""
    folder = workdir or Path(tempfile.mkdtemp(prefix="rledger-bench-audit-"))
    idle = _child(IDLE)["peak_kib"] / 1024
    rows = []
    for n in sizes:
        home = folder / f"audit-{n}"
        started = time.perf_counter()
        print(f"a ledger of {n:,} decisions in {home} ...", file=sys.stderr)
        if not (home / "verifier.key").exists():  # a --workdir keeps ledgers between runs
            (home / "verifier.key").write_text(build_fast(home, n))
        print(f"  built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        pdf = home / "audit.pdf"
        made = _child(MAKE, sqlite_url(home / "ledger.db"), str(pdf))
        print(f"  made: {made}", file=sys.stderr, flush=True)
        checked = _child(CHECK, str(pdf), str(home / "verifier.key"))
        print(f"  verified: {checked}", file=sys.stderr, flush=True)
        rows.append((n, made, checked, pdf.stat().st_size))
    base_make, base_check = rows[0][1]["peak_kib"] / 1024, rows[0][2]["peak_kib"] / 1024
    print(f"\naudit reports at scale; idle interpreter with the same imports: {idle:.1f} MiB peak")
    print(
        f"{'decisions':>10}{'pages':>7}{'make s':>9}{'pages/s':>9}{'make MiB':>10}{'ratio':>7}"
        f"{'verify s':>10}{'verify MiB':>12}{'ratio':>7}{'PDF MB':>9}  bounded (<= {SCALE_TARGET})"
    )
    for n, made, checked, size in rows:
        peak, vpeak = made["peak_kib"] / 1024, checked["peak_kib"] / 1024
        ok = peak / base_make <= SCALE_TARGET and vpeak / base_check <= SCALE_TARGET
        print(
            f"{n:>10,}{made['pages']:>7}{made['seconds']:>9.1f}{made['pages'] / made['seconds']:>9.2f}"
            f"{peak:>10.1f}{peak / base_make:>7.2f}{checked['seconds']:>10.1f}{vpeak:>12.1f}"
            f"{vpeak / base_check:>7.2f}{size / 1e6:>9.1f}  {'yes' if ok else 'NO'}"
        )
    print(f"ratios are against {sizes[0]:,} decisions; load average {os.getloadavg()[0]:.2f}")
    if workdir is None:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100 decisions instead of 1,000")
    parser.add_argument("--decisions", default=None, help="audit sizes at scale, comma separated")
    parser.add_argument("--skip-small", action="store_true", help="only the audit reports at scale")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the scale ledgers here")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("RLEDGER_BENCH_QUICK") == "1"
    decisions = 100 if quick else 1000
    if not args.skip_small:
        small(decisions)
    sizes = args.decisions or ("100,1000" if quick else "1000,100000")
    scale([int(n) for n in sizes.split(",")], args.workdir)


def small(decisions: int) -> None:
    """The release report and auditor export over ``decisions`` decisions, against WeasyPrint."""
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
