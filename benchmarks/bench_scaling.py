"""Scaling table (issue 14): ``rledger gate``, ``rledger decision status``, ``rledger decision
submit`` and a service start on ledgers of 1k, 10k and 100k decisions (more with --sizes), each
as a ratio to the smallest ledger's figure (target <= 1.5), with each command's peak memory.

Every figure is a fresh process, as a CI job or an API worker starting would see it: the
median wall time of ``--repeat`` runs, the sizes taking turns within each round so that a
machine growing busier or quieter moves them alike. Printed, never asserted. ``--workdir``
keeps the ledgers (building 100k governed decisions takes minutes: every one is re-scored
and re-evaluated by the rules as it is appended) and reuses those already there.

The ledgers are real: an admin, a submitter and decisions signed by her, appended through the
governed log 1,000 per transaction (so every entry passed the governance rules and the derived
state rows are maintained as they would be). One decision's evaluation is reused with each
decision's own model and version, so building costs the rules' check, not the scoring.

    .venv/bin/python -m benchmarks.bench_scaling --sizes 1000,100000 --repeat 5
"""

from __future__ import annotations

import argparse
import base64
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cli.demo
from benchmarks.common import ADMIN, ADMIN_SEED, ORIGIN, SIGNER_SEED, START, log
from governance.record import DECISION_KIND, decision_record
from ledger.clock import FixedClock
from ledger.scoring.input import parse_decision_text, parse_request
from ledger.tlog.note import Ed25519Signer
from policies.evaluate import evaluate_request
from services.governed import authored
from services.keys import PERSONAL_KEY_NAME, write_key_pair, write_private_key
from services.ledger_service import LedgerService
from services.ports import PendingEntry
from services.settings import sqlite_url
from store.ledger_store import LedgerStore

ALICE = "alice@example.com"
ALICE_SEED = bytes(range(64, 96))
DEMO_FILE = "01-support-summarizer-1.1.yaml"
MODEL = "support-summarizer"  # the model DEMO_FILE names
BATCH = 1000
TARGET = 1.5
# The process's own peak (VmHWM): ru_maxrss would count the parent's memory from before exec.
PEAK = (
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
    "print('PEAK_KIB', hwm, file=sys.stderr)\n"
)
# One process, timed from the start of the interpreter: the command's whole cost.
RUNNER = f"import sys\nfrom cli.main import main\ncode = main(sys.argv[1:])\n{PEAK}"
OPEN_SERVICE = (
    "import sys\n"
    "from ledger.clock import SystemClock\n"
    "from services.ledger_service import LedgerService\n"
    "from store.ledger_store import LedgerStore\n"
    "store = LedgerStore.open(sys.argv[1])\n"
    "service = LedgerService(store, SystemClock())\n"
    "service.state().identity(sys.argv[2])\n"
    f"{PEAK}"
)


