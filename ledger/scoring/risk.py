"""Deployment risk score and tier (seed 000).

The score is a weighted sum of five factors, each 0-100 where higher means riskier, with
test coverage entering as ``100 - coverage``. Weights are non-negative and sum to 1, so
the score stays in 0-100 and is monotone: raising any risk factor, or lowering coverage,
never lowers it. A factor the decision file leaves out is assumed to be at its worst
(100, or 0 coverage): an unknown risk is not a low one.

Data sensitivity can only raise the tier, never lower it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ledger.encoding.numbers import decimal_text
from ledger.scoring.rules import INVERTED_RISK_FACTORS, RISK_FACTORS, TIERS, ScoringRules, Tier

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class FactorResult:
    name: str
    value: Decimal
    assumed: bool
    risk: Decimal
    weight: Decimal
    contribution: Decimal

    def advice(self) -> str:
        """What an engineer can do about this factor, in one line."""
        if self.name in INVERTED_RISK_FACTORS:
            return f"raising {self.name} by 10 lowers the score by {decimal_text(self.weight * 10)}"
        return f"lowering {self.name} by 10 lowers the score by {decimal_text(self.weight * 10)}"


@dataclass(frozen=True)
class RiskResult:
    factors: tuple[FactorResult, ...]
    score: Decimal
    base_tier: Tier
    tier: Tier
    escalation: str | None


def tier_for(score: Decimal, rules: ScoringRules) -> Tier:
    if score < rules.tier_low_below:
        return "low"
    if score < rules.tier_medium_below:
        return "medium"
    return "high"


def risk_score(
    factors: Mapping[str, Decimal | None], rules: ScoringRules
) -> tuple[tuple[FactorResult, ...], Decimal]:
    results = []
    for name in RISK_FACTORS:
        given = factors.get(name)
        inverted = name in INVERTED_RISK_FACTORS
        value = given if given is not None else (Decimal(0) if inverted else HUNDRED)
        risk = HUNDRED - value if inverted else value
        weight = rules.risk_weights[name]
        results.append(FactorResult(name, value, given is None, risk, weight, weight * risk))
    return tuple(results), sum((r.contribution for r in results), Decimal(0))


def assess_risk(
    factors: Mapping[str, Decimal | None],
    classification: str,
    categories: frozenset[str],
    rules: ScoringRules,
) -> RiskResult:
    parts, score = risk_score(factors, rules)
    base = tier_for(score, rules)
    tier, escalation = base, None
    for rule in rules.escalations:
        if rule.applies(classification, categories) and TIERS.index(rule.min_tier) > TIERS.index(tier):
            tier, escalation = rule.min_tier, rule.describe()
    return RiskResult(parts, score, base, tier, escalation)
