"""Model Iteration Index, hard gates and bands (seed 001).

``index = parity + Σ wᵢ·Δᵢ`` where Δ = candidate - baseline for performance, reliability
and safety, and Δ = baseline - candidate for cost. All arithmetic is on Decimals, so the
seed's v1.1 example is exactly 103.95.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from ledger.encoding.numbers import decimal_text
from ledger.scoring.rules import INVERTED_SUBSCORES, SUBSCORES, ScoringRules, SeverityEffect

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
    observed: Decimal | None  # None: the policy requires this gate and the decision did not measure it
    minimum: Decimal | None
    maximum: Decimal | None
    severity: str
    source: str = "decision"  # "policy" when the policy's catalogue fixed the bound


@dataclass(frozen=True)
class GateResult:
    gate: GateInput
    passed: bool
    reason: str
    effect: SeverityEffect = field(default_factory=lambda: SeverityEffect("block"))

    @property
    def blocks(self) -> bool:
        return not self.passed and self.effect.effect == "block"

    @property
    def penalty(self) -> Decimal:
        return self.effect.penalty if not self.passed and self.effect.effect == "penalty" else Decimal(0)


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


def _t(number: Decimal | None) -> str:
    """Numbers in hashed prose use the one written form, as numbers in hashed fields do."""
    return "none" if number is None else decimal_text(number)


_SEVERITY_ORDER = ("low", "medium", "high", "critical")


DEFAULT_SEVERITY = "high"


def resolve_gates(
    declared: Sequence[tuple[str, Decimal, Decimal | None, Decimal | None, str | None]], rules: ScoringRules
) -> list[GateInput]:
    """Merge the decision's gates with the policy's catalogue; the stricter bound wins.

    ``declared`` is (name, observed, min, max, severity) per gate in the decision file.
    A catalogue gate marked required and missing from the decision fails as unmeasured.
    """
    catalogue = {g.name: g for g in rules.gate_catalogue}
    out: list[GateInput] = []
    for name, observed, minimum, maximum, severity in declared:
        rule = catalogue.pop(name, None)
        if rule is None:
            out.append(GateInput(name, observed, minimum, maximum, severity or DEFAULT_SEVERITY))
            continue
        if rule.direction == "min":
            minimum = rule.threshold if minimum is None else max(minimum, rule.threshold)
        else:
            maximum = rule.threshold if maximum is None else min(maximum, rule.threshold)
        # The policy may raise a gate's severity, never lower what the decision file declared.
        stated = max(severity or rule.severity, rule.severity, key=_SEVERITY_ORDER.index)
        out.append(GateInput(name, observed, minimum, maximum, stated, "policy"))
    for rule in catalogue.values():
        if rule.required:
            bound = (rule.threshold, None) if rule.direction == "min" else (None, rule.threshold)
            out.append(GateInput(rule.name, None, bound[0], bound[1], rule.severity, "policy"))
    return out


def evaluate_gate(gate: GateInput, rules: ScoringRules | None = None) -> GateResult:
    effect = (rules.severity_effects if rules else {}).get(gate.severity, SeverityEffect("block"))
    if gate.observed is None:
        return GateResult(gate, False, "required by the policy but not measured", effect)
    if gate.minimum is not None and gate.observed < gate.minimum:
        return GateResult(
            gate, False, f"observed {_t(gate.observed)} is below the minimum {_t(gate.minimum)}", effect
        )
    if gate.maximum is not None and gate.observed > gate.maximum:
        return GateResult(
            gate, False, f"observed {_t(gate.observed)} is above the maximum {_t(gate.maximum)}", effect
        )
    return GateResult(gate, True, "within bounds", effect)


def band_for(index: Decimal, gates: Sequence[GateResult], rules: ScoringRules) -> BandResult:
    """Hard gates first: a blocking failure is red whatever the index (seed 001).

    ``index`` is the composite after any severity penalties.
    """
    reasons: list[str] = [f"hard gate {g.gate.name} failed: {g.reason}" for g in gates if g.blocks]
    if index <= rules.parity:
        reasons.append(f"index {_t(index)} shows no net gain over the baseline ({_t(rules.parity)})")
    if reasons:
        return BandResult("red", tuple(reasons))
    green_at = rules.parity + rules.green_margin
    if index >= green_at:
        return BandResult("green", (f"all gates pass and index {_t(index)} is at least {_t(green_at)}",))
    return BandResult(
        "yellow",
        (f"all gates pass and index {_t(index)} gains over the baseline but is below {_t(green_at)}",),
    )
