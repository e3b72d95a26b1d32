"""Evaluate a decision, and a promotion, under a policy. Deterministic: "now" is an argument.

Every outcome carries the rules that produced it (``RuleFired``), named by their path in
the policy file, with the values they saw, so ``rledger policy explain`` can show why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal

from ledger.decisions.record import assess, request_fields
from ledger.decisions.request import DecisionRequest
from ledger.decisions.rules import (
    SUBSCORES,
    TIERS,
    CatalogueGate,
    ScoringRules,
    SensitivityEscalation,
    SeverityEffect,
    Tier,
)
from ledger.encoding.numbers import decimal_text, parse_decimal_text
from ledger.errors import RefusedError
from policies.freeze import active_freezes
from policies.loader import LoadedPolicy
from policies.model import Policy


@dataclass(frozen=True)
class RuleFired:
    rule: str
    outcome: str
    values: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "outcome": self.outcome, "values": dict(self.values)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuleFired:
        return cls(
            str(data["rule"]), str(data["outcome"]), {str(k): str(v) for k, v in data["values"].items()}
        )


def scoring_rules(loaded: LoadedPolicy) -> ScoringRules:
    """The policy's scoring section in the form ledger.decisions computes with."""
    p = loaded.policy
    return ScoringRules(
        rules_id=f"policy:{p.policy_id}@{p.version}:{loaded.sha256}",
        weight_profiles=MappingProxyType(
            {name: MappingProxyType(w.model_dump()) for name, w in p.scoring.weight_profiles.items()}
        ),
        parity=p.scoring.bands.parity,
        green_margin=p.scoring.bands.green_margin,
        risk_weights=MappingProxyType(dict(p.risk.factor_weights)),
        tier_low_below=p.risk.low_below,
        tier_medium_below=p.risk.medium_below,
        escalations=tuple(
            SensitivityEscalation(e.classification, e.min_tier, frozenset(e.categories))
            for e in p.risk.escalations
        ),
        gate_catalogue=tuple(
            CatalogueGate(g.name, g.direction, g.threshold, g.severity, g.required) for g in p.scoring.gates
        ),
        severity_effects=MappingProxyType(
            {s: SeverityEffect(e.effect, e.penalty) for s, e in p.scoring.severity_effects.items()}
        ),
    )


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


WEIGHT_RULES = "scoring.weight_rules"


@dataclass(frozen=True)
class WeightsVerdict:
    """What ``scoring.weight_rules`` says about a decision's weights.

    ``outcome`` is ``allowed``, ``escalated`` (``tier`` is raised to the rules' ``escalate_to``)
    or ``refused``; ``rule`` is the policy path that decided it (the first one, if several
    did) and ``reasons`` say why in words. ``risk_tier`` is the tier before any escalation.
    """

    outcome: Literal["allowed", "escalated", "refused"]
    rule: str
    reasons: tuple[str, ...]
    risk_tier: Tier
    tier: Tier

    def describe(self) -> str:
        return "; ".join(self.reasons)

    def refusal(self) -> RefusedError:
        return RefusedError(f"weights: {self.describe()}", rule=self.rule)


