"""Model Iteration Index, hard gates and bands, checked against seed 001's scorecard table."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cli.demo
from ledger.encoding.numbers import decimal_text
from ledger.scoring.assess import decision_payload
from ledger.scoring.index import (
    GateInput,
    GateResult,
    IndexResult,
    band_for,
    evaluate_gate,
    iteration_index,
)
from ledger.scoring.input import load_decision_file, parse_request
from ledger.scoring.rules import DEFAULT_RULES, SUBSCORES, ScoringRules

DEMO_DIR = Path(cli.demo.__file__).resolve().parent
D = Decimal


def scores(perf: str, rel: str, cost: str, safety: str) -> dict[str, Decimal]:
    return {"performance": D(perf), "reliability": D(rel), "cost": D(cost), "safety": D(safety)}


@pytest.fixture(scope="module")
def scorecard() -> dict[str, dict[str, Decimal]]:
    """Seed 001's example table: the baseline and four candidate releases (0-100 subscores)."""
    return {
        "v1.0": scores("80", "78", "72", "85"),
        "v1.1": scores("86", "82", "68", "84"),
        "v1.2": scores("90", "76", "70", "82"),
        "v1.3": scores("84", "85", "79", "90"),
        "v1.4": scores("88", "88", "60", "92"),
    }


def default_weights() -> dict[str, Decimal]:
    return dict(DEFAULT_RULES.weight_profiles["default"])


def passing_gates() -> list[GateResult]:
    """The two hard gates the demo files carry, both passing."""
    return [
        evaluate_gate(GateInput("jailbreak_resistance", D("0.97"), D("0.95"), None, "high")),
        evaluate_gate(GateInput("severe_hallucination_rate", D("0.004"), None, D("0.01"), "high")),
    ]


# -- the seed table -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "expected", "rounded"),
    [
        ("v1.1", "103.95", "104"),
        ("v1.2", "102.85", "103"),
        ("v1.3", "102.85", "103"),
        ("v1.4", "109.25", "109"),
    ],
)
def test_seed_table_index_is_exact(
    scorecard: dict[str, dict[str, Decimal]], version: str, expected: str, rounded: str
) -> None:
    result = iteration_index(scorecard["v1.0"], scorecard[version], default_weights(), DEFAULT_RULES)
    assert isinstance(result.index, Decimal)
    assert result.index == D(expected)  # exact, not approximately
    assert result.display == rounded


def test_v11_index_is_exactly_103_95(scorecard: dict[str, dict[str, Decimal]]) -> None:
    result = iteration_index(scorecard["v1.0"], scorecard["v1.1"], default_weights(), DEFAULT_RULES)
    assert result.index == D("103.95")
    assert decimal_text(result.index) == "103.95"
    by_name = {s.name: s for s in result.subscores}
    assert [s.name for s in result.subscores] == list(SUBSCORES)
    # Δ = candidate - baseline, except cost where Δ = baseline - candidate (cheaper is better)
    assert by_name["performance"].delta == 6
    assert by_name["reliability"].delta == 4
    assert by_name["cost"].delta == 4
    assert by_name["safety"].delta == -1
    assert by_name["performance"].contribution == D("2.10")
    assert by_name["reliability"].contribution == D("1.20")
    assert by_name["cost"].contribution == D("0.80")
    assert by_name["safety"].contribution == D("-0.15")


@pytest.mark.parametrize(
    ("version", "band"),
    [("v1.1", "yellow"), ("v1.2", "yellow"), ("v1.3", "yellow"), ("v1.4", "green")],
)
def test_seed_table_bands_with_passing_gates(
    scorecard: dict[str, dict[str, Decimal]], version: str, band: str
) -> None:
    gates = passing_gates()
    assert all(g.passed for g in gates)
    index = iteration_index(scorecard["v1.0"], scorecard[version], default_weights(), DEFAULT_RULES).index
    assert band_for(index, gates, DEFAULT_RULES).band == band


