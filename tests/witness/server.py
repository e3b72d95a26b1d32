"""Starting `rledger witness serve` in a subprocess on loopback, for the tests that need one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.keys import write_private_key
from tests.api.servers import free_port, wait_until_healthy
from tests.witness.helpers import LOG_KEY, WITNESS_KEY

CLOCK = "2026-12-01T00:00:00Z"


def write_keys(directory: Path) -> tuple[Path, Path]:
    """The witness's private key (0600) and the log's verifier key file."""
    key, log = directory / "witness.key", directory / "log.vkey"
    if not key.exists():
        write_private_key(key, WITNESS_KEY)
        log.write_text(LOG_KEY.verifier_key + "\n")
    return key, log


class WitnessProcess:
    def __init__(self, directory: Path, state: Path) -> None:
        key, log = write_keys(directory)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "cli.main", "witness", "serve", "--key", str(key)]
        command += ["--log", str(log), "--state", str(state), "--port", str(self.port)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "RLEDGER_CLOCK": CLOCK},
        )
        problem = wait_until_healthy(self.url, self.process, 30)
        if problem:
            self.stop()
            pytest.fail(f"the witness did not start: {problem}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()
