"""The assessment: index, gates, band and risk computed from a request under scoring rules.

Step 3 of a decision's path (docs/architecture.md). Pure: the same request and
rules give the same assessment, which is recorded in the entry so an auditor can recompute
the index, the gates, the band and the risk from the entry alone (seed 000, seed 001).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledger.encoding.numbers import NotExactError, decimal_text
from ledger.errors import DecisionInputError
from ledger.scoring.index import (
    GateResult,
    IndexResult,
    band_for,
    evaluate_gate,
    iteration_index,
    resolve_gates,
)
from ledger.scoring.input import request_fields
from ledger.scoring.request import DecisionRequest
from ledger.scoring.risk import RiskResult, assess_risk
from ledger.scoring.rules import ScoringRules


def _rounded(index: Decimal) -> str:
    """The index rounded half-up to a whole number, as the seed's table shows it."""
    return str(index.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def assess(request: DecisionRequest, rules: ScoringRules) -> dict[str, Any]:
    """The computed part of the payload. A number that cannot be written exactly is bad input."""
    try:
        return _assess(request, rules)
    except NotExactError as exc:
        raise DecisionInputError("", f"a derived number cannot be recorded exactly: {exc}") from None


def _assess(request: DecisionRequest, rules: ScoringRules) -> dict[str, Any]:
    profile, weights = _resolved_weights(request, rules)
    index = iteration_index(request.baseline.scores.as_map(), request.scores.as_map(), weights, rules)
    gates = _evaluated_gates(request, rules)
    penalty = sum((g.penalty for g in gates), Decimal(0))
    final_index = index.index - penalty
    band = band_for(final_index, gates, rules)
    risk = _assessed_risk(request, rules)
    return {
        "rules": rules.rules_id,
        "weights": {"profile": profile, **{k: decimal_text(v) for k, v in weights.items()}},
        "subscores": _subscores_part(index),
        "penalty": decimal_text(penalty),
        "index": decimal_text(final_index),
        "index_rounded": _rounded(final_index),
        "gates": [_gate_part(g) for g in gates],
        "gates_passed": not any(g.blocks for g in gates),
        "band": band.band,
        "band_reasons": list(band.reasons),
        "risk": _risk_part(risk),
    }


def _resolved_weights(request: DecisionRequest, rules: ScoringRules) -> tuple[str, dict[str, Decimal]]:
    """The weight profile's name (or ``custom``) and its weights; bad weights are bad input."""
    try:
        return request.resolved_weights(rules)
    except ValueError as exc:
        raise DecisionInputError("weights", str(exc)) from None


def _evaluated_gates(request: DecisionRequest, rules: ScoringRules) -> list[GateResult]:
    """The declared gates merged with the policy's catalogue, each evaluated."""
    _refuse_unbounded_gates(request, rules)
    declared = [(g.name, g.observed, g.min, g.max, g.severity) for g in request.gates]
    return [evaluate_gate(g, rules) for g in resolve_gates(declared, rules)]


def _refuse_unbounded_gates(request: DecisionRequest, rules: ScoringRules) -> None:
    # A declared gate with no bound only makes sense when the policy's catalogue supplies one.
    catalogued = {g.name for g in rules.gate_catalogue}
    for number, g in enumerate(request.gates):
        if g.min is None and g.max is None and g.name not in catalogued:
            raise DecisionInputError(
                f"gates.{number}",
                f"gate {g.name!r} needs a min or a max: the policy has no gate of that name",
            )


def _assessed_risk(request: DecisionRequest, rules: ScoringRules) -> RiskResult:
    return assess_risk(
        request.risk.model_dump(),
        request.data_sensitivity.classification,
        frozenset(request.data_sensitivity.categories),
        rules,
    )


def _subscores_part(index: IndexResult) -> dict[str, Any]:
    return {
        s.name: {
            "baseline": decimal_text(s.baseline),
            "candidate": decimal_text(s.candidate),
            "delta": decimal_text(s.delta),
            "weight": decimal_text(s.weight),
            "contribution": decimal_text(s.contribution),
        }
        for s in index.subscores
    }


def _gate_part(g: GateResult) -> dict[str, Any]:
    return {
        "name": g.gate.name,
        **({"observed": decimal_text(g.gate.observed)} if g.gate.observed is not None else {}),
        **({"min": decimal_text(g.gate.minimum)} if g.gate.minimum is not None else {}),
        **({"max": decimal_text(g.gate.maximum)} if g.gate.maximum is not None else {}),
        "severity": g.gate.severity,
        "source": g.gate.source,
        "effect": g.effect.effect,
        "passed": g.passed,
        "reason": g.reason,
    }


def _risk_part(risk: RiskResult) -> dict[str, Any]:
    return {
        "score": decimal_text(risk.score),
        "base_tier": risk.base_tier,
        "tier": risk.tier,
        **({"escalation": risk.escalation} if risk.escalation else {}),
        "factors": {
            f.name: {
                "value": decimal_text(f.value),
                "assumed_worst": f.assumed,
                "risk": decimal_text(f.risk),
                "weight": decimal_text(f.weight),
                "contribution": decimal_text(f.contribution),
                "advice": f.advice(),
            }
            for f in risk.factors
        },
    }


def decision_payload(request: DecisionRequest, rules: ScoringRules) -> dict[str, Any]:
    return {**request_fields(request), "assessment": assess(request, rules)}