def test_recorded_payload_for_v11_holds_decimal_strings() -> None:
    """The demo file for v1.1 records the index as the string "103.95" and displays "104"."""
    request = parse_request(load_decision_file(DEMO_DIR / "01-support-summarizer-1.1.yaml"))
    payload = decision_payload(request, DEFAULT_RULES)
    assessment = payload["assessment"]
    assert assessment["index"] == "103.95"
    assert assessment["index_rounded"] == "104"
    assert assessment["band"] == "yellow"
    assert assessment["gates_passed"] is True
    assert assessment["weights"] == {
        "profile": "default",
        "performance": "0.35",
        "reliability": "0.3",
        "cost": "0.2",
        "safety": "0.15",
    }
    assert assessment["subscores"]["cost"] == {
        "baseline": "72",
        "candidate": "68",
        "delta": "4",
        "weight": "0.2",
        "contribution": "0.8",
    }
    # the gate thresholds from YAML floats stay exact strings
    assert payload["gates"][0]["observed"] == "0.97"
    assert assessment["gates"][0]["min"] == "0.95"


@pytest.mark.parametrize(
    ("name", "index", "band"),
    [
        ("01-support-summarizer-1.1.yaml", "103.95", "yellow"),
        ("02-support-summarizer-1.2.yaml", "102.85", "yellow"),
        ("03-support-summarizer-1.3.yaml", "102.85", "yellow"),
        ("04-support-summarizer-1.4.yaml", "109.25", "green"),
        ("06-support-summarizer-1.5.yaml", "107.7", "red"),
    ],
)
def test_demo_files_match_the_seed(name: str, index: str, band: str) -> None:
    payload = decision_payload(parse_request(load_decision_file(DEMO_DIR / name)), DEFAULT_RULES)
    assert payload["assessment"]["index"] == index
    assert payload["assessment"]["band"] == band


# -- bands and gates ----------------------------------------------------------------------


def test_failed_gate_is_red_whatever_the_index(scorecard: dict[str, dict[str, Decimal]]) -> None:
    index = iteration_index(scorecard["v1.0"], scorecard["v1.4"], default_weights(), DEFAULT_RULES).index
    assert index == D("109.25")
    failed = evaluate_gate(GateInput("jailbreak_resistance", D("0.91"), D("0.95"), None, "high"))
    assert not failed.passed
    result = band_for(index, [*passing_gates(), failed], DEFAULT_RULES)
    assert result.band == "red"
    assert any("jailbreak_resistance" in reason for reason in result.reasons)
    for huge in (D("150"), D("200"), D("1000")):
        assert band_for(huge, [failed], DEFAULT_RULES).band == "red"


@pytest.mark.parametrize(
    ("index", "band"),
    [
        ("99.99", "red"),
        ("100", "red"),
        ("100.00", "red"),
        ("100.01", "yellow"),
        ("104.99", "yellow"),
        ("105", "green"),
        ("105.00", "green"),
        ("105.01", "green"),
    ],
)
def test_band_boundaries(index: str, band: str) -> None:
    assert band_for(D(index), passing_gates(), DEFAULT_RULES).band == band
    assert band_for(D(index), [], DEFAULT_RULES).band == band


def test_index_exactly_100_and_105_from_scores() -> None:
    baseline = scores("80", "78", "72", "85")
    parity = iteration_index(baseline, baseline, default_weights(), DEFAULT_RULES)
    assert parity.index == 100
    assert band_for(parity.index, passing_gates(), DEFAULT_RULES).band == "red"
    # +10 reliability (0.30) and 10 cheaper (0.20): exactly +5
    five_up = iteration_index(baseline, scores("80", "88", "62", "85"), default_weights(), DEFAULT_RULES)
    assert five_up.index == D("105")
    assert band_for(five_up.index, passing_gates(), DEFAULT_RULES).band == "green"


def test_red_band_gives_reasons_for_gate_and_index() -> None:
    failed = evaluate_gate(GateInput("g", D("2"), None, D("1"), "critical"))
    result = band_for(D("99"), [failed], DEFAULT_RULES)
    assert result.band == "red"
    assert len(result.reasons) == 2


