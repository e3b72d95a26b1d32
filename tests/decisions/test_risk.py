"""Deployment risk score and tiers (seed 000): monotone, bounded, and escalated by data sensitivity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.scoring.risk import assess_risk, risk_score, tier_for
from ledger.scoring.rules import DEFAULT_RULES, INVERTED_RISK_FACTORS, RISK_FACTORS, TIERS

D = Decimal
ZERO_RISK: dict[str, Decimal | None] = {
    "change_size": D(0),
    "regression_surface": D(0),
    "test_coverage": D(100),
    "incident_history": D(0),
    "observability_gaps": D(0),
}

values = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
maybe_values = st.none() | values
factor_maps = st.fixed_dictionaries({name: maybe_values for name in RISK_FACTORS})
classifications = st.sampled_from(["public", "internal", "confidential", "restricted"])
category_sets = st.frozensets(st.sampled_from(["pii", "financial", "health", "other"]), max_size=4)


def score(factors: dict[str, Decimal | None]) -> Decimal:
    return risk_score(factors, DEFAULT_RULES)[1]


def riskier(name: str, value: Decimal, step: Decimal) -> Decimal:
    """The value of factor ``name`` moved ``step`` towards more risk, kept in 0..100."""
    if name in INVERTED_RISK_FACTORS:
        return max(D(0), value - step)
    return min(D(100), value + step)


@settings(max_examples=200)
@given(factors=factor_maps)
def test_score_stays_in_0_to_100(factors: dict[str, Decimal | None]) -> None:
    parts, total = risk_score(factors, DEFAULT_RULES)
    assert D(0) <= total <= D(100)
    assert total == sum((p.contribution for p in parts), D(0))
    for part in parts:
        assert D(0) <= part.risk <= D(100)
        assert part.assumed is (factors[part.name] is None)


@settings(max_examples=300)
@given(factors=factor_maps, name=st.sampled_from(RISK_FACTORS), step=values)
def test_score_is_monotone(factors: dict[str, Decimal | None], name: str, step: Decimal) -> None:
    """Raising a risk factor, or lowering coverage, never lowers the score."""
    current = factors[name]
    if current is None:
        return  # a missing factor is covered by the next property
    worse = dict(factors)
    worse[name] = riskier(name, current, step)
    assert score(worse) >= score(factors)
    if worse[name] != current:
        # every weight is positive, so a real move in the risky direction raises the score
        assert score(worse) > score(factors)


@settings(max_examples=300)
@given(factors=factor_maps, name=st.sampled_from(RISK_FACTORS), value=values)
def test_missing_factor_is_never_lower_than_any_given_value(
    factors: dict[str, Decimal | None], name: str, value: Decimal
) -> None:
    given_value = dict(factors)
    given_value[name] = value
    missing = dict(factors)
    missing[name] = None
    assert score(missing) >= score(given_value)
    worst = dict(factors)
    worst[name] = D(0) if name in INVERTED_RISK_FACTORS else D(100)
    assert score(missing) == score(worst)


@settings(max_examples=200)
@given(factors=factor_maps)
def test_left_out_keys_are_assumed_worst(factors: dict[str, Decimal | None]) -> None:
    """A key absent from the mapping is treated like an explicit None."""
    sparse = {name: value for name, value in factors.items() if value is not None}
    assert score(sparse) == score(factors)


def test_all_missing_is_100_and_high() -> None:
    parts, total = risk_score({}, DEFAULT_RULES)
    assert total == 100
    assert all(p.assumed for p in parts)
    assert assess_risk({}, "public", frozenset(), DEFAULT_RULES).tier == "high"


def test_all_zero_risk_is_zero() -> None:
    assert score(ZERO_RISK) == 0


def test_risk_weights_sum_to_one() -> None:
    assert set(DEFAULT_RULES.risk_weights) == set(RISK_FACTORS)
    assert sum(DEFAULT_RULES.risk_weights.values(), D(0)) == 1
    assert all(w > 0 for w in DEFAULT_RULES.risk_weights.values())


def test_demo_v11_risk_score() -> None:
    factors: dict[str, Decimal | None] = {
        "change_size": D(40),
        "regression_surface": D(35),
        "test_coverage": D(85),
        "incident_history": D(10),
        "observability_gaps": D(20),
    }
    # 0.25*40 + 0.25*35 + 0.20*(100-85) + 0.15*10 + 0.15*20 = 26.25
    assert score(factors) == D("26.25")


# -- tiers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tier"),
    [
        ("0", "low"),
        ("29.99", "low"),
        ("29.999999", "low"),
        ("30", "medium"),
        ("30.00", "medium"),
        ("69.99", "medium"),
        ("70", "high"),
        ("70.0", "high"),
        ("100", "high"),
    ],
)
def test_tier_thresholds(value: str, tier: str) -> None:
    assert tier_for(D(value), DEFAULT_RULES) == tier


@pytest.mark.parametrize(("level", "tier"), [("29.99", "low"), ("30", "medium"), ("69.99", "medium")])
def test_tier_thresholds_through_factors(level: str, tier: str) -> None:
    """Every factor at the same risk level gives exactly that score."""
    v = D(level)
    factors: dict[str, Decimal | None] = {name: v for name in RISK_FACTORS}
    factors["test_coverage"] = D(100) - v
    assert score(factors) == v
    assert assess_risk(factors, "public", frozenset(), DEFAULT_RULES).tier == tier


def test_seventy_through_factors_is_high() -> None:
    factors: dict[str, Decimal | None] = {name: D(70) for name in RISK_FACTORS}
    factors["test_coverage"] = D(30)
    assert score(factors) == 70
    assert assess_risk(factors, "internal", frozenset(), DEFAULT_RULES).tier == "high"


# -- escalation by data sensitivity -----------------------------------------------------------


def test_restricted_is_at_least_high_even_with_zero_risk() -> None:
    result = assess_risk(ZERO_RISK, "restricted", frozenset(), DEFAULT_RULES)
    assert result.score == 0
    assert result.base_tier == "low"
    assert result.tier == "high"
    assert result.escalation is not None
    assert "restricted" in result.escalation


def test_confidential_with_pii_is_at_least_medium() -> None:
    result = assess_risk(ZERO_RISK, "confidential", frozenset({"pii"}), DEFAULT_RULES)
    assert result.base_tier == "low"
    assert result.tier == "medium"
    assert result.escalation is not None
    assert "pii" in result.escalation


def test_confidential_with_pii_among_others_is_escalated() -> None:
    result = assess_risk(ZERO_RISK, "confidential", frozenset({"financial", "pii"}), DEFAULT_RULES)
    assert result.tier == "medium"


@pytest.mark.parametrize("categories", [frozenset(), frozenset({"financial"}), frozenset({"health"})])
def test_confidential_without_pii_is_not_escalated(categories: frozenset[str]) -> None:
    result = assess_risk(ZERO_RISK, "confidential", categories, DEFAULT_RULES)
    assert result.tier == "low"
    assert result.escalation is None


@pytest.mark.parametrize("classification", ["public", "internal"])
def test_pii_outside_confidential_is_not_escalated(classification: str) -> None:
    result = assess_risk(ZERO_RISK, classification, frozenset({"pii"}), DEFAULT_RULES)
    assert result.tier == "low"
    assert result.escalation is None


def test_escalation_keeps_a_higher_tier() -> None:
    high: dict[str, Decimal | None] = {name: D(90) for name in RISK_FACTORS}
    high["test_coverage"] = D(10)
    result = assess_risk(high, "confidential", frozenset({"pii"}), DEFAULT_RULES)
    assert result.base_tier == "high"
    assert result.tier == "high"
    assert result.escalation is None


@settings(max_examples=300)
@given(factors=factor_maps, classification=classifications, categories=category_sets)
def test_escalation_never_lowers_a_tier(
    factors: dict[str, Decimal | None], classification: str, categories: frozenset[str]
) -> None:
    result = assess_risk(factors, classification, categories, DEFAULT_RULES)
    assert result.base_tier == tier_for(result.score, DEFAULT_RULES)
    assert TIERS.index(result.tier) >= TIERS.index(result.base_tier)
    floor = "low"
    if classification == "restricted":
        floor = "high"
    elif classification == "confidential" and "pii" in categories:
        floor = "medium"
    expected = TIERS[max(TIERS.index(result.base_tier), TIERS.index(floor))]
    assert result.tier == expected
    assert (result.escalation is not None) is (result.tier != result.base_tier)
