"""Delivery health: seed 000's iteration index per model, from ledger facts alone. Pure.

Seed 000 ("Operationalizing 'Model Iteration Index'"):

    Iteration Index = Velocity*0.30 + Coverage*0.25 + (100-Regression Surface)*0.25 + (100-Risk)*0.20

The weights are named constants here, not policy: the policy file belongs to the policy
engine, and this index describes delivery, it decides nothing. Each input is 0-100:

- **velocity**: version velocity measured from ledger timestamps, submission entry to the
  first promotion entry. A lead time of 0 scores 100, falling linearly to 0 at
  ``VELOCITY_ZERO_AFTER_HOURS`` (30 days) and beyond. A model's velocity is the mean over
  its releases submitted in the period that were promoted by the report's checkpoint; with
  none promoted it is 0 (nothing shipped);
- **coverage**: the mean ``risk.test_coverage`` the decisions declared;
- **regression surface**: the mean ``risk.regression_surface`` they declared;

A decision may leave either factor out (the entry format allows it). It then counts at the value
the ledger's risk score assumed for it, its worst (coverage 0, regression surface 100: an unknown
risk is not a low one), as recorded in ``assessment.risk.factors``; the release's row names the
factors that were not given, so the report can say so.
- **deployment risk**: the mean deployment risk score the ledger computed (``assessment.risk.score``).

All arithmetic is exact decimal; every figure is rounded half-even to two places.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from reports.facts import DecisionFacts, entry_datetime

VELOCITY_WEIGHT = Decimal("0.30")
COVERAGE_WEIGHT = Decimal("0.25")
REGRESSION_SURFACE_WEIGHT = Decimal("0.25")
DEPLOYMENT_RISK_WEIGHT = Decimal("0.20")
VELOCITY_ZERO_AFTER_HOURS = Decimal(720)
HUNDRED = Decimal(100)
FORMULA = "velocity*0.30 + coverage*0.25 + (100-regression_surface)*0.25 + (100-deployment_risk)*0.20"
_CENT = Decimal("0.01")


def q2(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def text2(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{q2(value):.2f}"


def iteration_index(
    velocity: Decimal, coverage: Decimal, regression_surface: Decimal, risk: Decimal
) -> Decimal:
    return q2(
        velocity * VELOCITY_WEIGHT
        + coverage * COVERAGE_WEIGHT
        + (HUNDRED - regression_surface) * REGRESSION_SURFACE_WEIGHT
        + (HUNDRED - risk) * DEPLOYMENT_RISK_WEIGHT
    )


def velocity_score(lead_time_hours: Decimal) -> Decimal:
    if lead_time_hours >= VELOCITY_ZERO_AFTER_HOURS:
        return Decimal(0)
    return q2(HUNDRED * (1 - lead_time_hours / VELOCITY_ZERO_AFTER_HOURS))


@dataclass(frozen=True)
class ReleaseHealth:
    ref: str
    version: str
    submitted: str
    promoted_at: str | None
    lead_time_hours: Decimal | None
    velocity: Decimal
    coverage: Decimal
    regression_surface: Decimal
    risk: Decimal
    iteration_index: Decimal
    not_given: tuple[str, ...] = ()  # factors the decision left out, counted at their worst

    def to_json(self) -> dict[str, object]:
        return {
            "decision": self.ref,
            "not_given": list(self.not_given),
            "submitted": self.submitted,
            "promoted_at": self.promoted_at,
            "lead_time_hours": None if self.lead_time_hours is None else text2(self.lead_time_hours),
            "velocity": text2(self.velocity),
            "coverage": text2(self.coverage),
            "regression_surface": text2(self.regression_surface),
            "deployment_risk": text2(self.risk),
            "iteration_index": text2(self.iteration_index),
        }


@dataclass(frozen=True)
class ModelHealth:
    model: str
    releases: list[ReleaseHealth]
    promoted: int
    mean_lead_time_hours: Decimal | None
    velocity: Decimal
    coverage: Decimal
    regression_surface: Decimal
    risk: Decimal
    iteration_index: Decimal

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.model,
            "releases": len(self.releases),
            "promoted": self.promoted,
            "mean_lead_time_hours": None
            if self.mean_lead_time_hours is None
            else text2(self.mean_lead_time_hours),
            "velocity": text2(self.velocity),
            "coverage": text2(self.coverage),
            "regression_surface": text2(self.regression_surface),
            "deployment_risk": text2(self.risk),
            "iteration_index": text2(self.iteration_index),
            "trend": [r.to_json() for r in self.releases],
        }


def _mean(values: list[Decimal]) -> Decimal:
    return q2(sum(values, Decimal(0)) / len(values)) if values else Decimal(0)


def release_health(d: DecisionFacts) -> ReleaseHealth:
    lead = None
    velocity = Decimal(0)
    if d.promoted_at is not None:
        seconds = (entry_datetime(d.promoted_at) - entry_datetime(d.time)).total_seconds()
        lead = q2(Decimal(str(seconds)) / 3600)
        velocity = velocity_score(lead)
    coverage, coverage_given = _factor(d, "test_coverage")
    surface, surface_given = _factor(d, "regression_surface")
    risk = Decimal(str(d.assessment["risk"]["score"]))
    return ReleaseHealth(
        d.ref,
        d.version,
        d.time,
        d.promoted_at,
        lead,
        velocity,
        coverage,
        surface,
        risk,
        iteration_index(velocity, coverage, surface, risk),
        tuple(
            name
            for name, given in (("test_coverage", coverage_given), ("regression_surface", surface_given))
            if not given
        ),
    )


# What the risk score assumes for a factor that is not given (ledger.scoring.risk), for an
# entry whose assessment does not record the factor either.
_WORST = {"test_coverage": Decimal(0), "regression_surface": HUNDRED}


def _factor(d: DecisionFacts, name: str) -> tuple[Decimal, bool]:
    """(the value to count, whether the decision gave it): given, else the assessment's assumed value."""
    declared = d.payload.get("risk", {}).get(name)
    if declared is not None:
        return Decimal(str(declared)), True
    recorded = d.assessment.get("risk", {}).get("factors", {}).get(name, {})
    return Decimal(str(recorded.get("value", _WORST[name]))), False