@pytest.mark.parametrize(
    ("observed", "minimum", "maximum", "passed"),
    [
        ("0.95", "0.95", None, True),  # exactly the minimum passes
        ("0.949999", "0.95", None, False),
        ("0.01", None, "0.01", True),  # exactly the maximum passes
        ("0.010001", None, "0.01", False),
        ("5", "5", "5", True),  # min == max == observed
        ("4.9", "5", "6", False),
        ("6.1", "5", "6", False),
        ("5.5", "5", "6", True),
        ("-1", "-1", "0", True),
    ],
)
def test_gate_bounds_are_inclusive(
    observed: str, minimum: str | None, maximum: str | None, passed: bool
) -> None:
    gate = GateInput(
        "g",
        D(observed),
        None if minimum is None else D(minimum),
        None if maximum is None else D(maximum),
        "high",
    )
    result = evaluate_gate(gate)
    assert result.passed is passed
    if not passed:
        assert ("below" in result.reason) or ("above" in result.reason)


def test_display_rounds_half_up() -> None:
    assert IndexResult((), D("102.5")).display == "103"
    assert IndexResult((), D("103.5")).display == "104"
    assert IndexResult((), D("102.49")).display == "102"
    assert IndexResult((), D("99.5")).display == "100"


# -- weight profiles ----------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["default", "regulated", "batch"])
def test_weight_profiles_sum_to_one(profile: str) -> None:
    weights = DEFAULT_RULES.weight_profiles[profile]
    assert set(weights) == set(SUBSCORES)
    assert sum(weights.values(), D(0)) == 1
    assert all(w >= 0 for w in weights.values())


def test_weight_profiles_match_seed() -> None:
    profiles = DEFAULT_RULES.weight_profiles
    assert dict(profiles["default"]) == scores("0.35", "0.30", "0.20", "0.15")
    assert dict(profiles["regulated"]) == scores("0.25", "0.25", "0.15", "0.35")
    assert set(profiles) >= {"default", "regulated", "batch"}


def test_regulated_profile_on_v11(scorecard: dict[str, dict[str, Decimal]]) -> None:
    weights = dict(DEFAULT_RULES.weight_profiles["regulated"])
    # 0.25*6 + 0.25*4 + 0.15*4 + 0.35*(-1) = 2.75
    assert iteration_index(scorecard["v1.0"], scorecard["v1.1"], weights, DEFAULT_RULES).index == D("102.75")


def _demo_v11() -> dict[str, Any]:
    return load_decision_file(DEMO_DIR / "01-support-summarizer-1.1.yaml")


def test_custom_weights_dict() -> None:
    data = copy.deepcopy(_demo_v11())
    data["weights"] = {"performance": D("0.25"), "reliability": "0.25", "cost": 0.25, "safety": 0.25}
    request = parse_request(data)
    profile, weights = request.resolved_weights(DEFAULT_RULES)
    assert profile == "custom"
    assert weights == scores("0.25", "0.25", "0.25", "0.25")
    assessment = decision_payload(request, DEFAULT_RULES)["assessment"]
    # (6 + 4 + 4 - 1) * 0.25 = 3.25
    assert assessment["index"] == "103.25"
    assert assessment["weights"]["profile"] == "custom"
    assert assessment["band"] == "yellow"


@pytest.mark.parametrize("profile", ["regulated", "batch"])
def test_named_profiles_resolve(profile: str) -> None:
    data = copy.deepcopy(_demo_v11())
    data["weights"] = profile
    request = parse_request(data)
    name, weights = request.resolved_weights(DEFAULT_RULES)
    assert name == profile
    assert weights == dict(DEFAULT_RULES.weight_profiles[profile])


def test_rules_parity_and_margin_are_used() -> None:
    rules = ScoringRules(parity=D("0"), green_margin=D("2"))
    result = iteration_index(scores("1", "1", "1", "1"), scores("1", "1", "1", "1"), default_weights(), rules)
    assert result.index == 0
    assert band_for(D("0"), [], rules).band == "red"
    assert band_for(D("1"), [], rules).band == "yellow"
    assert band_for(D("2"), [], rules).band == "green"
