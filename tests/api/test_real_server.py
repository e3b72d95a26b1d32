"""The real server process: uvicorn on a free loopback port, driven over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cli.main import main
from services.keys import read_private_key
from tests.api.servers import free_port, wait_until_healthy
from tests.api.signing import sign_decision_over_http
from tests.api.test_access import decision_json


def _cli(*args: str) -> str:
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, str]]]:
    home = tmp_path / "home"
    admin = ["--as", "admin@example.com", "--key", str(home / "admin@example.com.key")]
    _cli("--home", str(home), "init", "--origin", "srv.example/log", "--admin", "admin@example.com")
    tokens = {}
    for name, roles in [("alice", "submitter"), ("bob", "ml-lead")]:
        _cli("identity", "keygen", "--out", str(tmp_path / name))
        _cli(
            "--home",
            str(home),
            "identity",
            "add",
            f"{name}@example.com",
            "--roles",
            roles,
            "--public-key",
            str(tmp_path / f"{name}.pub"),
            *admin,
        )
        out = _cli("--home", str(home), "token", "create", f"{name}@example.com", "--expires", "1d", *admin)
        tokens[name] = out.strip().splitlines()[-1]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "--home", str(home), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ},
    )
    url = f"http://127.0.0.1:{port}"
    problem = wait_until_healthy(url, process, 30)
    if problem:
        output = process.stdout.read().decode() if process.stdout else ""
        pytest.fail(f"{problem}: {output}")
    try:
        yield url, tmp_path, tokens
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_submit_over_http_and_approve_from_the_command_line(server: tuple[str, Path, dict[str, str]]) -> None:
    url, keys, tokens = server
    body = decision_json("01-support-summarizer-1.1.yaml", requested_by="alice@example.com")
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens['alice']}"}) as alice:
        body = sign_decision_over_http(alice, body, read_private_key(keys / "alice.key"))
        r = alice.post("/v1/decisions", json=body, headers={"Idempotency-Key": "run-1"})
        assert r.status_code == 201, r.text
        assert alice.post("/v1/decisions", json=body, headers={"Idempotency-Key": "run-1"}).json() == r.json()
        assert alice.get("/v1/decisions/support-summarizer@1.1/status").json()["phase"] == "pending_approval"
    (keys / "log.key").write_text(_cli("--home", str(keys / "home"), "key"))
    out = _cli(
        "approve",
        "support-summarizer@1.1",
        "--server",
        url,
        "--log-key",
        str(keys / "log.key"),
        "--token",
        tokens["bob"],
        "--as",
        "bob@example.com",
        "--key",
        str(keys / "bob.key"),
        "--comment",
        "reviewed",
    )
    assert "signing an approval of support-summarizer@1.1" in out and "release.approval" in out
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens['bob']}"}) as bob:
        status = bob.get("/v1/decisions/support-summarizer@1.1/status").json()
        assert status["phase"] == "approved" and status["approvals"][0]["approver"] == "bob@example.com"
        assert bob.get("/docs").status_code == 200
        assert "/v1/decisions" in bob.get("/openapi.json").json()["paths"]