def build(home: Path, decisions: int) -> str:
    """A governed ledger of ``decisions`` decisions in ``home`` (ledger.db, signing.key and
    alice's key pair). Returns the first decision's MODEL@VERSION."""
    home.mkdir(parents=True)
    ledger_key = Ed25519Signer.generate(ORIGIN, SIGNER_SEED)
    admin = Ed25519Signer.generate(PERSONAL_KEY_NAME, ADMIN_SEED)
    alice = Ed25519Signer.generate(PERSONAL_KEY_NAME, ALICE_SEED)
    write_private_key(home / "signing.key", ledger_key)
    write_key_pair(home / "alice", alice)
    store = LedgerStore.open(sqlite_url(home / "ledger.db"))
    service = LedgerService(store, FixedClock(START, step_seconds=1.0), ledger_key)
    service.setup.initialize(ORIGIN, ADMIN, admin)
    service.identities.add(ALICE, ["submitter"], base64.b64encode(alice.public_key).decode(), ADMIN, admin)
    data = parse_decision_text((Path(cli.demo.__file__).parent / DEMO_FILE).read_text())
    data["requested_by"] = ALICE
    policy = service.state().active_policy
    record = decision_record(policy, parse_request(data), evaluate_request(policy, parse_request(data)))
    origin = service.state().statement_origin()
    started, done = time.perf_counter(), 0
    while done < decisions:
        pending = []
        for i in range(done, min(done + BATCH, decisions)):
            model, version = (
                f"{MODEL}-{i % 100:02d}",
                f"{2 + i // 100}.{i % 100}",
            )  # not 1.0, the rollback target
            payload = authored(DECISION_KIND, {**record, "model": model, "version": version}, alice, origin)
            pending.append(PendingEntry(DECISION_KIND, payload, (model, version)))
        service.governed.append(pending)
        done += len(pending)
        if done % max(BATCH, decisions // 10) == 0:
            log(f"  {done:,}/{decisions:,} decisions ({done / (time.perf_counter() - started):,.0f}/s)")
    store.close()
    return f"{MODEL}-00@2.0"


def _timed(command: list[str], repeat: int) -> tuple[float, float]:
    """(median seconds, largest peak MiB) of ``command`` run ``repeat`` times."""
    seconds, peaks = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds.append(time.perf_counter() - start)
        peak = [line for line in done.stderr.splitlines() if line.startswith("PEAK_KIB")]
        if done.returncode not in (0, 1) or not peak:
            raise RuntimeError(f"{command} failed ({done.returncode}): {done.stderr[-2000:]}")
        peaks.append(int(peak[-1].split()[1]) / 1024)
    return statistics.median(seconds), max(peaks)


def measure_once(home: Path, ref: str, number: int, attempt: int) -> dict[str, tuple[float, float]]:
    """One run of each command on the ledger in ``home``: (seconds, peak MiB) by command."""
    cli_run = [sys.executable, "-c", RUNNER, "--home", str(home)]
    url = sqlite_url(home / "ledger.db")
    submit_file = home / f"submit-{number}.yaml"
    text = (Path(cli.demo.__file__).parent / DEMO_FILE).read_text()
    # each submit records a new version
    submit_file.write_text(re.sub(r"(?m)^version: .*$", f'version: "9.{number}.{attempt}"', text))
    key = str(home / "alice.key")
    return {
        "gate": _timed([*cli_run, "gate", ref], 1),
        "status": _timed([*cli_run, "decision", "status", ref], 1),
        "service open": _timed([sys.executable, "-c", OPEN_SERVICE, url, ALICE], 1),
        "submit": _timed([*cli_run, "decision", "submit", str(submit_file), "--as", ALICE, "--key", key], 1),
    }


def measure(workdir: Path, sizes: list[int], repeat: int) -> dict[int, dict[str, tuple[float, float]]]:
    """(median seconds, largest peak MiB) by size and command. The sizes take turns, one run
    each per round, so a machine that gets busier or quieter meanwhile moves them alike."""
    ref = f"{parse_decision_text((Path(cli.demo.__file__).parent / DEMO_FILE).read_text())['model']}-00@2.0"
    runs: dict[int, list[dict[str, tuple[float, float]]]] = {n: [] for n in sizes}
    for attempt in range(repeat):
        log(f"round {attempt + 1}/{repeat}")
        for n in sizes:
            runs[n].append(measure_once(workdir / f"ledger-{n}", ref, n, attempt))
    return {
        n: {
            name: (
                statistics.median(run[name][0] for run in runs[n]),
                max(run[name][1] for run in runs[n]),
            )
            for name in runs[n][0]
        }
        for n in sizes
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000", help="decisions per ledger, comma separated")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep the ledgers here; ones already built are reused"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="rledger-scaling-"))
    for n in sizes:
        home = workdir / f"ledger-{n}"
        if not (home / "ledger.db").exists():
            log(f"building a ledger of {n:,} decisions in {home}")
            build(home, n)
    results = measure(workdir, sizes, args.repeat)
    base = results[sizes[0]]
    print(
        f"\nscaling against {sizes[0]:,} decisions (target: ratio <= {TARGET}); median of {args.repeat} runs"
    )
    print(f"{'command':<14}{'decisions':>12}{'wall':>10}{'ratio':>8}{'peak MiB':>10}{'mem ratio':>11}  met")
    for name in base:
        for n in sizes:
            seconds, peak = results[n][name]
            ratio, mem = seconds / base[name][0], peak / base[name][1]
            met = "yes" if ratio <= TARGET and mem <= TARGET else "NO"
            print(f"{name:<14}{n:>12,}{seconds:>9.3f}s{ratio:>8.2f}{peak:>10.1f}{mem:>11.2f}  {met}")


if __name__ == "__main__":
    main()
