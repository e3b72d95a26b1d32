"""May a release be promoted now? Approvals counted against a tier, canary, rehearsal, freezes.

Deterministic: "now" is an argument. Every check is reported, passing or not, with the
policy path that made it (``RuleFired``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from ledger.scoring.rules import Tier
from policies.fired import RuleFired
from policies.freeze import active_freezes
from policies.model import Policy

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


Check = tuple[bool, RuleFired]
"""A promotion check: whether it passed, and the rule that made it."""


def evaluate_promotion(
    policy: Policy, facts: PromotionFacts, moment: datetime, in_force: Policy | None = None
) -> PromotionOutcome:
    """May this release be promoted at ``moment``? Every check is reported, passing or not.

    ``policy`` is the decision's recorded policy; ``in_force`` is the policy in force at
    ``moment`` when it is another one (ledger format 3, docs/policy.md "Which policy governs
    what"), whose freeze windows apply as well. The checks, in order: the band, the tier's
    approvals, the canary (for a canary rollout), the rollback rehearsal's age, each freeze
    window of ``policy`` active at ``moment``, then each of ``in_force``'s.
    """
    checks = [
        _band_check(facts),
        _approvals_check(facts),
        *_canary_checks(facts),
        _rehearsal_check(facts, moment),
        *_freeze_checks(policy, facts, moment),
        *(_freeze_checks(in_force, facts, moment, in_force=True) if in_force else []),
    ]
    blockers = tuple(fired for ok, fired in checks if not ok)
    return PromotionOutcome(not blockers, blockers, tuple(fired for _, fired in checks))


def _band_check(facts: PromotionFacts) -> Check:
    red = facts.band == "red"
    outcome = "red band: the release failed a hard gate or shows no net gain" if red else f"band {facts.band}"
    return not red, RuleFired("scoring.bands", outcome, {"band": facts.band})


def _approvals_check(facts: PromotionFacts) -> Check:
    # A rejection blocks even a break-glass promotion; break-glass only overrides missing approvals.
    rule = f"tiers.{facts.tier}.approvals"
    status = approval_status(facts.requirements, facts.approvals)
    if status.rejected_by:
        who = ", ".join(f"{r.approver} ({r.role})" for r in status.rejected_by)
        return False, RuleFired(rule, f"rejected by {who}", {})
    if status.satisfied:
        approvers = ", ".join(a.approver for a in status.counted) or "none needed"
        return True, RuleFired(rule, "satisfied", {"approvers": approvers})
    if facts.break_glass:
        return True, RuleFired(
            "break_glass", f"approvals overridden; missing {status.describe_missing()}", {}
        )
    return False, RuleFired(rule, f"missing {status.describe_missing()}", {})


def _canary_checks(facts: PromotionFacts) -> list[Check]:
    """The canary's result, for a tier that rolls out by canary; nothing otherwise."""
    if facts.requirements["rollout"]["mode"] != "canary":
        return []
    fired = RuleFired(f"tiers.{facts.tier}.rollout", f"canary {facts.canary}", {"required": "passed"})
    return [(facts.canary == "passed", fired)]


def _rehearsal_check(facts: PromotionFacts, moment: datetime) -> Check:
    rule = f"tiers.{facts.tier}.rollback_rehearsal_max_age_days"
    max_age = int(facts.requirements["rollback_rehearsal_max_age_days"])
    if facts.rehearsed_at is None:
        return False, RuleFired(rule, "the rollback path was never rehearsed", {"max_age_days": str(max_age)})
    age = moment - facts.rehearsed_at
    fresh = timedelta(0) <= age <= timedelta(days=max_age)
    values = {"max_age_days": str(max_age), "rehearsed_at": facts.rehearsed_at.isoformat()}
    return fresh, RuleFired(rule, _rehearsal_age(age), values)


def _freeze_checks(
    policy: Policy, facts: PromotionFacts, moment: datetime, *, in_force: bool = False
) -> list[Check]:
    """One check per freeze window active at ``moment``; only break-glass passes one.

    A window of the policy in force (``in_force``) names that policy, ``policy_id@version``.
    """
    overridden = " (overridden by break-glass)" if facts.break_glass else ""
    label = f"{policy.policy_id}@{policy.version}"
    source = f" by the policy in force, {label}" if in_force else ""
    where = {"policy": label} if in_force else {}
    return [
        (
            facts.break_glass,
            RuleFired(
                f"freeze_windows.{window.name}",
                "frozen" + source + overridden,
                {"min_tier": window.min_tier, "timezone": window.timezone, **where},
            ),
        )
        for window in active_freezes(policy.freeze_windows, facts.tier, moment)
    ]


def _rehearsal_age(age: timedelta) -> str:
    # A rehearsal dated after the promotion is not fresh, it is impossible: say so, never "-3 days".
    if age < timedelta(0):
        return f"rehearsal is dated {_days(-age)} days after this moment (in the future)"
    return f"rehearsal is {_days(age)} days old"


def _days(age: timedelta) -> str:
    return str(age.days)
