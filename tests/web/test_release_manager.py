"""Release managers promote and roll back from the web app; break-glass is marked as an
emergency. The statement a sign page carries is signed here as the page's script would."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from governance.statements import sign_statement
from tests.web.conftest import Web, signed_in

RITA = "rita@example.com"


def _prepared(client: TestClient, leaf: str, csrf: str, **form: str) -> dict[str, Any]:
    page = client.post(f"/decisions/{leaf}/prepare", data={"csrf": csrf, **form})
    assert page.status_code == 200, page.text
    text = page.text.split('<script type="application/json" id="statement">', 1)[1].split("</script>", 1)[0]
    found: dict[str, Any] = json.loads(text)
    return found


def _sign_and_post(web: Web, client: TestClient, leaf: str, csrf: str, prepared: dict[str, Any]) -> Any:
    signed = sign_statement(
        prepared["kind"], prepared["payload"], web.team.key(RITA), origin=prepared["origin"]
    )
    return client.post(
        f"/decisions/{leaf}/sign",
        json={"kind": prepared["kind"], "statement": signed},
        headers={"X-CSRF-Token": csrf},
    )


def test_a_release_manager_promotes_then_rolls_back(web: Web) -> None:
    ref = web.team.submit("03-support-summarizer-1.3.yaml")  # low tier: no approval needed
    leaf = web.team.service.resolve(ref).leaf_hex
    client, csrf = signed_in(web, RITA)
    page = client.get(f"/decisions/{leaf}").text
    assert 'value="promote"' in page and 'value="rollback"' not in page
    promotion = _prepared(client, leaf, csrf, action="promote")
    assert promotion["kind"] == "release.promoted" and promotion["payload"]["break_glass"] is False
    assert _sign_and_post(web, client, leaf, csrf, promotion).status_code == 201
    assert web.team.service.decisions.status(ref)["phase"] == "promoted"

    page = client.get(f"/decisions/{leaf}").text
    assert 'value="rollback"' in page and 'value="promote"' not in page and "break-glass" not in page
    # only the versions the ledger accepts as rollback targets are offered
    options = page.split('<select id="to-version"', 1)[1].split("</select>", 1)[0]
    assert options.count("<option") == 1 and '<option value="1.0">1.0 (the declared rollback path)' in options
    rollback = _prepared(client, leaf, csrf, action="rollback", to_version="1.0", comment="cost spike")
    assert rollback["payload"]["to_version"] == "1.0" and rollback["payload"]["reason"] == "cost spike"
    answer = _sign_and_post(web, client, leaf, csrf, rollback)
    assert answer.status_code == 201, answer.text
    assert web.team.service.decisions.status(ref)["phase"] == "rolled_back"


def test_break_glass_is_marked_as_an_emergency_and_the_ledger_still_decides(web: Web) -> None:
    ref = web.team.submit("01-support-summarizer-1.1.yaml")  # medium tier, approval missing
    leaf = web.team.service.resolve(ref).leaf_hex
    client, csrf = signed_in(web, RITA)
    page = client.get(f"/decisions/{leaf}").text
    assert 'class="danger">Emergency: break-glass promote' in page
    # `rledger gate` says no: the dialog offers no Promote and says why, in the gate's words
    gate = web.team.service.decisions.status(ref)
    assert not gate["may_promote_now"] and gate["blockers"]
    assert 'value="promote"' not in page and 'id="promote-blockers"' in page
    for reason in gate["blockers"]:
        assert reason.replace("'", "&#39;") in page
    sign_page = client.post(f"/decisions/{leaf}/prepare", data={"csrf": csrf, "action": "break-glass"}).text
    assert '<span class="emergency">Emergency</span>' in sign_page and "dialog-emergency" in sign_page
    # An ordinary promotion with the approval missing: refused by the ledger, with its reason.
    promotion = _prepared(client, leaf, csrf, action="promote")
    refused = _sign_and_post(web, client, leaf, csrf, promotion)
    assert refused.status_code == 403 and refused.json()["detail"].startswith("refused by")
    assert web.team.service.decisions.status(ref)["phase"] == "pending_approval"


def test_the_queue_filters(web: Web) -> None:
    web.team.submit("01-support-summarizer-1.1.yaml")
    client, _ = signed_in(web, "bob@example.com")

    def queued(**params: str) -> bool:
        text = client.get("/", params=params).text.split("All decisions")[0]
        return "support-summarizer@1.1" in text

    assert queued() and queued(model="summarizer") and queued(tier="medium") and queued(band="yellow")
    assert not queued(model="claims") and not queued(tier="high") and not queued(band="green")