def check_weights(
    policy: Policy, weights: dict[str, str], workload: str, tier: Tier
) -> WeightsVerdict | None:
    """Apply the policy's weight rules to an assessment's ``weights`` (profile name, or
    ``custom``, and the four weights as decimal strings). None when the policy has no rules.

    Refusal wins over escalation; each problem is reported with the rule that found it.
    """
    rules = policy.scoring.weight_rules
    if rules is None:
        return None
    profile = str(weights["profile"])
    custom = profile == "custom"
    problems: list[tuple[str, str, str]] = []  # (rule, reason, action)
    if custom and rules.custom != "allow":
        shown = ", ".join(f"{s} {weights[s]}" for s in SUBSCORES)
        problems.append(
            (f"{WEIGHT_RULES}.custom", f"custom weights ({shown}) instead of a policy profile", rules.custom)
        )
    for subscore, floor in rules.minimum.items():
        used = parse_decimal_text(str(weights[subscore]))
        if used < floor:
            problems.append(
                (
                    f"{WEIGHT_RULES}.minimum.{subscore}",
                    f"the {subscore} weight is {decimal_text(used)}, below the policy's minimum of "
                    f"{decimal_text(floor)}",
                    rules.on_violation,
                )
            )
    if not custom:
        allowed_here = rules.profiles_by_tier.get(tier)
        if allowed_here is not None and profile not in allowed_here:
            problems.append(
                (
                    f"{WEIGHT_RULES}.profiles_by_tier.{tier}",
                    f"profile {profile} is not allowed at tier {tier} "
                    f"(allowed: {', '.join(allowed_here) or 'none'})",
                    rules.on_violation,
                )
            )
        for_workload = rules.profiles_by_workload.get(workload)
        if for_workload is not None and profile not in for_workload:
            problems.append(
                (
                    f"{WEIGHT_RULES}.profiles_by_workload.{workload}",
                    f"profile {profile} is not allowed for workload {workload} "
                    f"(allowed: {', '.join(for_workload) or 'none'})",
                    rules.on_violation,
                )
            )
    refused = [p for p in problems if p[2] == "refuse"]
    if refused:
        return WeightsVerdict("refused", refused[0][0], tuple(p[1] for p in refused), tier, tier)
    if problems:
        raised = max(tier, rules.escalate_to, key=TIERS.index)
        reasons = tuple(p[1] for p in problems)
        return WeightsVerdict("escalated", problems[0][0], reasons, tier, raised)
    return WeightsVerdict("allowed", WEIGHT_RULES, (f"profile {profile} is allowed",), tier, tier)


def _fired_for_weights(verdict: WeightsVerdict, weights: dict[str, str]) -> RuleFired:
    values = {"profile": str(weights["profile"]), "risk_tier": verdict.risk_tier}
    if verdict.outcome == "escalated":
        outcome = f"escalated to tier {verdict.tier}"
        return RuleFired(verdict.rule, outcome, values | {"reason": verdict.describe()})
    if verdict.outcome == "refused":
        return RuleFired(verdict.rule, "refused", values | {"reason": verdict.describe()})
    return RuleFired(verdict.rule, "allowed", values)


def _fired_for_assessment(
    policy: Policy, assessment: dict[str, Any], tier: Tier, weights: WeightsVerdict | None = None
) -> list[RuleFired]:
    a = assessment
    fired = [
        RuleFired(
            f"scoring.weight_profiles.{a['weights']['profile']}",
            f"index {a['index']}",
            {name: s["contribution"] for name, s in a["subscores"].items()} | {"penalty": a["penalty"]},
        )
    ]
    for g in a["gates"]:
        where = "scoring.gates" if g["source"] == "policy" else "decision.gates"
        bound = {k: g[k] for k in ("min", "max", "observed") if k in g}
        fired.append(
            RuleFired(
                f"{where}.{g['name']}",
                ("pass" if g["passed"] else f"fail ({g['effect']})"),
                bound | {"severity": g["severity"]},
            )
        )
    bands = policy.scoring.bands
    fired.append(
        RuleFired(
            "scoring.bands",
            a["band"],
            {
                "index": a["index"],
                "parity": decimal_text(bands.parity),
                "green_margin": decimal_text(bands.green_margin),
                "blocking_gate_failures": str(
                    sum(1 for g in a["gates"] if not g["passed"] and g["effect"] == "block")
                ),
            },
        )
    )
    risk = a["risk"]
    fired.append(
        RuleFired(
            "risk.factor_weights",
            f"score {risk['score']}",
            {name: f["contribution"] for name, f in risk["factors"].items()},
        )
    )
    fired.append(
        RuleFired(
            "risk.tiers",
            risk["base_tier"],
            {
                "score": risk["score"],
                "low_below": decimal_text(policy.risk.low_below),
                "medium_below": decimal_text(policy.risk.medium_below),
            },
        )
    )
    if "escalation" in risk:
        fired.append(RuleFired("risk.escalations", risk["tier"], {"reason": risk["escalation"]}))
    if weights is not None:
        fired.append(_fired_for_weights(weights, a["weights"]))
    rule = policy.tier_rule(tier)
    fired.append(
        RuleFired(
            f"tiers.{tier}",
            f"rollout {rule.rollout.mode}",
            {
                "approvals": ", ".join(f"{r.count}x {r.role}" for r in rule.approvals) or "none",
                "rollback_rehearsal_max_age_days": str(rule.rollback_rehearsal_max_age_days),
            },
        )
    )
    return fired


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
    loaded: LoadedPolicy, request: DecisionRequest, *, refuse: bool = True
) -> DecisionEvaluation:
    """Score a decision and work out what its tier requires, under ``loaded``.

    Raises DecisionInputError for input the scoring cannot use, and RefusedError (rule
    ``scoring.weight_rules.*``) when the policy refuses the decision's weights, unless
    ``refuse`` is false: then the refusal is only reported (``weights.outcome``), which is
    what comparing policies needs. Escalated weights raise the tier, so the requirements
    (approvals, rollout) are those of the escalated tier.
    """
    assessment = assess(request, scoring_rules(loaded))
    tier: Tier = assessment["risk"]["tier"]
    verdict = check_weights(loaded.policy, assessment["weights"], request.workload, tier)
    if verdict is not None:
        if verdict.outcome == "refused" and refuse:
            raise verdict.refusal()
        tier = verdict.tier
    fired = _fired_for_assessment(loaded.policy, assessment, tier, verdict)
    needs = requirements(loaded.policy, tier)
    if verdict is not None and verdict.outcome == "escalated":
        needs["weights_escalation"] = {
            "rule": verdict.rule,
            "risk_tier": verdict.risk_tier,
            "reason": verdict.describe(),
        }
    return DecisionEvaluation(assessment, needs, tuple(fired), verdict)


