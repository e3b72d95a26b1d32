"""Model Iteration Index, hard gates and bands (seed 001).

``index = parity + Σ wᵢ·Δᵢ`` where Δ = candidate - baseline for performance, reliability
and safety, and Δ = baseline - candidate for cost. All arithmetic is on Decimals, so the
seed's v1.1 example is exactly 103.95.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from ledger.decisions.rules import INVERTED_SUBSCORES, SUBSCORES, ScoringRules

Band = Literal["green", "yellow", "red"]


@dataclass(frozen=True)
class SubscoreResult:
    name: str
    baseline: Decimal
    candidate: Decimal
    delta: Decimal
    weight: Decimal
    contribution: Decimal


@dataclass(frozen=True)
class GateInput:
    name: str
    observed: Decimal
    minimum: Decimal | None
    maximum: Decimal | None
    severity: str


@dataclass(frozen=True)
class GateResult:
    gate: GateInput
    passed: bool
    reason: str


@dataclass(frozen=True)
class IndexResult:
    subscores: tuple[SubscoreResult, ...]
    index: Decimal

    @property
    def display(self) -> str:
        """The index rounded half-up to a whole number, as the seed's table shows it."""
        return str(self.index.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class BandResult:
    band: Band
    reasons: tuple[str, ...]


def iteration_index(
    baseline: Mapping[str, Decimal],
    candidate: Mapping[str, Decimal],
    weights: Mapping[str, Decimal],
    rules: ScoringRules,
) -> IndexResult:
    parts = []
    for name in SUBSCORES:
        if name in INVERTED_SUBSCORES:
            delta = baseline[name] - candidate[name]
        else:
            delta = candidate[name] - baseline[name]
        contribution = weights[name] * delta
        parts.append(
            SubscoreResult(name, baseline[name], candidate[name], delta, weights[name], contribution)
        )
    index = rules.parity + sum((p.contribution for p in parts), Decimal(0))
    return IndexResult(tuple(parts), index)


def evaluate_gate(gate: GateInput) -> GateResult:
    if gate.minimum is not None and gate.observed < gate.minimum:
        return GateResult(gate, False, f"observed {gate.observed} is below the minimum {gate.minimum}")
    if gate.maximum is not None and gate.observed > gate.maximum:
        return GateResult(gate, False, f"observed {gate.observed} is above the maximum {gate.maximum}")
    return GateResult(gate, True, "within bounds")


def band_for(index: Decimal, gates: Sequence[GateResult], rules: ScoringRules) -> BandResult:
    """Hard gates first: any failure is red whatever the index (seed 001)."""
    failed = [g for g in gates if not g.passed]
    reasons: list[str] = [f"hard gate {g.gate.name} failed: {g.reason}" for g in failed]
    if index <= rules.parity:
        reasons.append(f"index {index} shows no net gain over the baseline ({rules.parity})")
    if reasons:
        return BandResult("red", tuple(reasons))
    green_at = rules.parity + rules.green_margin
    if index >= green_at:
        return BandResult("green", (f"all gates pass and index {index} is at least {green_at}",))
    return BandResult(
        "yellow",
        (f"all gates pass and index {index} gains over the baseline but is below {green_at}",),
    )
