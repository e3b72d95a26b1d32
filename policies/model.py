"""The policy file schema.

A policy fixes, in advance, everything that decides a release: the scoring weights, the
bands, the hard-gate catalogue, the risk score and tiers, who must approve at each tier,
how each tier rolls out, separation of duties, freeze windows and break-glass.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ledger.encoding.numbers import to_decimal
from ledger.scoring.rules import RISK_FACTORS, SUBSCORES, TIERS, Classification, Subscore, Tier

Exact = Annotated[Decimal, BeforeValidator(to_decimal)]
Fraction = Annotated[Decimal, BeforeValidator(to_decimal), Field(ge=0, le=1)]
Points = Annotated[Decimal, BeforeValidator(to_decimal), Field(ge=0, le=100)]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_-]*$")]
Severity = Literal["low", "medium", "high", "critical"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeightProfile(Strict):
    performance: Fraction
    reliability: Fraction
    cost: Fraction
    safety: Fraction

    @model_validator(mode="after")
    def _sums_to_one(self) -> WeightProfile:
        total = sum((getattr(self, s) for s in SUBSCORES), Decimal(0))
        if total != 1:
            raise ValueError(f"weights must sum to exactly 1, they sum to {total}")
        return self


class Bands(Strict):
    parity: Exact = Decimal(100)
    green_margin: Points = Decimal(5)


class GateRule(Strict):
    name: Name
    direction: Literal["min", "max"]
    threshold: Exact
    severity: Severity
    required: bool = False
    description: str = ""


class SeverityEffect(Strict):
    """``block`` makes the band red; ``penalty`` subtracts points from the index instead."""

    effect: Literal["block", "penalty"]
    penalty: Points = Decimal(0)


WorkloadName = Annotated[str, Field(min_length=1, max_length=200)]


class WeightRules(Strict):
    """Which weights a decision may be scored with. Without this section any profile and any
    custom mapping is accepted, as before it existed (old policies evaluate unchanged).

    A weights choice this section does not allow (below a ``minimum``, or a profile not listed
    for the decision's tier or workload) gets ``on_violation``; custom weights get ``custom``.
    ``escalate`` raises the decision to tier ``escalate_to``, whose approvals and rollout it then
    needs; ``refuse`` refuses the decision at submission.
    """

    custom: Literal["allow", "escalate", "refuse"] = "allow"
    minimum: dict[Subscore, Fraction] = Field(default_factory=dict)
    profiles_by_tier: dict[Tier, list[Name]] = Field(default_factory=dict)
    profiles_by_workload: dict[WorkloadName, list[Name]] = Field(default_factory=dict)
    on_violation: Literal["escalate", "refuse"] = "refuse"
    escalate_to: Tier = "high"

    @model_validator(mode="after")
    def _satisfiable(self) -> WeightRules:
        total = sum(self.minimum.values(), Decimal(0))
        if total > 1:
            raise ValueError(f"minimum weights sum to {total}; no weights summing to 1 can meet them")
        return self

    @property
    def escalates(self) -> bool:
        return self.custom == "escalate" or self.on_violation == "escalate"


class Scoring(Strict):
    weight_profiles: dict[Name, WeightProfile]
    bands: Bands = Bands()
    gates: list[GateRule] = Field(default_factory=list)
    severity_effects: dict[Severity, SeverityEffect]
    weight_rules: WeightRules | None = None

    @model_validator(mode="after")
    def _complete(self) -> Scoring:
        if "default" not in self.weight_profiles:
            raise ValueError("weight_profiles must include a 'default' profile")
        if self.weight_rules is not None:
            self._check_weight_rules(self.weight_rules)
        missing = {"low", "medium", "high", "critical"} - set(self.severity_effects)
        if missing:
            raise ValueError(f"severity_effects must cover every severity; missing {sorted(missing)}")
        names = [g.name for g in self.gates]
        if len(names) != len(set(names)):
            raise ValueError("gate names must be unique")
        return self

    def _check_weight_rules(self, rules: WeightRules) -> None:
        if "custom" in self.weight_profiles:
            # An assessment records custom weights as profile "custom": the rules could not tell them apart.
            raise ValueError("with weight_rules, no weight profile may be named 'custom'")
        listed = [
            *(p for names in rules.profiles_by_tier.values() for p in names),
            *(p for names in rules.profiles_by_workload.values() for p in names),
        ]
        unknown = sorted(set(listed) - set(self.weight_profiles))
        if unknown:
            raise ValueError(f"weight_rules names unknown weight profiles {unknown}")
        # A profile the policy's own minimums forbid is a mistake in the policy, not in a decision.
        for name, profile in self.weight_profiles.items():
            for subscore, floor in rules.minimum.items():
                if getattr(profile, subscore) < floor:
                    raise ValueError(
                        f"weight profile {name} gives {subscore} {getattr(profile, subscore)}, "
                        f"below weight_rules.minimum.{subscore} ({floor})"
                    )


class Escalation(Strict):
    classification: Classification
    categories: list[Name] = Field(default_factory=list)
    min_tier: Tier


class Risk(Strict):
    factor_weights: dict[str, Fraction]
    low_below: Points
    medium_below: Points
    escalations: list[Escalation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _valid(self) -> Risk:
        if set(self.factor_weights) != set(RISK_FACTORS):
            raise ValueError(f"factor_weights must name exactly {list(RISK_FACTORS)}")
        total = sum(self.factor_weights.values(), Decimal(0))
        if total != 1:
            raise ValueError(f"factor_weights must sum to exactly 1, they sum to {total}")
        if not self.low_below <= self.medium_below:
            raise ValueError("low_below must not exceed medium_below")
        return self


class ApprovalRequirement(Strict):
    role: Name
    count: int = Field(ge=1, le=20)


class AcceptanceCriterion(Strict):
    metric: Name
    min: Exact | None = None
    max: Exact | None = None

    @model_validator(mode="after")
    def _bounded(self) -> AcceptanceCriterion:
        if self.min is None and self.max is None:
            raise ValueError("an acceptance criterion needs a min, a max, or both")
        return self


class Rollout(Strict):
    mode: Literal["auto", "canary", "manual"]
    canary_window_hours: int | None = Field(default=None, ge=1, le=24 * 60)
    acceptance: list[AcceptanceCriterion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _canary_complete(self) -> Rollout:
        if self.mode == "canary" and (self.canary_window_hours is None or not self.acceptance):
            raise ValueError("a canary rollout needs canary_window_hours and acceptance criteria")
        if self.mode != "canary" and (self.canary_window_hours is not None or self.acceptance):
            raise ValueError("canary_window_hours and acceptance only apply to mode canary")
        return self


class TierRule(Strict):
    approvals: list[ApprovalRequirement] = Field(default_factory=list)
    rollout: Rollout
    rollback_rehearsal_max_age_days: int = Field(ge=1, le=3650)


class Tiers(Strict):
    low: TierRule
    medium: TierRule
    high: TierRule


class SeparationOfDuties(Strict):
    requester_may_approve: Literal[False] = False
    min_distinct_approvers: int = Field(default=1, ge=1, le=20)


class Recurrence(Strict):
    days: list[Weekday] = Field(min_length=1)
    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> Recurrence:
        if self.start >= self.end:
            raise ValueError("a recurring window's start must be before its end on the same day")
        return self


class FreezeWindow(Strict):
    name: Name
    timezone: str
    min_tier: Tier
    start: str | None = Field(default=None, description="local date-time, e.g. 2026-12-20T00:00")
    end: str | None = None
    recurring: Recurrence | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _one_shape(self) -> FreezeWindow:
        dated = self.start is not None or self.end is not None
        if dated == (self.recurring is not None):
            raise ValueError("a freeze window has either start and end, or recurring")
        if dated and (self.start is None or self.end is None):
            raise ValueError("a dated freeze window needs both start and end")
        if dated:
            from datetime import datetime

            try:
                start = datetime.fromisoformat(str(self.start))
                end = datetime.fromisoformat(str(self.end))
            except ValueError as exc:
                raise ValueError(f"start/end must be ISO local date-times: {exc}") from None
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("start/end are local times in `timezone`; leave the offset out")
            if start >= end:
                raise ValueError("start must be before end")
        return self


class BreakGlass(Strict):
    role: Name
    retrospective_within_hours: int = Field(ge=1, le=24 * 30)
    retrospective_roles: list[Name] = Field(min_length=1)


class Policy(Strict):
    policy_id: Name
    version: Annotated[str, Field(min_length=1, max_length=50)]
    description: str = ""
    scoring: Scoring
    risk: Risk
    tiers: Tiers
    separation_of_duties: SeparationOfDuties = SeparationOfDuties()
    freeze_windows: list[FreezeWindow] = Field(default_factory=list)
    break_glass: BreakGlass | None = None

    @model_validator(mode="after")
    def _escalation_needs_approval(self) -> Policy:
        rules = self.scoring.weight_rules
        if rules is not None and rules.escalates and not self.tier_rule(rules.escalate_to).approvals:
            raise ValueError(
                f"scoring.weight_rules.escalate_to: tier {rules.escalate_to} needs no approval, "
                "so escalating to it would let disallowed weights through unreviewed"
            )
        return self

    def tier_rule(self, tier: Tier) -> TierRule:
        rule: TierRule = getattr(self.tiers, tier)
        return rule

    def approver_roles(self) -> set[str]:
        roles = {r.role for t in TIERS for r in self.tier_rule(t).approvals}
        if self.break_glass is not None:
            roles.update(self.break_glass.retrospective_roles)
        return roles
