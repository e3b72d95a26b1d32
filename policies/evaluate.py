"""Evaluate a decision's assessment under a policy: its tier's requirements and the rules fired.

Step 4 of a decision's path (docs/architecture.md): :func:`evaluate_decision` takes the
assessment :mod:`ledger.scoring.assess` computed; nothing here is called by the scoring, so
the two never call each other in a circle. :func:`evaluate_request` is steps 3 and 4 in a
row, for callers that hold a request (policy cases, policy diff, replay). Deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.encoding.numbers import decimal_text
from ledger.scoring.assess import assess
from ledger.scoring.request import DecisionRequest
from ledger.scoring.rules import Tier
from policies.fired import RuleFired
from policies.loader import LoadedPolicy
from policies.model import Policy
from policies.scoring import scoring_rules
from policies.weights import WeightsVerdict, check_weights, fired_for_weights


def requirements(policy: Policy, tier: Tier) -> dict[str, Any]:
    rule = policy.tier_rule(tier)
    rollout: dict[str, Any] = {"mode": rule.rollout.mode}
    if rule.rollout.mode == "canary":
        rollout["canary_window_hours"] = rule.rollout.canary_window_hours
        rollout["acceptance"] = [
            {
                "metric": c.metric,
                **({"min": decimal_text(c.min)} if c.min is not None else {}),
                **({"max": decimal_text(c.max)} if c.max is not None else {}),
            }
            for c in rule.rollout.acceptance
        ]
    return {
        "tier": tier,
        "approvals": [{"role": a.role, "count": a.count} for a in rule.approvals],
        "min_distinct_approvers": policy.separation_of_duties.min_distinct_approvers if rule.approvals else 0,
        "rollout": rollout,
        "rollback_rehearsal_max_age_days": rule.rollback_rehearsal_max_age_days,
    }


def _fired_for_assessment(
    policy: Policy, assessment: dict[str, Any], tier: Tier, weights: WeightsVerdict | None = None
) -> list[RuleFired]:
    fired = [_fired_for_index(assessment)]
    fired += [_fired_for_gate(g) for g in assessment["gates"]]
    fired.append(_fired_for_bands(policy, assessment))
    fired += _fired_for_risk(policy, assessment["risk"])
    if weights is not None:
        fired.append(fired_for_weights(weights, assessment["weights"]))
    fired.append(_fired_for_tier(policy, tier))
    return fired


def _fired_for_index(a: dict[str, Any]) -> RuleFired:
    return RuleFired(
        f"scoring.weight_profiles.{a['weights']['profile']}",
        f"index {a['index']}",
        {name: s["contribution"] for name, s in a["subscores"].items()} | {"penalty": a["penalty"]},
    )


def _fired_for_gate(g: dict[str, Any]) -> RuleFired:
    where = "scoring.gates" if g["source"] == "policy" else "decision.gates"
    bound = {k: g[k] for k in ("min", "max", "observed") if k in g}
    return RuleFired(
        f"{where}.{g['name']}",
        ("pass" if g["passed"] else f"fail ({g['effect']})"),
        bound | {"severity": g["severity"]},
    )


def _fired_for_bands(policy: Policy, a: dict[str, Any]) -> RuleFired:
    bands = policy.scoring.bands
    blocking = sum(1 for g in a["gates"] if not g["passed"] and g["effect"] == "block")
    return RuleFired(
        "scoring.bands",
        a["band"],
        {
            "index": a["index"],
            "parity": decimal_text(bands.parity),
            "green_margin": decimal_text(bands.green_margin),
            "blocking_gate_failures": str(blocking),
        },
    )


def _fired_for_risk(policy: Policy, risk: dict[str, Any]) -> list[RuleFired]:
    """The risk score's factors, its base tier and, if one applied, the escalation."""
    fired = [
        RuleFired(
            "risk.factor_weights",
            f"score {risk['score']}",
            {name: f["contribution"] for name, f in risk["factors"].items()},
        ),
        RuleFired(
            "risk.tiers",
            risk["base_tier"],
            {
                "score": risk["score"],
                "low_below": decimal_text(policy.risk.low_below),
                "medium_below": decimal_text(policy.risk.medium_below),
            },
        ),
    ]
    if "escalation" in risk:
        fired.append(RuleFired("risk.escalations", risk["tier"], {"reason": risk["escalation"]}))
    return fired


