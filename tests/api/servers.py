"""Starting `rledger serve` in a subprocess for the tests that need a real server."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(
    url: str, process: subprocess.Popen[str] | subprocess.Popen[bytes], seconds: float
) -> str:
    """Poll ``url``/healthz until it answers 200. Returns "" when it does, or why it did not:
    the server exited, or ``seconds`` passed."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return ""
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            return "the server exited"
        if time.monotonic() > deadline:
            return f"the server did not answer /healthz within {seconds:g} s"
        time.sleep(0.2)
