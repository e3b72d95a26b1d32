"""The web app over a team ledger: in-process (TestClient) and on a loopback port for a real
browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from tests.api.servers import free_port
from tests.governance.conftest import ADMIN, TEAM, Team
from tests.governance.conftest import team as team
from web.app import create_app

CHROMIUM = Path(os.environ.get("RLEDGER_CHROMIUM", "/usr/bin/chromium"))
SECRET = bytes(range(32))


@dataclass
class Web:
    team: Team
    tokens: dict[str, str]
    url: str = ""

    def client(self) -> TestClient:
        """A client over https (cookies are Secure off loopback), signed out."""
        return TestClient(create_app(self.team.service, SECRET), base_url="https://testserver")


@pytest.fixture
def web(team: Team) -> Web:
    tokens = {}
    for name in [ADMIN, *TEAM]:
        tokens[name], _ = team.service.tokens.issue(
            name, team.clock.at + timedelta(days=30), ADMIN, team.key(ADMIN)
        )
    return Web(team, tokens)


def signin_form(client: TestClient) -> str:
    """The sign-in form's pre-session CSRF field, read from the page (its cookie is now set)."""
    return client.get("/signin").text.split('name="signin_csrf" value="', 1)[1].split('"', 1)[0]


def sign_in_client(client: TestClient, token: str) -> Any:
    """Post the sign-in form as a browser does: fetched first, its CSRF field sent back."""
    data = {"token": token, "signin_csrf": signin_form(client)}
    return client.post("/signin", data=data, follow_redirects=False)


def signed_in(web: Web, who: str) -> tuple[TestClient, str]:
    """A client with ``who``'s session, and its CSRF token (read from a page, as a browser would)."""
    client = web.client()
    answer = sign_in_client(client, web.tokens[who])
    assert answer.status_code == 303, answer.text
    page = client.get("/keys").text
    csrf = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    return client, csrf


@pytest.fixture
def live(web: Web) -> Iterator[Web]:
    """The app on 127.0.0.1, in a thread of this process, so the test keeps the clock and the service."""
    port = free_port()
    config = uvicorn.Config(
        create_app(web.team.service, SECRET), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web app did not start on loopback")
        time.sleep(0.05)
    web.url = f"http://127.0.0.1:{port}"
    yield web
    server.should_exit = True
    thread.join(10)


def _chromium_or_skip() -> Path:
    if CHROMIUM.exists() or shutil.which(str(CHROMIUM)):
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"{CHROMIUM} is missing; with CI=true the browser tests must run (.ci/run installs chromium)"
        )
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); browser tests skipped outside CI")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    path = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(path), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium: Any, live: Web) -> Iterator[Any]:
    """A fresh browser profile (its own IndexedDB), with every request it sends recorded."""
    context = chromium.new_context(base_url=live.url)
    page = context.new_page()
    page.sent = []  # every request: (method, url, body)
    page.on("request", lambda r: page.sent.append((r.method, r.url, r.post_data_buffer or b"")))
    yield page
    context.close()


def sign_in(page: Any, web: Web, who: str) -> None:
    page.goto("/signin")
    page.fill("#token", web.tokens[who])
    page.click("button[type=submit]")
    page.wait_for_url("**/")
