"""Every shell block in README.md runs as written, in order, in one empty directory.

The blocks are extracted from the README itself, so a command that changes there is tested
as changed. What the test adapts, and why:

- the set-up blocks (``python3 -m venv ...``) and the Development block (``make bench``,
  ``bash .ci/run``, the linters) are what CI itself runs, so they are skipped here;
- every block runs with ``RLEDGER_CLOCK`` set, so the outcome does not depend on the day:
  first 2026-11-20T09:00Z, then, from the block after "A day later", 25 hours on (the
  README says that block runs after the canary window);
- the server's port 8000 becomes a free port;
- the PostgreSQL block's database URLs become two new databases on the local server
  (tests/conftest.py's ``postgres_server``).

Each block runs with ``bash -euo pipefail``, so any failing command fails the test, with the
block and its output shown.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.api.servers import free_port
from tests.conftest import PROJECT_ROOT, PostgresServer

pytestmark = pytest.mark.slow

BIN = PROJECT_ROOT / ".venv" / "bin"
CLOCK = "2026-11-20T09:00:00Z"
CLOCK_AFTER_CANARY_WINDOW = "2026-11-21T10:00:00Z"
README_PG_URLS = (
    "postgresql+psycopg://ledger@db.example/ledger",
    "postgresql+psycopg://ledger@db2.example/ledger",
)


def readme_blocks() -> list[str]:
    """The README's ```sh blocks, in order."""
    text = (PROJECT_ROOT / "README.md").read_text()
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


def _skipped(block: str) -> bool:
    return "python3 -m venv" in block or "make bench" in block or "bash .ci/run" in block


def test_the_readme_has_the_blocks_this_test_adapts() -> None:
    """If the README drops or renames these, the adaptations below must change with it."""
    blocks = readme_blocks()
    joined = "\n".join(blocks)
    assert sum(_skipped(b) for b in blocks) == 3
    for needle in ("--port 8000", "canary result", "rledger examples --out .", *README_PG_URLS):
        assert needle in joined, needle
    assert "rledger init --origin example.com/release-ledger --admin root@example.com" in joined
    assert "rledger init --origin example.com/release-ledger   #" not in joined  # needs --admin


def test_every_readme_block_runs_as_written(tmp_path: Path, postgres_server: PostgresServer) -> None:
    work = tmp_path / "readme"
    work.mkdir()
    port = free_port()
    databases = [postgres_server.create_database() for _ in README_PG_URLS]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RLEDGER_")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", RLEDGER_CLOCK=CLOCK, NO_COLOR="1")
    outputs: list[str] = []
    try:
        for number, block in enumerate(readme_blocks(), start=1):
            if _skipped(block):
                continue
            script = block.replace("8000", str(port))
            for readme_url, name in zip(README_PG_URLS, databases, strict=True):
                script = script.replace(readme_url, postgres_server.url_for(name))
            if "canary result" in block:
                env["RLEDGER_CLOCK"] = CLOCK_AFTER_CANARY_WINDOW
            # A server a failing block leaves behind is stopped with it.
            script = "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            output = done.stdout + done.stderr
            assert done.returncode == 0, f"README block {number} failed:\n{block}\n--- output:\n{output}"
            assert "Traceback" not in output and "internal error" not in output, output
            outputs.append(output)
    finally:
        for name in databases:
            postgres_server.drop_database(name)
    everything = "\n".join(outputs)
    # The figures the README states, and the outcomes it promises.
    assert "103.95" in everything
    shipped_cases = len(list((PROJECT_ROOT / "policies" / "cases").glob("*.yaml")))
    assert f"{shipped_cases} passed, 0 failed" in everything, everything
    assert "support-summarizer@1.1: may be promoted now" in everything
    assert (work / "release.pdf").stat().st_size > 10_000
    assert (work / "scorecard.pdf").stat().st_size > 10_000
    assert (work / "restored" / "signing.key").exists()