def decision_record(loaded: LoadedPolicy, request: DecisionRequest) -> dict[str, Any]:
    """The release.decision payload: submitted fields, the policy in force, and its evaluation.

    Raises as :func:`evaluate_decision` does, refusals included. For a policy without
    ``scoring.weight_rules`` the payload is exactly what it was before that section existed.
    """
    evaluation = evaluate_decision(loaded, request)
    return {
        **request_fields(request),
        "policy": {
            "policy_id": loaded.policy.policy_id,
            "version": loaded.policy.version,
            "sha256": loaded.sha256,
        },
        "assessment": evaluation.assessment,
        "requirements": evaluation.requirements,
        "rules_fired": [r.to_json() for r in evaluation.fired],
    }


# -- approvals and promotion -----------------------------------------------------------------

Verdict = Literal["approve", "reject"]


@dataclass(frozen=True)
class ApprovalFact:
    approver: str
    role: str
    verdict: Verdict
    at: datetime


@dataclass(frozen=True)
class ApprovalStatus:
    satisfied: bool
    missing: tuple[tuple[str, int], ...]  # (role, how many more)
    counted: tuple[ApprovalFact, ...]
    rejected_by: tuple[ApprovalFact, ...]

    def describe_missing(self) -> str:
        return ", ".join(f"{n} more from role {role}" for role, n in self.missing)


def approval_status(requirements: dict[str, Any], approvals: Sequence[ApprovalFact]) -> ApprovalStatus:
    """Count approvals against the tier's requirements; each person counts once."""
    needed = {r["role"]: int(r["count"]) for r in requirements["approvals"]}
    seen_people: set[str] = set()
    counted: list[ApprovalFact] = []
    got: dict[str, int] = dict.fromkeys(needed, 0)
    rejected = tuple(a for a in approvals if a.verdict == "reject" and a.role in needed)
    for a in approvals:
        if a.verdict != "approve" or a.role not in needed or a.approver in seen_people:
            continue
        if got[a.role] >= needed[a.role]:
            continue
        seen_people.add(a.approver)
        got[a.role] += 1
        counted.append(a)
    missing = tuple((role, needed[role] - got[role]) for role in needed if got[role] < needed[role])
    distinct_floor = int(requirements.get("min_distinct_approvers", 0))
    if not missing and len(seen_people) < distinct_floor:
        missing = (("any approver role", distinct_floor - len(seen_people)),)
    return ApprovalStatus(not missing and not rejected, missing, tuple(counted), rejected)


