"""The acceptance probes: each refused with 401 or 403, a problem body, and an unchanged ledger."""

from __future__ import annotations

import base64
from datetime import timedelta
from importlib import resources
from typing import Any

import httpx
import pytest

from ledger.scoring.input import json_ready, parse_decision_text
from policies.loader import default_policy_path
from tests.api import signing
from tests.api.conftest import Api
from tests.governance.conftest import ADMIN

ALICE, BOB, CAROL, ERIN, RITA = (
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "erin@example.com",
    "rita@example.com",
)
DECISION_01 = "01-support-summarizer-1.1.yaml"
REF_13 = "support-summarizer@1.3"


def default_policy_text() -> str:
    return default_policy_path().read_text()


def decision_json(filename: str, **override: Any) -> dict[str, Any]:
    data = parse_decision_text((resources.files("cli.demo") / filename).read_text())
    data.update(override)
    return json_ready(data)  # what a pipeline would send: plain JSON strings and numbers


def submit(api: Api, filename: str, who: str = ALICE, **override: Any) -> dict[str, Any]:
    """Submit a decision file, signed by its requester ``who`` on the client's side."""
    body = signing.decision(api, decision_json(filename, requested_by=who, **override))
    response = api.client.post("/v1/decisions", json=body, headers=api.headers(who))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def refused(api: Api, response: httpx.Response, status: int, *needles: str, before: Any) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    for needle in needles:
        assert needle in body["detail"], body
    assert api.snapshot() == before, "a refused request changed the ledger"


def test_submit_and_read_back(api: Api) -> None:
    recorded = submit(api, "01-support-summarizer-1.1.yaml")
    assert recorded["index"] == "103.95" and recorded["band"] == "yellow" and recorded["tier"] == "medium"
    got = api.client.get("/v1/decisions/support-summarizer@1.1", headers=api.headers(ERIN))
    assert got.status_code == 200 and got.json()["hash"] == recorded["hash"]
    payload = got.json()["payload"]
    assert payload["signature"] and "attestation" not in payload  # the requester's own signature
    by_hash = api.client.get(f"/v1/decisions/{recorded['hash']}", headers=api.headers(ERIN))
    assert by_hash.json()["seq"] == recorded["seq"]
    status = api.client.get("/v1/decisions/support-summarizer@1.1/status", headers=api.headers(ERIN)).json()
    assert status["missing_approvals"][0]["role"] == "ml-lead"
    assert "bob@example.com" in status["missing_approvals"][0]["who"]


def test_self_approval(api: Api) -> None:
    mallory = "mallory@example.com"
    recorded = submit(api, "01-support-summarizer-1.1.yaml", who=mallory)
    statement = signing.approval(api, recorded["hash"], mallory, "ml-lead")
    before = api.snapshot()
    r = api.client.post(
        "/v1/decisions/support-summarizer@1.1/approvals", json=statement, headers=api.headers(mallory)
    )
    refused(api, r, 403, "requester may never approve", before=before)


def test_approval_with_a_role_the_tier_does_not_require(api: Api) -> None:
    recorded = submit(api, "01-support-summarizer-1.1.yaml")
    statement = signing.approval(api, recorded["hash"], CAROL, "compliance")
    before = api.snapshot()
    r = api.client.post(
        f"/v1/decisions/{recorded['hash']}/approvals", json=statement, headers=api.headers(CAROL)
    )
    refused(api, r, 403, "does not require role compliance", before=before)
    assert r.json()["rule"] == "tiers.medium.approvals"


def test_a_submitter_promoting(api: Api) -> None:
    ref = "support-summarizer@1.3"
    submit(api, "03-support-summarizer-1.3.yaml")  # low tier, auto-approved
    before = api.snapshot()
    path = f"/v1/decisions/{ref}/promote"
    r = api.client.post(path, json=signing.promotion(api, ref, ALICE), headers=api.headers(ALICE))
    refused(api, r, 403, "has none of the roles", before=before)
    ok = api.client.post(path, json=signing.promotion(api, ref, RITA), headers=api.headers(RITA))
    assert ok.status_code == 201, ok.text


AUDITOR_WRITES: dict[str, tuple[str, Any]] = {
    "submit": (
        "/v1/decisions",
        lambda api: signing.decision(api, decision_json(DECISION_01, requested_by=ERIN)),
    ),
    "promote": (f"/v1/decisions/{REF_13}/promote", lambda api: signing.promotion(api, REF_13, ERIN)),
    "canary": (f"/v1/decisions/{REF_13}/canary", lambda api: signing.canary_start(api, REF_13, ERIN)),
    "rollback": (
        f"/v1/decisions/{REF_13}/rollback",
        lambda api: signing.rollback(api, REF_13, ERIN, "1.0", "x"),
    ),
    "approval": (
        f"/v1/decisions/{REF_13}/approvals",
        lambda api: signing.approval(api, REF_13, ERIN, "auditor"),
    ),
    "policy": ("/v1/policy", lambda api: signing.adoption(api, default_policy_text(), ERIN)),
    "identity": (
        "/v1/identities",
        lambda api: signing.new_identity(api, "x@example.com", ["admin"], "AAAA", ERIN),
    ),
    "revoke": (f"/v1/identities/{BOB}/revoke", lambda api: signing.revocation(api, BOB, ERIN)),
}


