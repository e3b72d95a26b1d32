"""The decision file a team writes for one candidate release, validated with pydantic.

Numbers are read exactly (see ledger.encoding.numbers); times must carry a zone; unknown
fields are refused so that a typo cannot silently drop evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from ledger.encoding.numbers import to_decimal
from ledger.scoring.rules import SUBSCORES, Classification, ScoringRules

# Bounds keep every number the assessment derives (deltas, weight x delta, the index) within
# what an entry may hold: 18 integer and 12 fraction digits (ledger.encoding.numbers).
Exact = Annotated[Decimal, BeforeValidator(to_decimal), Field(gt=-(10**15), lt=10**15)]
Score = Annotated[Decimal, BeforeValidator(to_decimal), Field(ge=0, le=100, decimal_places=6)]
Weight = Annotated[Decimal, BeforeValidator(to_decimal), Field(ge=0, le=1, decimal_places=6)]

# Names are ASCII only: they are compared byte for byte in RFC 8785 entries, appear in
# MODEL@VERSION identifiers on command lines, and are printed in PDF reports; look-alike
# letters (a Cyrillic "a" for a Latin one) could otherwise name two releases the same to a reader.
# The pattern stays in the JSON schema; the message says the rule in words (docs/formats.md §10).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"
NAME_RULE = (
    "a name uses only ASCII letters (A-Z, a-z), digits (0-9) and the characters "
    "'.', '_', ':', '/' and '-', and starts with a letter or digit"
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*")
_NAME_CHAR = re.compile(r"[A-Za-z0-9._:/-]")
DIGEST_PATTERN = r"^sha256:[0-9a-f]{64}$"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _name(value: str) -> str:
    if _NAME.fullmatch(value):
        return value
    bad = next((c for c in value if not _NAME_CHAR.fullmatch(c)), value[:1])
    where = "may not start a name" if bad == value[:1] and _NAME_CHAR.fullmatch(bad) else "is not allowed"
    raise ValueError(f"{value!r}: {bad!r} {where}; {NAME_RULE}")


def _digest(value: str) -> str:
    if _DIGEST.fullmatch(value):
        return value
    raise ValueError(
        f"{value[:80]!r} is not a digest: write 'sha256:' followed by "
        "64 lowercase hexadecimal digits (0-9, a-f)"
    )


Name = Annotated[
    str,
    Field(min_length=1, max_length=200, json_schema_extra={"pattern": NAME_PATTERN}),
    AfterValidator(_name),
]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


_INSTANT_TEXT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _instant_text(value: Any) -> Any:
    # Lax parsing would take 1763629200 as a date and cut nanoseconds silently; an instant is
    # RFC 3339 text with at most microseconds (or a datetime given by Python callers).
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if not isinstance(value, str) or not _INSTANT_TEXT.fullmatch(value):
        raise ValueError(
            "must be an RFC 3339 date and time with a time zone and at most 6 fractional digits, "
            "such as 2026-11-20T12:00:00Z"
        )
    return value


def _utc_instant(value: datetime) -> datetime:
    # Entries hold instants in UTC (formats.md §3.4); an instant whose UTC form falls outside
    # years 0001-9999 (0001-01-01T00:00:00+14:00) cannot be written, so it is bad input.
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the instant in UTC falls outside the years 0001 to 9999") from None


Instant = Annotated[AwareDatetime, BeforeValidator(_instant_text), AfterValidator(_utc_instant)]
Digest = Annotated[str, Field(json_schema_extra={"pattern": DIGEST_PATTERN}), AfterValidator(_digest)]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Scores(Frozen):
    performance: Score
    reliability: Score
    cost: Score
    safety: Score

    def as_map(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in SUBSCORES}


class Baseline(Frozen):
    version: Name
    scores: Scores


class Weights(Frozen):
    performance: Weight
    reliability: Weight
    cost: Weight
    safety: Weight

    @model_validator(mode="after")
    def _sum_to_one(self) -> Weights:
        total = self.performance + self.reliability + self.cost + self.safety
        if total != 1:
            raise ValueError(f"weights must sum to exactly 1, they sum to {total}")
        return self

    def as_map(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in SUBSCORES}


# ``weights`` is a profile name or a mapping. A tagged union validates only the matching
# branch, so a bad mapping reports its own problem (e.g. "must sum to exactly 1") instead of
# "Input should be a valid string" from the other branch. The tag appears in the error
# location; parse_request drops it (WEIGHTS_TAGS).
WEIGHTS_TAGS = frozenset({"profile", "custom"})


def _weights_kind(value: Any) -> str:
    return "custom" if isinstance(value, Mapping | Weights) else "profile"


WeightsChoice = Annotated[
    Annotated[Name, Tag("profile")] | Annotated[Weights, Tag("custom")],
    Discriminator(_weights_kind),
]


class Gate(Frozen):
    name: Name
    observed: Exact
    min: Exact | None = None
    max: Exact | None = None
    # Left out, a catalogue gate takes the policy's severity and any other gate is "high".
    severity: Literal["low", "medium", "high", "critical"] | None = None

    @model_validator(mode="after")
    def _ordered_bounds(self) -> Gate:
        # A gate may leave both bounds out when the policy's gate catalogue fixes them.
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("a gate's min is above its max")
        return self


class RiskFactors(Frozen):
    change_size: Score | None = None
    regression_surface: Score | None = None
    test_coverage: Score | None = None
    incident_history: Score | None = None
    observability_gaps: Score | None = None


class DataSensitivity(Frozen):
    classification: Classification
    categories: list[Name] = Field(default_factory=list, max_length=50)


class Rollback(Frozen):
    target_version: Name
    mechanism: Text
    runbook: Text
    rehearsed_at: Instant | None = None


class EvidenceReport(Frozen):
    name: Text
    digest: Digest


class Evidence(Frozen):
    eval_suite: Text
    evaluated_at: Instant
    prompt_set_version: Text | None = None
    traffic_segment: Text | None = None
    reports: list[EvidenceReport] = Field(default_factory=list, max_length=100)


class DecisionRequest(Frozen):
    model: Name
    version: Name
    artifact_digest: Digest
    code_revision: Text | None = None
    workload: Text
    weights: WeightsChoice = "default"
    baseline: Baseline
    scores: Scores
    gates: list[Gate] = Field(default_factory=list, max_length=100)
    risk: RiskFactors = Field(default_factory=RiskFactors)
    data_sensitivity: DataSensitivity
    rollback: Rollback
    evidence: Evidence
    requested_by: Text
    caveats: list[Text] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _consistent(self) -> DecisionRequest:
        if self.rollback.target_version == self.version:
            raise ValueError("rollback.target_version: must differ from the candidate version")
        if self.baseline.version == self.version:
            raise ValueError("baseline.version: must differ from the candidate version")
        names = [g.name for g in self.gates]
        if len(names) != len(set(names)):
            raise ValueError("gates: gate names must be unique")
        return self

    def resolved_weights(self, rules: ScoringRules) -> tuple[str, dict[str, Decimal]]:
        """(profile name or "custom", the weights). Raises ValueError for an unknown profile."""
        if isinstance(self.weights, Weights):
            return "custom", self.weights.as_map()
        profile = rules.weight_profiles.get(self.weights)
        if profile is None:
            known = ", ".join(sorted(rules.weight_profiles))
            raise ValueError(f"unknown weight profile {self.weights!r}; known profiles: {known}")
        return self.weights, dict(profile)
