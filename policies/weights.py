"""``scoring.weight_rules``: which weight profiles a decision may use, by tier and workload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ledger.encoding.numbers import decimal_text, parse_decimal_text
from ledger.errors import RefusedError
from ledger.scoring.rules import SUBSCORES, TIERS, Tier
from policies.fired import RuleFired
from policies.model import Policy, WeightRules

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


Problem = tuple[str, str, str]
"""A weight rule's finding: (the rule's policy path, the reason in words, its action)."""


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
    problems = [
        *_custom_problems(rules, profile, weights),
        *_minimum_problems(rules, weights),
        *_tier_profile_problems(rules, profile, tier),
        *_workload_profile_problems(rules, profile, workload),
    ]
    return _verdict(rules, problems, profile, tier)


def _custom_problems(rules: WeightRules, profile: str, weights: dict[str, str]) -> list[Problem]:
    if profile != "custom" or rules.custom == "allow":
        return []
    shown = ", ".join(f"{s} {weights[s]}" for s in SUBSCORES)
    return [(f"{WEIGHT_RULES}.custom", f"custom weights ({shown}) instead of a policy profile", rules.custom)]


def _minimum_problems(rules: WeightRules, weights: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    for subscore, floor in rules.minimum.items():
        used = parse_decimal_text(str(weights[subscore]))
        if used < floor:
            reason = (
                f"the {subscore} weight is {decimal_text(used)}, below the policy's minimum of "
                f"{decimal_text(floor)}"
            )
            problems.append((f"{WEIGHT_RULES}.minimum.{subscore}", reason, rules.on_violation))
    return problems


def _tier_profile_problems(rules: WeightRules, profile: str, tier: Tier) -> list[Problem]:
    # Custom weights are no profile: the custom rule alone judges them.
    allowed_here = rules.profiles_by_tier.get(tier)
    if profile == "custom" or allowed_here is None or profile in allowed_here:
        return []
    reason = f"profile {profile} is not allowed at tier {tier} (allowed: {', '.join(allowed_here) or 'none'})"
    return [(f"{WEIGHT_RULES}.profiles_by_tier.{tier}", reason, rules.on_violation)]


def _workload_profile_problems(rules: WeightRules, profile: str, workload: str) -> list[Problem]:
    for_workload = rules.profiles_by_workload.get(workload)
    if profile == "custom" or for_workload is None or profile in for_workload:
        return []
    reason = (
        f"profile {profile} is not allowed for workload {workload} "
        f"(allowed: {', '.join(for_workload) or 'none'})"
    )
    return [(f"{WEIGHT_RULES}.profiles_by_workload.{workload}", reason, rules.on_violation)]


def _verdict(rules: WeightRules, problems: list[Problem], profile: str, tier: Tier) -> WeightsVerdict:
    """Refused if any problem refuses, escalated if any problem remains, else allowed."""
    refused = [p for p in problems if p[2] == "refuse"]
    if refused:
        return WeightsVerdict("refused", refused[0][0], tuple(p[1] for p in refused), tier, tier)
    if problems:
        raised = max(tier, rules.escalate_to, key=TIERS.index)
        reasons = tuple(p[1] for p in problems)
        return WeightsVerdict("escalated", problems[0][0], reasons, tier, raised)
    return WeightsVerdict("allowed", WEIGHT_RULES, (f"profile {profile} is allowed",), tier, tier)


def fired_for_weights(verdict: WeightsVerdict, weights: dict[str, str]) -> RuleFired:
    values = {"profile": str(weights["profile"]), "risk_tier": verdict.risk_tier}
    if verdict.outcome == "escalated":
        outcome = f"escalated to tier {verdict.tier}"
        return RuleFired(verdict.rule, outcome, values | {"reason": verdict.describe()})
    if verdict.outcome == "refused":
        return RuleFired(verdict.rule, "refused", values | {"reason": verdict.describe()})
    return RuleFired(verdict.rule, "allowed", values)
