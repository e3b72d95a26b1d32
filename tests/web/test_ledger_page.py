"""The ledger page: the latest checkpoint with its witnesses' cosignatures, and whether the
ledger verifies (services.verification, as `rledger verify` runs it)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.ledger_service import LedgerService
from services.witness_config import WitnessSite
from tests.store.writer_process import ADMIN, admin_key
from tests.web.conftest import SECRET, Web, signed_in
from tests.witness.test_witnessing import InProcess, add
from tests.witness.test_witnessing import setup as setup
from web.app import create_app


def test_a_witnessed_checkpoint_shows_its_cosignatures_and_the_quorum(
    setup: tuple[LedgerService, InProcess, list[WitnessSite]],
) -> None:
    service, _, _ = setup
    add(service, 1)
    token, _ = service.tokens.issue(ADMIN, None, ADMIN, admin_key())
    client = TestClient(create_app(service, SECRET), base_url="https://testserver")
    assert client.post("/signin", data={"token": token}, follow_redirects=False).status_code == 303
    page = client.get("/ledger").text
    assert page.count("witness cosignature: ") == 3 and page.count("the log&#39;s own signature") == 1
    assert "Yes: " in page and f"(size {service.store.size()}) is " in page


def test_an_unwitnessed_ledger_says_so_and_verifies(web: Web) -> None:
    client, _ = signed_in(web, "erin@example.com")
    page = client.get("/ledger").text
    assert "No witness has cosigned this checkpoint." in page
    assert "no witnesses are configured" in page and 'id="verify-result">Yes: ' in page


def test_a_ledger_altered_behind_its_back_is_an_error_page_naming_the_entry(web: Web) -> None:
    web.team.submit("01-support-summarizer-1.1.yaml")
    client, _ = signed_in(web, "erin@example.com")
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
    answer = client.get("/ledger")
    assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
    assert "signature does not verify under bob@example.com" in answer.text and 'role="alert"' in answer.text
    # the API's own routes keep their problem documents
    api = client.get("/v1/checkpoint", headers={"Authorization": f"Bearer {web.tokens['erin@example.com']}"})
    assert api.headers["content-type"] == "application/problem+json"
