"""Every number the scoring uses, in one place.

Defaults come from the seeds: seed 001 for the Model Iteration Index, its weight profiles
and its bands; seed 000 for the deployment risk score and its tiers. The policy engine
builds a :class:`ScoringRules` from a policy file; until then, ``DEFAULT_RULES`` is it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

Subscore = Literal["performance", "reliability", "cost", "safety"]
SUBSCORES: tuple[Subscore, ...] = ("performance", "reliability", "cost", "safety")
# Cost is spend-like: a lower candidate cost is an improvement, so its delta is inverted.
INVERTED_SUBSCORES: frozenset[str] = frozenset({"cost"})

RiskFactor = Literal[
    "change_size", "regression_surface", "test_coverage", "incident_history", "observability_gaps"
]
RISK_FACTORS: tuple[RiskFactor, ...] = (
    "change_size",
    "regression_surface",
    "test_coverage",
    "incident_history",
    "observability_gaps",
)
# Coverage is good: more of it lowers risk, so it enters the score as (100 - coverage).
INVERTED_RISK_FACTORS: frozenset[str] = frozenset({"test_coverage"})

Tier = Literal["low", "medium", "high"]
TIERS: tuple[Tier, ...] = ("low", "medium", "high")
Classification = Literal["public", "internal", "confidential", "restricted"]


def _d(text: str) -> Decimal:
    return Decimal(text)


def _profile(perf: str, rel: str, cost: str, safety: str) -> MappingProxyType[str, Decimal]:
    return MappingProxyType(
        {"performance": _d(perf), "reliability": _d(rel), "cost": _d(cost), "safety": _d(safety)}
    )


@dataclass(frozen=True)
class SensitivityEscalation:
    """Data of this classification (and, if given, one of these categories) is at least ``min_tier``."""

    classification: Classification
    min_tier: Tier
    categories: frozenset[str] = frozenset()

    def applies(self, classification: str, categories: frozenset[str]) -> bool:
        if classification != self.classification:
            return False
        return not self.categories or bool(self.categories & categories)

    def describe(self) -> str:
        which = f"{self.classification} data"
        if self.categories:
            which += " with " + " or ".join(sorted(self.categories))
        return f"{which} is at least {self.min_tier} tier"


Severity = Literal["low", "medium", "high", "critical"]


@dataclass(frozen=True)
class CatalogueGate:
    """A hard gate the policy fixes in advance: its bound wins over a looser one in a decision file."""

    name: str
    direction: Literal["min", "max"]
    threshold: Decimal
    severity: Severity
    required: bool = False


@dataclass(frozen=True)
class SeverityEffect:
    """What a failed gate of a severity does: ``block`` (band red) or ``penalty`` (index points off)."""

    effect: Literal["block", "penalty"]
    penalty: Decimal = Decimal(0)


def _all_block() -> MappingProxyType[str, SeverityEffect]:
    return MappingProxyType({s: SeverityEffect("block") for s in ("low", "medium", "high", "critical")})


@dataclass(frozen=True)
class ScoringRules:
    rules_id: str = "builtin-seed-defaults-v1"
    weight_profiles: MappingProxyType[str, MappingProxyType[str, Decimal]] = field(
        default_factory=lambda: MappingProxyType(
            {
                # seed 001: the recommended starting point
                "default": _profile("0.35", "0.30", "0.20", "0.15"),
                # seed 001: customer-facing work with legal or financial stakes
                "regulated": _profile("0.25", "0.25", "0.15", "0.35"),
                # seed 001 names a cost-heavy batch profile without numbers; ours puts cost first
                "batch": _profile("0.25", "0.20", "0.40", "0.15"),
            }
        )
    )
    parity: Decimal = Decimal("100")
    green_margin: Decimal = Decimal("5")
    risk_weights: MappingProxyType[str, Decimal] = field(
        default_factory=lambda: MappingProxyType(
            {
                "change_size": _d("0.25"),
                "regression_surface": _d("0.25"),
                "test_coverage": _d("0.20"),
                "incident_history": _d("0.15"),
                "observability_gaps": _d("0.15"),
            }
        )
    )
    # seed 000: low-risk auto-promotes, medium canaries, high needs manual approval.
    tier_low_below: Decimal = Decimal("30")
    tier_medium_below: Decimal = Decimal("70")
    escalations: tuple[SensitivityEscalation, ...] = (
        SensitivityEscalation("restricted", "high"),
        SensitivityEscalation("confidential", "medium", frozenset({"pii"})),
    )
    # seed 001: any failed hard gate overrides the composite
    gate_catalogue: tuple[CatalogueGate, ...] = ()
    severity_effects: MappingProxyType[str, SeverityEffect] = field(default_factory=_all_block)


DEFAULT_RULES = ScoringRules()