@pytest.mark.parametrize("route", sorted(AUDITOR_WRITES))
def test_an_auditor_writes_nothing(api: Api, route: str) -> None:
    """Even with a statement the auditor signed themself: auditors only read."""
    submit(api, "03-support-summarizer-1.3.yaml")
    path, body = AUDITOR_WRITES[route]
    statement = body(api)
    before = api.snapshot()
    r = api.client.post(path, json=statement, headers=api.headers(ERIN))
    refused(api, r, 403, before=before)


def test_expired_revoked_and_forged_tokens(api: Api) -> None:
    submit(api, "03-support-summarizer-1.3.yaml")
    team = api.team
    short, _ = team.service.tokens.issue(RITA, team.clock.at + timedelta(minutes=5), RITA, team.key(RITA))
    revoked, entry = team.service.tokens.issue(RITA, None, RITA, team.key(RITA))
    team.service.tokens.revoke(entry.payload["token_id"], RITA, team.key(RITA))
    team.clock.at += timedelta(hours=1)
    path = "/v1/decisions/support-summarizer@1.3/promote"
    statement = signing.promotion(api, "support-summarizer@1.3", RITA)
    token_id = api.tokens[RITA].split("_")[1]
    forged = f"rlt_{token_id}_{base64.urlsafe_b64encode(bytes(32)).decode().rstrip('=')}"
    cases = {
        "expired": (short, "expired"),
        "revoked": (revoked, "revoked"),
        "forged": (forged, "not one this ledger issued"),
        "malformed": ("hunter2", "malformed"),
    }
    for name, (token, needle) in cases.items():
        before = api.snapshot()
        r = api.client.post(path, json=statement, headers={"Authorization": f"Bearer {token}"})
        refused(api, r, 401, needle, before=before)
        assert r.headers["www-authenticate"].startswith("Bearer"), name
    before = api.snapshot()
    refused(api, api.client.post(path, json=statement), 401, "Authorization", before=before)


def test_a_replayed_approval_aimed_at_another_decision(api: Api) -> None:
    first = submit(api, "01-support-summarizer-1.1.yaml")
    submit(api, "02-support-summarizer-1.2.yaml")
    genuine = signing.approval(api, first["hash"], BOB, "ml-lead", comment="ok")
    before = api.snapshot()
    r = api.client.post(
        "/v1/decisions/support-summarizer@1.2/approvals", json=genuine, headers=api.headers(BOB)
    )
    refused(api, r, 403, "signed for another decision", before=before)
    second = api.team.service.resolve("support-summarizer@1.2").leaf_hex
    retargeted = {**genuine, "decision": second}  # the subject still names 1.1: refused as such
    r = api.client.post(
        "/v1/decisions/support-summarizer@1.2/approvals", json=retargeted, headers=api.headers(BOB)
    )
    refused(api, r, 403, "names support-summarizer@1.1", before=before)
    retargeted = {**genuine, "decision": second, "version": "1.2"}  # all of it: the signature fails
    r = api.client.post(
        "/v1/decisions/support-summarizer@1.2/approvals", json=retargeted, headers=api.headers(BOB)
    )
    refused(api, r, 403, "does not verify", before=before)
    ok = api.client.post(
        "/v1/decisions/support-summarizer@1.1/approvals", json=genuine, headers=api.headers(BOB)
    )
    assert ok.status_code == 201, ok.text


def test_an_approval_relayed_by_someone_else(api: Api) -> None:
    first = submit(api, "01-support-summarizer-1.1.yaml")
    genuine = signing.approval(api, first["hash"], BOB, "ml-lead", comment="ok")
    before = api.snapshot()
    r = api.client.post(
        "/v1/decisions/support-summarizer@1.1/approvals", json=genuine, headers=api.headers(RITA)
    )
    refused(api, r, 403, "is bob@example.com's", before=before)


def test_policy_adoption_by_a_non_admin(api: Api) -> None:
    text = default_policy_text().replace('version: "2"', 'version: "3"')
    before = api.snapshot()
    r = api.client.post("/v1/policy", json=signing.adoption(api, text, CAROL), headers=api.headers(CAROL))
    refused(api, r, 403, "admin", before=before)
    ok = api.client.post("/v1/policy", json=signing.adoption(api, text), headers=api.headers(ADMIN))
    assert ok.status_code == 201, ok.text
    assert api.client.get("/v1/policy", headers=api.headers(ERIN)).json()["version"] == "3"


def test_validation_errors_name_the_field(api: Api) -> None:
    body = decision_json("01-support-summarizer-1.1.yaml", requested_by=ALICE)
    body["scores"]["cost"] = 140
    body["signature"] = "AAAA"  # the client could not sign what it cannot read: refused before that
    before = api.snapshot()
    r = api.client.post("/v1/decisions", json=body, headers=api.headers(ALICE))
    refused(api, r, 422, "scores.cost", before=before)
    assert r.json()["errors"][0]["field"] == "scores.cost"
