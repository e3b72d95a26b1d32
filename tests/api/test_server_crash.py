"""SIGKILL the API server in the middle of requests, round after round.

After each round: the ledger verifies (structure and meaning), every decision the server
acknowledged with a 201 is present, and nothing half-written remains (verification would
name it). Randomness is seeded, so a failing round can be replayed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from ledger.clock import SystemClock
from services.keys import read_private_key
from services.ledger_service import LedgerService
from services.settings import sqlite_url
from store.ledger_store import LedgerStore
from tests.api.servers import free_port
from tests.api.signing import sign_decision
from tests.api.test_access import decision_json
from tests.api.test_real_server import _cli

ROUNDS = 6


def _start(home: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "--home", str(home), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
        assert process.poll() is None, "the server died on start"
    pytest.fail("the server did not become ready")


@pytest.mark.slow
def test_killing_the_server_mid_request_loses_no_acknowledged_decision(tmp_path: Path) -> None:
    home = tmp_path / "home"
    admin = ["--as", "admin@example.com", "--key", str(home / "admin@example.com.key")]
    _cli("--home", str(home), "init", "--origin", "crash.example/log", "--admin", "admin@example.com")
    _cli("identity", "keygen", "--out", str(tmp_path / "alice"))
    _cli(
        "--home",
        str(home),
        "identity",
        "add",
        "alice@example.com",
        "--roles",
        "submitter",
        "--public-key",
        str(tmp_path / "alice.pub"),
        *admin,
    )
    token = _cli("--home", str(home), "token", "create", "alice@example.com", *admin).strip().splitlines()[-1]
    alice_key = read_private_key(tmp_path / "alice.key")
    origin: list[str | None] = []  # what statements sign over, as the first server says
    rng = random.Random(20261122)
    acknowledged: set[str] = set()
    kills = 0
    for round_number in range(ROUNDS):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = _start(home, port)
        _wait_ready(url, server)
        if not origin:
            context = httpx.get(f"{url}/v1/statements/context", headers={"Authorization": f"Bearer {token}"})
            origin.append(context.json()["sign_over_origin"])
        stop = threading.Event()
        lock = threading.Lock()

        def client(
            n: int,
            rnd: int = round_number,
            url: str = url,
            stop: threading.Event = stop,
            lock: threading.Lock = lock,
        ) -> None:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
                for i in range(200):
                    if stop.is_set():
                        return
                    version = f"{rnd}.{n}.{i}"
                    body = decision_json(
                        "03-support-summarizer-1.3.yaml",
                        requested_by="alice@example.com",
                        version=version,
                        artifact_digest="sha256:" + os.urandom(32).hex(),
                    )
                    body = sign_decision(body, alice_key, origin[0])
                    try:
                        r = http.post("/v1/decisions", json=body)
                    except httpx.HTTPError:
                        return  # the server is gone mid-request: that write is unacknowledged
                    if r.status_code == 201:
                        with lock:
                            acknowledged.add(version)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 1.5))
        server.send_signal(signal.SIGKILL)
        kills += 1
        server.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        store = LedgerStore.open(sqlite_url(home / "ledger.db"))
        try:
            service = LedgerService(store, SystemClock())
            service.verification.verify()
            state = service.verification.verify_meaning()
            present = {d.version for d in state.decisions.values()}
        finally:
            store.close()
        missing = acknowledged - present
        assert not missing, f"round {round_number}: acknowledged but lost: {sorted(missing)[:5]}"
    assert kills == ROUNDS and len(acknowledged) > ROUNDS
    print(f"{kills} rounds, {kills} SIGKILLs, {len(acknowledged)} acknowledged decisions, none lost")