def _fired_for_tier(policy: Policy, tier: Tier) -> RuleFired:
    rule = policy.tier_rule(tier)
    return RuleFired(
        f"tiers.{tier}",
        f"rollout {rule.rollout.mode}",
        {
            "approvals": ", ".join(f"{r.count}x {r.role}" for r in rule.approvals) or "none",
            "rollback_rehearsal_max_age_days": str(rule.rollback_rehearsal_max_age_days),
        },
    )


@dataclass(frozen=True)
class DecisionEvaluation:
    assessment: dict[str, Any]
    requirements: dict[str, Any]
    fired: tuple[RuleFired, ...]
    weights: WeightsVerdict | None = None  # None: the policy has no weight rules

    def outcome(self) -> dict[str, Any]:
        """What `policy diff` compares: the parts of an evaluation a decision depends on."""
        return {
            "index": self.assessment["index"],
            "band": self.assessment["band"],
            "tier": self.requirements["tier"],
            "approvals": self.requirements["approvals"],
            "rollout": self.requirements["rollout"]["mode"],
            "rollback_rehearsal_max_age_days": self.requirements["rollback_rehearsal_max_age_days"],
            "weights": self.weights.outcome if self.weights else "allowed",
            "weights_rule": self.weights.rule if self.weights and self.weights.outcome != "allowed" else "",
        }


def evaluate_decision(
    loaded: LoadedPolicy, assessment: dict[str, Any], workload: str, *, refuse: bool = True
) -> DecisionEvaluation:
    """What the policy ``loaded`` requires of a decision with this ``assessment``.

    ``assessment`` is what :func:`ledger.scoring.assess.assess` returned under this policy's
    scoring rules; ``workload`` is the decision's (the weight rules may name it). Raises
    RefusedError (rule ``scoring.weight_rules.*``) when the policy refuses the weights, unless
    ``refuse`` is false: then the refusal is only reported (``weights.outcome``), which is what
    comparing policies needs. Escalated weights raise the tier, so the requirements
    (approvals, rollout) are those of the escalated tier.
    """
    tier: Tier = assessment["risk"]["tier"]
    verdict = check_weights(loaded.policy, assessment["weights"], workload, tier)
    if verdict is not None:
        if verdict.outcome == "refused" and refuse:
            raise verdict.refusal()
        tier = verdict.tier
    fired = _fired_for_assessment(loaded.policy, assessment, tier, verdict)
    return DecisionEvaluation(assessment, _requirements(loaded.policy, tier, verdict), tuple(fired), verdict)


def _requirements(policy: Policy, tier: Tier, verdict: WeightsVerdict | None) -> dict[str, Any]:
    needs = requirements(policy, tier)
    if verdict is not None and verdict.outcome == "escalated":
        needs["weights_escalation"] = {
            "rule": verdict.rule,
            "risk_tier": verdict.risk_tier,
            "reason": verdict.describe(),
        }
    return needs


def evaluate_request(
    loaded: LoadedPolicy, request: DecisionRequest, *, refuse: bool = True
) -> DecisionEvaluation:
    """Assess ``request`` under the policy's scoring rules, then evaluate that assessment.

    The two steps in a row, for callers that hold a request (policy cases, policy diff).
    Raises DecisionInputError for input the scoring cannot use, and as :func:`evaluate_decision`.
    """
    assessment = assess(request, scoring_rules(loaded))
    return evaluate_decision(loaded, assessment, request.workload, refuse=refuse)
