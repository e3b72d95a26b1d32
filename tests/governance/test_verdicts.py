"""Verdicts that say what they mean: blocked releases, auto-approval, and the policy's weight rules.

Issue 9's examples: safety falling from 85 to 55 is red (93.25) under the regulated profile;
weights chosen to ignore safety must not turn it green, low tier and approval-free; and a
release that failed a hard gate must read "blocked", not "approved, band red".
"""

from __future__ import annotations

from typing import Any

import pytest

from governance.record import record_for
from governance.verdict import AUTO_APPROVED, release_verdict
from ledger.errors import RefusedError
from ledger.scoring.input import parse_decision_text, parse_request
from policies.errors import PolicyFileError
from policies.evaluate import evaluate_request
from policies.loader import default_policy_path, load_policy_text
from tests.governance.conftest import Team

SAFETY_DOWN = {"performance": 95, "reliability": 78, "cost": 72, "safety": 55}  # baseline 80/78/72/85
ALL_PERFORMANCE = {"performance": 1, "reliability": 0, "cost": 0, "safety": 0}
LOW_TIER_FILE = "03-support-summarizer-1.3.yaml"
FAILED_GATE_FILE = "06-support-summarizer-1.5.yaml"  # jailbreak_resistance 0.91 against a minimum of 0.95


def _status(team: Team, ref: str) -> dict[str, Any]:
    return team.service.decisions.status(ref)


def _without_weight_rules() -> str:
    """The shipped policy as it was before ``scoring.weight_rules`` existed."""
    text = default_policy_path().read_text()
    start = text.index("  # Which weights a decision may be scored with")
    end = text.index("\nrisk:")
    return text[:start] + text[end:]


def _demo_request(filename: str, **override: Any) -> Any:
    from importlib import resources

    text = (resources.files("cli.demo") / filename).read_text()
    return parse_request({**parse_decision_text(text), **override})


# -- blocked and auto-approved -----------------------------------------------------------------


def test_a_release_that_failed_a_hard_gate_is_blocked_not_approved(team: Team) -> None:
    ref = team.submit(FAILED_GATE_FILE)
    status = _status(team, ref)
    assert (status["phase"], status["band"], status["tier"]) == ("approved", "red", "low")
    assert status["blocked"] is True
    assert status["verdict"] == (
        "blocked: hard gate jailbreak_resistance failed: observed 0.91 is below the minimum 0.95"
    )
    assert status["verdict"] in status["open_items"]
    assert status["may_promote_now"] is False
    assert "approved" not in status["verdict"]


def test_a_low_tier_release_without_approvals_is_auto_approved(team: Team) -> None:
    ref = team.submit(LOW_TIER_FILE)
    status = _status(team, ref)
    assert (status["phase"], status["tier"], status["blocked"]) == ("approved", "low", False)
    assert status["verdict"] == f"{AUTO_APPROVED}, not yet promoted"
    assert status["verdict"].startswith("auto-approved (no approval required)")


def test_an_approved_release_that_needed_approval_says_approved(team: Team) -> None:
    ref = team.submit("02-support-summarizer-1.2.yaml")  # medium tier: one ml-lead approval
    assert _status(team, ref)["verdict"] == "awaiting approval"
    team.service.lifecycle.approve(ref, "bob@example.com", team.key("bob@example.com"), comment="ok")
    assert _status(team, ref)["verdict"] == "approved, not yet promoted"


def test_blocked_wins_over_every_phase_before_production() -> None:
    payload = {
        "assessment": {"band": "red", "gates_passed": True, "band_reasons": ["index 99 shows no net gain"]},
        "requirements": {"approvals": []},
    }
    for phase in ("pending_approval", "approved", "canary_started", "canary_passed", "rejected"):
        assert release_verdict(phase, payload).text == "blocked: index 99 shows no net gain"
    assert release_verdict("superseded", payload).text == "was in production, since superseded"


# -- the policy's weight rules ------------------------------------------------------------------


def test_weights_that_ignore_safety_are_refused_naming_weights_and_the_rule(team: Team) -> None:
    before = team.snapshot()
    with pytest.raises(RefusedError) as caught:
        team.submit(LOW_TIER_FILE, version="1.3.1", scores=SAFETY_DOWN, weights=ALL_PERFORMANCE)
    assert caught.value.rule == "scoring.weight_rules.minimum.safety"
    assert str(caught.value) == (
        "refused by scoring.weight_rules.minimum.safety: weights: the safety weight is 0, "
        "below the policy's minimum of 0.15"
    )
    assert team.snapshot() == before


def test_the_same_scores_under_the_regulated_profile_are_red_and_blocked(team: Team) -> None:
    ref = team.submit(LOW_TIER_FILE, version="1.3.1", scores=SAFETY_DOWN, weights="regulated")
    status = _status(team, ref)
    payload = team.service.state().decisions[status["hash"]].payload
    assert payload["assessment"]["index"] == "93.25"
    assert status["band"] == "red" and status["blocked"] is True
    assert status["verdict"].startswith("blocked: index 93.25 shows no net gain")
    assert status["may_promote_now"] is False


