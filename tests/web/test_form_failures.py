"""Form posts that fail answer with a page naming the problem (script requests keep problem
JSON); uploads are held to the server's one body cap and run off the event loop."""

from __future__ import annotations

import asyncio

import pytest

from services import verification
from tests.web.conftest import SECRET, Web, signed_in
from web.app import create_app

ERIN = "erin@example.com"


def test_a_non_utf8_export_or_checkpoint_is_named_with_its_problem(web: Web) -> None:
    client, csrf = signed_in(web, ERIN)
    note = web.team.service.log.latest_checkpoint().encode()
    bad = {"export": ("ledger.jsonl", b'{"seq": 0}\n\xff\xfe'), "checkpoint": ("cp.txt", note)}
    answer = client.post("/auditors/verify-export", data={"csrf": csrf}, files=bad)
    assert answer.status_code == 422
    assert "ledger.jsonl is not UTF-8 text (byte 11 is 0xff)" in answer.text and "codec" not in answer.text
    bad = {"export": ("ledger.jsonl", b"{}\n"), "checkpoint": ("cp.txt", b"\x80" + note)}
    answer = client.post("/auditors/verify-export", data={"csrf": csrf}, files=bad)
    assert "cp.txt is not UTF-8 text (byte 0 is 0x80)" in answer.text and "codec" not in answer.text


def test_a_missing_file_or_a_forged_form_gets_a_page_and_a_script_keeps_json(web: Web) -> None:
    client, csrf = signed_in(web, ERIN)
    missing = client.post("/auditors/verify-export", data={"csrf": csrf}, files={"export": ("e", b"{}")})
    assert missing.status_code == 422 and missing.headers["content-type"].startswith("text/html")
    assert "checkpoint" in missing.text and 'role="alert"' in missing.text
    forged = client.post("/auditors/verify-report", data={"csrf": "x"}, files={"report": ("r.pdf", b"%")})
    assert forged.status_code == 403 and forged.headers["content-type"].startswith("text/html")
    assert "CSRF token does not match" in forged.text
    script = client.post("/decisions/x/sign", json={}, headers={"X-CSRF-Token": "x"})
    assert script.status_code == 403 and script.headers["content-type"] == "application/problem+json"


def test_uploads_are_held_to_the_one_body_cap_and_the_page_says_it(web: Web) -> None:
    from fastapi.testclient import TestClient

    client, csrf = signed_in(web, ERIN)
    cookies = dict(client.cookies)
    small = TestClient(create_app(web.team.service, SECRET, max_body=4096), base_url="https://testserver")
    small.cookies.update(cookies)
    assert "at most 0.0 MiB per form" in small.get("/auditors").text  # 4096 bytes, as configured
    big = {"export": ("ledger.jsonl", b"x" * 8000), "checkpoint": ("cp.txt", b"y")}
    answer = small.post("/auditors/verify-export", data={"csrf": csrf}, files=big)
    assert answer.status_code == 413 and answer.headers["content-type"].startswith("text/html")
    assert "this server takes at most 0.0 MiB per request (RLEDGER_MAX_BODY_BYTES)" in answer.text
    default = client.get("/auditors").text
    assert "at most 16.0 MiB per form" in default  # the server's default cap, not a second limit


def test_an_upload_is_verified_off_the_event_loop(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = verification.verify_export_file

    def spy(*args: object, **kwargs: object) -> object:
        try:
            asyncio.get_running_loop()
            seen.append(True)
        except RuntimeError:
            seen.append(False)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(verification, "verify_export_file", spy)
    client, csrf = signed_in(web, ERIN)
    note = web.team.service.log.latest_checkpoint().encode()
    files = {"export": ("ledger.jsonl", b"{}\n"), "checkpoint": ("cp.txt", note)}
    client.post("/auditors/verify-export", data={"csrf": csrf}, files=files)
    assert seen == [False]  # no event loop in the thread that verified
