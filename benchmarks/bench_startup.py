"""7. Start-up and batch submission of the command line, in fresh processes (issue 14).

``rledger --help`` and ``rledger gate`` on a small ledger, each run many times, alternating
with a bare ``python -c pass`` so background load hits all three alike; the ratio is the
median command over the median bare interpreter. Then N decision files submitted by one
``rledger decision submit`` (one transaction) against N single-file commands, the shell
loop a CI job would otherwise run.

    python -m benchmarks.bench_startup [--quick]
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import Context, Row, log, median, ms, run
from cli.main import main
from ledger.scoring.input import json_ready, load_decision_file

HELP_TARGET = 6.0  # rledger --help <= 6 times a bare interpreter (issue 14)
CLOCK = "2026-11-21T09:00:00Z"  # the demo files' evaluation is fresh then
ALICE = "alice@example.com"
ADMIN = "admin@example.com"
# What the console script `rledger` runs, without depending on PATH.
RLEDGER = [sys.executable, "-c", "import sys; from cli.main import main; sys.exit(main())"]
DEMO_FILE = Path(__file__).resolve().parent.parent / "cli" / "demo" / "01-support-summarizer-1.1.yaml"


def _wall(command: Sequence[str | Path], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([str(c) for c in command], env=env, capture_output=True, check=False)
    return time.perf_counter() - start


def _ledger(home: Path, keys: Path) -> None:
    """A ledger with its admin, alice (submitter) and one decision, made in this process."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        codes = [
            main(["--home", str(home), "init", "--origin", "bench.example/cli", "--admin", ADMIN]),
            main(["identity", "keygen", "--out", str(keys / "alice")]),
            main([*_home(home), "identity", "add", ALICE, "--roles", "submitter", *_admin(home, keys)]),
            main(_submit(home, keys, DEMO_FILE)),
        ]
    if any(codes):
        raise RuntimeError(f"setting up the benchmark ledger failed: exit codes {codes}")


def _home(home: Path) -> list[str]:
    return ["--home", str(home)]


def _admin(home: Path, keys: Path) -> list[str]:
    """alice's public key, added by the admin with their key."""
    return ["--public-key", str(keys / "alice.pub"), "--as", ADMIN, "--key", str(home / f"{ADMIN}.key")]


def _submit(home: Path, keys: Path, *files: Path) -> list[str]:
    return [
        "--home",
        str(home),
        "decision",
        "submit",
        *map(str, files),
        "--as",
        ALICE,
        "--key",
        str(keys / "alice.key"),
    ]


def _decision_files(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    data = load_decision_file(DEMO_FILE)
    paths = []
    for i in range(count):
        path = folder / f"{i:04d}.json"
        path.write_text(json.dumps(json_ready({**data, "version": f"9.{i}"})))
        paths.append(path)
    return paths


def bench(context: Context) -> list[Row]:
    env = {**os.environ, "RLEDGER_CLOCK": CLOCK}
    home, keys = context.path("cli-home"), context.path("cli-keys")
    keys.mkdir()
    saved = os.environ.get("RLEDGER_CLOCK")
    os.environ["RLEDGER_CLOCK"] = CLOCK  # the set-up runs in this process
    try:
        _ledger(home, keys)
    finally:
        if saved is None:
            del os.environ["RLEDGER_CLOCK"]
        else:
            os.environ["RLEDGER_CLOCK"] = saved
    runs = 5 if context.quick else 15
    commands = {
        "bare": [sys.executable, "-c", "pass"],
        "help": [*RLEDGER, "--help"],
        "gate": [*RLEDGER, "--home", str(home), "gate", "support-summarizer@1.1"],
    }
    log(f"start-up: {runs} runs each of bare python, rledger --help and rledger gate, alternating")
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():
        _wall(command, env)  # warm the file cache and .pyc files
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(_wall(command, env))
    bare, help_, gate = (median(times[n]) for n in ("bare", "help", "gate"))

    count = 4 if context.quick else 20
    log(f"batch submit: {count} decision files in one command, then {count} single-file commands")
    batch_files = _decision_files(context.path("batch"), count)
    loop_files = _decision_files(context.path("loop"), count)
    loop_home = context.path("loop-home")
    shutil.copytree(home, loop_home)
    batch_seconds = _wall([*RLEDGER, *_submit(home, keys, *batch_files)], env)
    loop_seconds = sum(_wall([*RLEDGER, *_submit(loop_home, keys, path)], env) for path in loop_files)
    return [
        Row("startup", f"bare python -c pass: median of {runs}", ms(bare)),
        Row(
            "startup",
            "rledger --help: median wall time",
            ms(help_),
            f"bare python: {ms(bare)}",
            help_ / bare,
            f"<= {HELP_TARGET:g}",
            help_ / bare <= HELP_TARGET,
        ),
        Row(
            "startup",
            "rledger gate (1-decision ledger): median wall time",
            ms(gate),
            f"bare python: {ms(bare)}",
            gate / bare,
        ),
        Row(
            "startup",
            f"decision submit: {count} files in one command (one transaction)",
            ms(batch_seconds),
            f"{count} single-file commands: {ms(loop_seconds)}",
            batch_seconds / loop_seconds,
        ),
    ]


if __name__ == "__main__":
    run("Release Ledger benchmark: command-line start-up", [bench])