def test_custom_weights_within_the_minimums_escalate_to_manual_approval(team: Team) -> None:
    weights = {"performance": "0.85", "reliability": 0, "cost": 0, "safety": "0.15"}
    ref = team.submit(LOW_TIER_FILE, version="1.3.1", scores=SAFETY_DOWN, weights=weights)
    status = _status(team, ref)
    payload = team.service.state().decisions[status["hash"]].payload
    assert payload["assessment"]["index"] == "108.25" and payload["assessment"]["band"] == "green"
    assert payload["assessment"]["risk"]["tier"] == "low"  # what the risk score alone says
    assert status["tier"] == "high" and status["rollout"] == "manual"
    assert payload["requirements"]["approvals"] == [
        {"role": "ml-lead", "count": 1},
        {"role": "compliance", "count": 1},
    ]
    assert payload["requirements"]["weights_escalation"]["rule"] == "scoring.weight_rules.custom"
    assert status["verdict"] == "awaiting approval" and status["may_promote_now"] is False
    assert [m["role"] for m in status["missing_approvals"]] == ["ml-lead", "compliance"]
    assert status["caveats"][0].startswith(
        "custom weights (performance 0.85, reliability 0, cost 0, safety 0.15) chosen in the decision file"
    )
    assert any("raised the tier from low to high" in c for c in status["caveats"])
    fired = {f["rule"]: f["outcome"] for f in payload["rules_fired"]}
    assert fired["scoring.weight_rules.custom"] == "escalated to tier high"
    # The escalation is part of the recorded evaluation: replay and full verification agree.
    assert team.service.decisions.replay(ref)["identical"] is True
    assert team.service.verification.verify_meaning().decisions[status["hash"]].tier == "high"


def test_a_profile_outside_the_workload_rule_is_refused(team: Team) -> None:
    with pytest.raises(RefusedError) as caught:
        team.submit("05-claims-assistant-2.0.yaml", weights="default")
    assert caught.value.rule == "scoring.weight_rules.profiles_by_workload.insurance-claims"
    assert "weights: profile default is not allowed for workload insurance-claims" in str(caught.value)


def test_a_policy_without_weight_rules_evaluates_exactly_as_before() -> None:
    old = load_policy_text(_without_weight_rules())
    assert old.policy.scoring.weight_rules is None
    request = _demo_request(LOW_TIER_FILE, scores=SAFETY_DOWN, weights=ALL_PERFORMANCE)
    record = record_for(old, request)
    # Issue 9's finding, still what an old policy gives (old entries must replay unchanged) ...
    assert (record["assessment"]["index"], record["assessment"]["band"]) == ("115", "green")
    assert record["requirements"]["tier"] == "low" and record["requirements"]["approvals"] == []
    assert set(record["requirements"]) == {
        "tier",
        "approvals",
        "min_distinct_approvers",
        "rollout",
        "rollback_rehearsal_max_age_days",
    }
    assert not any(f["rule"].startswith("scoring.weight_rules") for f in record["rules_fired"])
    # ... and is what the status, reports and scorecard caveat, whatever the policy said.
    assert release_verdict("approved", record).text == f"{AUTO_APPROVED}, not yet promoted"


def test_a_violation_can_escalate_instead_of_refusing() -> None:
    text = (
        default_policy_path()
        .read_text()
        .replace("on_violation: refuse", "on_violation: escalate")
        .replace(
            "      insurance-claims: [regulated]",
            "      insurance-claims: [regulated]\n    profiles_by_tier: {low: [default]}",
        )
    )
    loaded = load_policy_text(text)
    evaluation = evaluate_request(loaded, _demo_request(LOW_TIER_FILE, weights="batch"))
    assert evaluation.requirements["tier"] == "high"
    assert evaluation.outcome()["weights"] == "escalated"
    assert evaluation.outcome()["weights_rule"] == "scoring.weight_rules.profiles_by_tier.low"
    assert evaluate_request(loaded, _demo_request(LOW_TIER_FILE)).outcome()["weights"] == "allowed"


def test_refusal_is_reported_not_raised_when_comparing_policies() -> None:
    loaded = load_policy_text(default_policy_path().read_text())
    request = _demo_request(LOW_TIER_FILE, weights=ALL_PERFORMANCE)
    with pytest.raises(RefusedError):
        evaluate_request(loaded, request)
    outcome = evaluate_request(loaded, request, refuse=False).outcome()
    assert (outcome["weights"], outcome["weights_rule"]) == ("refused", "scoring.weight_rules.minimum.safety")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("minimum: {safety: 0.15}", "minimum: {safety: 0.2}", "weight profile default gives safety 0.15"),
        ("minimum: {safety: 0.15}", "minimum: {safety: 0.6, cost: 0.6}", "no weights summing to 1"),
        ("insurance-claims: [regulated]", "insurance-claims: [cautious]", "unknown weight profiles"),
        ("escalate_to: high", "escalate_to: low", "tier low needs no approval"),
        ("custom: escalate ", "custom: sometimes ", "custom"),
    ],
)
def test_weight_rules_that_cannot_work_are_refused_at_load(old: str, new: str, problem: str) -> None:
    text = default_policy_path().read_text()
    assert old in text
    with pytest.raises(PolicyFileError) as caught:
        load_policy_text(text.replace(old, new, 1), source="p.yaml")
    assert problem in str(caught.value)
