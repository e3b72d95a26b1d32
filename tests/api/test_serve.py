"""`rledger serve` on a new ledger: clean start with several workers, says where it listens,
and `/docs` that works with no internet access (issue 9, section 5)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from api.app import create_app
from api.docs_ui import ASSETS
from cli.main import main
from store import migrations
from store.ledger_store import LedgerStore
from tests.api.servers import free_port, wait_until_healthy
from tests.governance.conftest import Team

pytestmark = pytest.mark.slow


def _new_ledger(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["--home", str(home), "init", "--origin", "serve.example/log", "--admin", "root@example.com"])
        == 0
    )
    capsys.readouterr()


def _serve(home: Path, port: int, workers: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "--home",
            str(home),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("RLEDGER_")},
    )


def _stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.stdout is not None
    with process.stdout:
        return process.stdout.read()


def test_two_workers_start_cleanly_on_a_new_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    _new_ledger(home, capsys)
    port = free_port()
    process = _serve(home, port, 2)
    url = f"http://127.0.0.1:{port}"
    try:
        problem = wait_until_healthy(url, process, 60)
        assert not problem, f"{problem}: {_stop(process)}"
        # every worker answers, not just the first one up
        for _ in range(20):
            assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        # and the web app is served at /: signed out, it sends you to sign in
        assert httpx.get(f"{url}/", timeout=5).headers["location"] == "/signin?why=none"
    finally:
        output = _stop(process)
    assert "Traceback" not in output, output
    assert "database is locked" not in output, output
    first = output.splitlines()[0]
    assert first.startswith("serving serve.example/log from "), output
    assert f"at {url} with 2 workers; web app at {url}/, OpenAPI docs at {url}/docs" in first
    assert (home / "web-session.key").stat().st_mode & 0o777 == 0o600  # made once, by the workers


def test_serve_refuses_a_schema_behind_head_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    _new_ledger(home, capsys)
    store = LedgerStore.open(f"sqlite:///{home / 'ledger.db'}")
    with store.engine.begin() as conn:  # as if the ledger was made by a version before 0003
        conn.exec_driver_sql(f"UPDATE {migrations.VERSION_TABLE} SET version_num = '0002'")
    store.close()
    assert main(["--home", str(home), "serve", "--port", str(free_port())]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"is at 0002, this rledger needs {migrations.head()}: run `rledger db upgrade` first" in err


def test_the_migration_creates_the_idempotency_table(ledger_url: str) -> None:
    store = LedgerStore.open(ledger_url)
    try:
        store.migrate("0002")
        with store.engine.connect() as conn:
            assert not inspect(conn).has_table("api_idempotency")
        assert store.migrate() == ("0002", migrations.head())
        with store.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("api_idempotency")}
        assert columns == {"caller", "key", "request_sha256", "status", "body"}
    finally:
        store.close()


def test_the_api_does_not_create_tables(team: Team) -> None:
    """Starting the app only reads: the idempotency table comes from the migration."""
    created: list[str] = []

    def watch(conn: object, cursor: object, statement: str, *args: object) -> None:
        if re.match(r"\s*CREATE\b", statement, flags=re.I):
            created.append(statement)

    from sqlalchemy import event

    event.listen(team.service.store.engine, "before_cursor_execute", watch)
    try:
        create_app(team.service)
    finally:
        event.remove(team.service.store.engine, "before_cursor_execute", watch)
    assert created == []


def test_docs_work_offline(team: Team) -> None:
    with TestClient(create_app(team.service)) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        html = page.text
        assert "SwaggerUIBundle" in html
        # nothing from another host: every URL the page names is a path on this server
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url:\s*'([^']+)'""", html)
        named = [a or b for a, b in urls]
        assert named, html
        assert all(u.startswith("/") and not u.startswith("//") for u in named), named
        assert "http://" not in html and "https://" not in html, html
        for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
            assert f"/docs/assets/{name}" in html
        for name in ASSETS:
            asset = client.get(f"/docs/assets/{name}")
            assert asset.status_code == 200, name
            assert len(asset.content) > 100
        assert client.get("/redoc").status_code == 404  # it would load from a CDN
        assert client.get("/openapi.json").json()["openapi"].startswith("3.")
