"""The ledger page: the latest checkpoint with its witnesses' cosignatures, and whether the
ledger verifies (services.verification, as `rledger verify` runs it)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response

from services.ledger_service import LedgerService
from services.witness_config import WitnessSite
from tests.store.writer_process import ADMIN, admin_key
from tests.web.conftest import SECRET, Web, sign_in_client, signed_in
from tests.witness.test_witnessing import InProcess, add
from tests.witness.test_witnessing import setup as setup
from web.app import create_app


def _verify(client: TestClient, csrf: str) -> Response:
    return client.post("/ledger/verify", data={"csrf": csrf})


def test_a_witnessed_checkpoint_shows_its_cosignatures_and_the_witnesses_answers(
    setup: tuple[LedgerService, InProcess, list[WitnessSite]],
) -> None:
    service, transport, _ = setup
    add(service, 1)
    token, _ = service.tokens.issue(ADMIN, None, ADMIN, admin_key())
    client = TestClient(
        create_app(service, SECRET, witness_transport=transport), base_url="https://testserver"
    )
    assert sign_in_client(client, token).status_code == 303
    page = client.get("/ledger").text
    assert page.count("witness cosignature: ") == 3 and page.count("the log&#39;s own signature") == 1
    assert "Not verified from this page" in page  # a view alone reads no entry and asks no witness
    csrf = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    transport.calls.clear()
    answer = _verify(client, csrf)
    assert answer.status_code == 200 and 'id="verify-result">Yes: ' in answer.text
    assert {base for base, _ in transport.calls} == {"http://a.test", "http://b.test", "http://c.test"}
    size = service.store.size()
    assert f"(size {size}) is " in answer.text
    assert f"witness a: holds size {size}, the database&#39;s latest checkpoint" in answer.text
    assert "no witnesses configured (or none reachable)" not in answer.text
    assert "Last run " in client.get("/ledger").text  # kept, with when it ran


def test_an_unwitnessed_ledger_verifies_and_says_a_truncation_would_not_show(web: Web) -> None:
    client, csrf = signed_in(web, "erin@example.com")
    page = client.get("/ledger").text
    assert "No witness has cosigned this checkpoint." in page and "no witnesses are configured" in page
    answer = _verify(client, csrf)
    assert 'id="verify-result">Yes: ' in answer.text
    assert "NOTE: no witnesses configured (or none reachable): removal of the newest entries" in answer.text


def test_verifying_needs_the_form_token_and_says_so_on_a_page(web: Web) -> None:
    client, _ = signed_in(web, "erin@example.com")
    answer = client.post("/ledger/verify", data={"csrf": "forged"})
    # Refused by the replay (403), or, if the server reads its derived state first, as that state
    # is caught up (409): either way the page fails naming the entry's reason.
    assert answer.status_code in (403, 409) and answer.headers["content-type"].startswith("text/html")
    assert "CSRF token does not match" in answer.text


def test_a_ledger_altered_behind_its_back_fails_naming_the_entry(web: Web) -> None:
    web.team.submit("01-support-summarizer-1.1.yaml")
    client, csrf = signed_in(web, "erin@example.com")
    # The operator appends with the log key but without the governance check: an approval
    # nobody signed. The structure verifies; the meaning does not.
    web.team.inject(
        "release.approval",
        {
            **web.team.release("support-summarizer@1.1").members(),
            "approver": "bob@example.com",
            "role": "ml-lead",
            "verdict": "approve",
            "comment": "",
            "signature": "AAAA",
        },
    )
    answer = _verify(client, csrf)
    # Refused by the replay (403), or, if the server reads its derived state first, as that state
    # is caught up (409): either way the page fails naming the entry's reason.
    assert answer.status_code in (403, 409) and answer.headers["content-type"].startswith("text/html")
    assert "signature does not verify under bob@example.com" in answer.text and 'role="alert"' in answer.text
    assert "signature does not verify under bob@example.com" in client.get("/ledger").text  # the last run
    # the API's own routes keep their problem documents
    api = client.get("/v1/checkpoint", headers={"Authorization": f"Bearer {web.tokens['erin@example.com']}"})
    assert api.headers["content-type"] == "application/problem+json"
