"""The web Ledger page and `rledger verify` run one online verification
(services.online_verification): a ledger whose newest entries were removed together with their
checkpoints and stored cosignatures verifies from the database alone, and both fail on what
the witnesses hold, with the same reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import service_from_environment
from services.keys import read_private_key
from tests.cli.test_cli import ADMIN, run
from tests.web.conftest import SECRET, sign_in_client
from tests.witness.test_verify_probe import Witnessed, _truncate_with_cosignatures
from tests.witness.test_witnessed_log import sizes, write_config
from tests.witness.test_witnessed_log import witnessed as witnessed
from web.app import create_app


def _web(home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, str]:
    monkeypatch.setenv("RLEDGER_HOME", str(home))
    service = service_from_environment()
    token, _ = service.tokens.issue(ADMIN, None, ADMIN, read_private_key(home / f"{ADMIN}.key"))
    client = TestClient(create_app(service, SECRET), base_url="https://testserver")  # HTTP to the witnesses
    assert sign_in_client(client, token).status_code == 303
    csrf = client.get("/ledger").text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    return client, csrf


def test_a_truncation_the_witnesses_saw_fails_the_page_and_the_cli_with_one_reason(
    witnessed: Witnessed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger, _ = witnessed
    # The session's token first: the truncation below removes only entries after it (removing
    # the token's own entry would sign the session out, which says nothing about the page).
    client, csrf = _web(ledger.home, monkeypatch)
    for _ in range(2):
        assert ledger.add_identity(capsys).code == 0
    passed = client.post("/ledger/verify", data={"csrf": csrf})
    assert passed.status_code == 200 and 'id="verify-result">Yes: ' in passed.text
    count, _ = sizes(ledger.home)
    _truncate_with_cosignatures(ledger.home / "ledger.db", count - 2)

    cli = run(capsys, "--home", ledger.home, "verify")
    assert cli.code == 3
    reason = cli.err.strip().removeprefix("verification FAILED: ")
    assert f"witness w1 has cosigned size {count} but the database ends at {count - 2}" in reason
    page = client.post("/ledger/verify", data={"csrf": csrf})
    assert page.status_code == 409
    assert 'id="verify-result">No: ' in page.text and reason.replace("'", "&#39;") in page.text


def test_with_every_witness_down_verify_passes_and_says_what_it_cannot_see(
    witnessed: Witnessed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger, witnesses = witnessed
    assert ledger.add_identity(capsys).code == 0
    client, csrf = _web(ledger.home, monkeypatch)
    for w in witnesses:
        w.stop()
    note = "NOTE: no witnesses configured (or none reachable): removal of the newest entries cannot be"
    cli = run(capsys, "--home", ledger.home, "verify")
    assert cli.code == 0 and note in cli.out and "witness w1: unreachable" in cli.out
    page = client.post("/ledger/verify", data={"csrf": csrf})
    assert 'id="verify-result">Yes: ' in page.text and note in page.text


def test_a_fork_the_witnesses_refuse_fails_the_page_and_the_cli_with_one_reason(
    witnessed: Witnessed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger, witnesses = witnessed
    assert ledger.add_identity(capsys).code == 0
    backup = tmp_path / "backup"
    shutil.copytree(ledger.home, backup)  # the operator's backup, key included
    restored, _ = sizes(backup)
    assert ledger.add_identity(capsys).code == 0  # the real history moves on, witnessed
    write_config(backup, witnesses, wait=True)
    for _ in range(2):  # the backup grows its own history; the witnesses refuse to cosign it
        assert ledger.add_identity(capsys, home=backup).code == 1
    client, csrf = _web(backup, monkeypatch)

    cli = run(capsys, "--home", backup, "verify")
    assert cli.code == 3, cli.out + cli.err
    reason = cli.err.strip().removeprefix("verification FAILED: ")
    assert f"holds size {restored + 1} and refused the consistency proof" in reason
    assert "(it was forked or rewritten)" in reason
    page = client.post("/ledger/verify", data={"csrf": csrf})
    assert page.status_code == 409
    assert 'id="verify-result">No: ' in page.text and reason.replace("'", "&#39;") in page.text