@dataclass(frozen=True)
class PromotionFacts:
    band: str
    tier: Tier
    requirements: dict[str, Any]
    approvals: tuple[ApprovalFact, ...]
    canary: Literal["none", "started", "passed", "failed"]
    rehearsed_at: datetime | None
    break_glass: bool


@dataclass(frozen=True)
class PromotionOutcome:
    allowed: bool
    blockers: tuple[RuleFired, ...]
    checks: tuple[RuleFired, ...]

    def reasons(self) -> list[str]:
        return [f"{b.rule}: {b.outcome}" for b in self.blockers]


def evaluate_promotion(policy: Policy, facts: PromotionFacts, moment: datetime) -> PromotionOutcome:
    """May this release be promoted at ``moment``? Every check is reported, passing or not."""
    checks: list[RuleFired] = []
    blockers: list[RuleFired] = []

    def check(ok: bool, fired: RuleFired) -> None:
        checks.append(fired)
        if not ok:
            blockers.append(fired)

    check(
        facts.band != "red",
        RuleFired(
            "scoring.bands",
            "red band: the release failed a hard gate or shows no net gain"
            if facts.band == "red"
            else f"band {facts.band}",
            {"band": facts.band},
        ),
    )
    status = approval_status(facts.requirements, facts.approvals)
    if status.rejected_by:
        who = ", ".join(f"{r.approver} ({r.role})" for r in status.rejected_by)
        check(False, RuleFired(f"tiers.{facts.tier}.approvals", f"rejected by {who}", {}))
    elif status.satisfied:
        check(
            True,
            RuleFired(
                f"tiers.{facts.tier}.approvals",
                "satisfied",
                {"approvers": ", ".join(a.approver for a in status.counted) or "none needed"},
            ),
        )
    elif facts.break_glass:
        check(
            True, RuleFired("break_glass", f"approvals overridden; missing {status.describe_missing()}", {})
        )
    else:
        check(False, RuleFired(f"tiers.{facts.tier}.approvals", f"missing {status.describe_missing()}", {}))
    if facts.requirements["rollout"]["mode"] == "canary":
        check(
            facts.canary == "passed",
            RuleFired(f"tiers.{facts.tier}.rollout", f"canary {facts.canary}", {"required": "passed"}),
        )
    max_age = int(facts.requirements["rollback_rehearsal_max_age_days"])
    if facts.rehearsed_at is None:
        check(
            False,
            RuleFired(
                f"tiers.{facts.tier}.rollback_rehearsal_max_age_days",
                "the rollback path was never rehearsed",
                {"max_age_days": str(max_age)},
            ),
        )
    else:
        age = moment - facts.rehearsed_at
        fresh = timedelta(0) <= age <= timedelta(days=max_age)
        check(
            fresh,
            RuleFired(
                f"tiers.{facts.tier}.rollback_rehearsal_max_age_days",
                _rehearsal_age(age),
                {"max_age_days": str(max_age), "rehearsed_at": facts.rehearsed_at.isoformat()},
            ),
        )
    for window in active_freezes(policy.freeze_windows, facts.tier, moment):
        fired = RuleFired(
            f"freeze_windows.{window.name}",
            "frozen" + (" (overridden by break-glass)" if facts.break_glass else ""),
            {"min_tier": window.min_tier, "timezone": window.timezone},
        )
        check(facts.break_glass, fired)
    return PromotionOutcome(not blockers, tuple(blockers), tuple(checks))


def _rehearsal_age(age: timedelta) -> str:
    # A rehearsal dated after the promotion is not fresh, it is impossible: say so, never "-3 days".
    if age < timedelta(0):
        return f"rehearsal is dated {_days(-age)} days after this moment (in the future)"
    return f"rehearsal is {_days(age)} days old"


def _days(age: timedelta) -> str:
    return str(age.days)