def delivery_health(decisions: Iterable[DecisionFacts]) -> list[ModelHealth]:
    """One row per model (sorted by name), its releases in submission order."""
    by_model: dict[str, list[DecisionFacts]] = {}
    for d in sorted(decisions, key=lambda d: d.seq):
        by_model.setdefault(d.model, []).append(d)
    out = []
    for model in sorted(by_model):
        releases = [release_health(d) for d in by_model[model]]
        promoted = [r for r in releases if r.lead_time_hours is not None]
        velocity = _mean([r.velocity for r in promoted])
        coverage = _mean([r.coverage for r in releases])
        surface = _mean([r.regression_surface for r in releases])
        risk = _mean([r.risk for r in releases])
        lead = (
            _mean([r.lead_time_hours for r in promoted if r.lead_time_hours is not None])
            if promoted
            else None
        )
        out.append(
            ModelHealth(
                model,
                releases,
                len(promoted),
                lead,
                velocity,
                coverage,
                surface,
                risk,
                iteration_index(velocity, coverage, surface, risk),
            )
        )
    return out


def weights_json() -> dict[str, str]:
    return {
        "velocity": str(VELOCITY_WEIGHT),
        "coverage": str(COVERAGE_WEIGHT),
        "regression_surface_inverse": str(REGRESSION_SURFACE_WEIGHT),
        "deployment_risk_inverse": str(DEPLOYMENT_RISK_WEIGHT),
        "velocity_zero_after_hours": str(VELOCITY_ZERO_AFTER_HOURS),
    }
