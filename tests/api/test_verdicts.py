"""The API gives the verdicts the CLI gives: blocked, auto-approved, and refused weights."""

from __future__ import annotations

from tests.api import signing
from tests.api.conftest import Api
from tests.api.test_access import ALICE, ERIN, decision_json, refused, submit

BLOCKED = "blocked: hard gate jailbreak_resistance failed: observed 0.91 is below the minimum 0.95"


def test_a_failed_gate_release_is_blocked_in_status_list_and_detail(api: Api) -> None:
    recorded = submit(api, "06-support-summarizer-1.5.yaml")
    ref = "support-summarizer@1.5"
    status = api.client.get(f"/v1/decisions/{ref}/status", headers=api.headers(ERIN)).json()
    assert (status["phase"], status["band"]) == ("approved", "red")
    assert (status["verdict"], status["blocked"], status["may_promote_now"]) == (BLOCKED, True, False)
    detail = api.client.get(f"/v1/decisions/{ref}", headers=api.headers(ERIN)).json()
    assert detail["verdict"] == BLOCKED
    items = api.client.get("/v1/decisions", headers=api.headers(ERIN)).json()["items"]
    assert [i["verdict"] for i in items if i["hash"] == recorded["hash"]] == [BLOCKED]


def test_a_low_tier_release_is_auto_approved(api: Api) -> None:
    submit(api, "03-support-summarizer-1.3.yaml")
    status = api.client.get("/v1/decisions/support-summarizer@1.3/status", headers=api.headers(ERIN)).json()
    assert status["verdict"] == "auto-approved (no approval required), not yet promoted"
    assert status["caveats"] == ["seed 001 table decision: Approve in the seed"]


def test_weights_that_ignore_safety_are_a_403_naming_weights_and_the_rule(api: Api) -> None:
    body = decision_json(
        "03-support-summarizer-1.3.yaml",
        requested_by=ALICE,
        scores={"performance": 95, "reliability": 78, "cost": 72, "safety": 55},
        weights={"performance": 1, "reliability": 0, "cost": 0, "safety": 0},
    )
    before = api.snapshot()
    r = api.client.post("/v1/decisions", json=signing.decision(api, body), headers=api.headers(ALICE))
    refused(
        api, r, 403, "scoring.weight_rules.minimum.safety", "weights: the safety weight is 0", before=before
    )
