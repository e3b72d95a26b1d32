"""A valid decision file and the matrix of ways to break it, shared by the request and CLI tests.

Each case is one mutation of the valid file, the field the single error must name, and a
fragment its message must contain.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ruamel.yaml import YAML

from ledger.scoring.input import parse_decision_text

VALID_YAML = """\
model: fraud-scorer
version: "3.1"
artifact_digest: "sha256:1111111111111111111111111111111111111111111111111111111111111111"
code_revision: "deadbeef"
workload: payments
weights: default
baseline:
  version: "3.0"
  scores: {performance: 80, reliability: 78, cost: 72, safety: 85}
scores: {performance: 86, reliability: 82, cost: 68, safety: 84}
gates:
  - {name: jailbreak_resistance, observed: 0.97, min: 0.95}
  - {name: severe_hallucination_rate, observed: 0.004, max: 0.01}
risk:
  change_size: 40
  regression_surface: 35
  test_coverage: 85
  incident_history: 10
  observability_gaps: 20
data_sensitivity: {classification: confidential, categories: [pii]}
rollback:
  target_version: "3.0"
  mechanism: alias-swap
  runbook: "https://runbooks.example/fraud-scorer"
  rehearsed_at: "2026-11-01T00:00:00Z"
evidence:
  eval_suite: fraud-v2
  evaluated_at: "2026-11-20T12:00:00Z"
  reports:
    - name: offline-eval
      digest: "sha256:abababababababababababababababababababababababababababababababab"
requested_by: alice@example.com
"""

# Refusals say the rule in words, never as a regular expression.
NAME_WORDS = "a name uses only ASCII letters (A-Z, a-z), digits (0-9)"
DIGEST_WORDS = "followed by 64 lowercase hexadecimal digits"
BAD_DIGEST = "sha256:ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"


def valid_data() -> dict[str, Any]:
    """A fresh copy of the valid decision, read the way the CLI reads it (exact numbers)."""
    return copy.deepcopy(parse_decision_text(VALID_YAML))


def dump_yaml(data: dict[str, Any]) -> str:
    """YAML 1.2 text for decision data, Decimals written from their exact text."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.representer.sort_base_mapping_type_on_output = False
    yaml.representer.add_representer(
        Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", format(value, "f"))
    )
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


Mutation = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class BadCase:
    id: str
    mutate: Mutation
    field: str  # the dotted field the error names
    fragment: str  # text the message must contain (besides the field)
    exact_field: bool = True  # False when the field is named only in the message


def _set(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[part]
        del node[last]

    return mutate


def _duplicate_gate(data: dict[str, Any]) -> None:
    data["gates"].append(dict(data["gates"][0]))


BAD_CASES: list[BadCase] = [
    BadCase("missing-scores", _drop("scores"), "scores", "Field required"),
    BadCase("missing-rollback-runbook", _drop("rollback.runbook"), "rollback.runbook", "Field required"),
    BadCase(
        "missing-evaluated-at", _drop("evidence.evaluated_at"), "evidence.evaluated_at", "Field required"
    ),
    BadCase("missing-model", _drop("model"), "model", "Field required"),
    BadCase("performance-is-text", _set("scores.performance", "high"), "scores.performance", "not a number"),
    BadCase("scores-is-a-list", _set("scores", [86, 82, 68, 84]), "scores", "valid dictionary"),
    BadCase("unknown-weight-profile", _set("weights", "aggressive"), "weights", "unknown weight profile"),
    BadCase(
        "weights-do-not-sum-to-1",
        _set(
            "weights",
            {
                "performance": Decimal("0.3"),
                "reliability": Decimal("0.3"),
                "cost": Decimal("0.2"),
                "safety": Decimal("0.1"),
            },
        ),
        "weights",
        "sum to exactly 1",
    ),
    BadCase(
        "subscore-101", _set("scores.performance", 101), "scores.performance", "less than or equal to 100"
    ),
    BadCase("subscore-minus-1", _set("scores.cost", -1), "scores.cost", "greater than or equal to 0"),
    BadCase(
        "baseline-subscore-100.5",
        _set("baseline.scores.safety", Decimal("100.5")),
        "baseline.scores.safety",
        "less than or equal to 100",
    ),
    BadCase(
        "risk-factor-101", _set("risk.change_size", 101), "risk.change_size", "less than or equal to 100"
    ),
    BadCase("artifact-digest-short", _set("artifact_digest", "sha256:abc"), "artifact_digest", DIGEST_WORDS),
    BadCase(
        "artifact-digest-uppercase", _set("artifact_digest", BAD_DIGEST), "artifact_digest", DIGEST_WORDS
    ),
    BadCase(
        "report-digest-md5",
        _set("evidence.reports.0.digest", "md5:0123456789abcdef0123456789abcdef"),
        "evidence.reports.0.digest",
        DIGEST_WORDS,
    ),
    BadCase(
        "evaluated-at-without-zone",
        _set("evidence.evaluated_at", "2026-11-20T12:00:00"),
        "evidence.evaluated_at",
        "with a time zone",
    ),
    BadCase(
        "evaluated-at-yaml-timestamp-without-zone",
        _set("evidence.evaluated_at", datetime(2026, 11, 20, 12, 0, 0)),
        "evidence.evaluated_at",
        "with a time zone",
    ),
    BadCase(
        "rehearsed-at-without-zone",
        _set("rollback.rehearsed_at", "2026-11-01T00:00:00"),
        "rollback.rehearsed_at",
        "with a time zone",
    ),
    BadCase(
        "rollback-target-is-candidate",
        _set("rollback.target_version", "3.1"),
        "rollback.target_version",
        "differ",
    ),
    BadCase(
        "baseline-is-candidate",
        _set("baseline.version", "3.1"),
        "baseline.version",
        "differ",
    ),
    BadCase("unknown-top-level-field", _set("colour", "blue"), "colour", "Extra inputs are not permitted"),
    BadCase(
        "unknown-nested-field",
        _set("rollback.owner", "eve"),
        "rollback.owner",
        "Extra inputs are not permitted",
    ),
    BadCase("typo-in-field-name", _set("scroes", {}), "scroes", "Extra inputs are not permitted"),
    BadCase("boolean-score", _set("scores.safety", True), "scores.safety", "boolean"),
    BadCase("boolean-baseline-score", _set("baseline.scores.cost", False), "baseline.scores.cost", "boolean"),
    BadCase("boolean-risk-factor", _set("risk.test_coverage", True), "risk.test_coverage", "boolean"),
    BadCase("boolean-gate-observed", _set("gates.0.observed", True), "gates.0.observed", "boolean"),
    BadCase("gate-without-bounds", _set("gates.1", {"name": "latency", "observed": 3}), "gates.1", "min"),
    BadCase(
        "gate-min-above-max",
        _set("gates.1", {"name": "latency", "observed": 3, "min": 5, "max": 1}),
        "gates.1",
        "above its max",
    ),
    BadCase("duplicate-gate-names", _duplicate_gate, "gates", "unique"),
    BadCase(
        "unknown-classification",
        _set("data_sensitivity.classification", "secret"),
        "data_sensitivity.classification",
        "Input should be",
    ),
    BadCase("model-name-with-space", _set("model", "fraud scorer"), "model", NAME_WORDS),
    BadCase("model-name-not-ascii", _set("model", "modèle-ü"), "model", NAME_WORDS),
    BadCase("empty-requested-by", _set("requested_by", ""), "requested_by", "at least 1 character"),
]

# Values that validate one by one but whose recorded numbers (deltas, products, the index)
# cannot be written as entry decimal strings (at most 18 integer and 12 fraction digits).
# They must be refused as bad input naming the field, not crash as an internal error.
UNRECORDABLE_CASES: list[BadCase] = [
    BadCase(
        "subscore-with-12-fraction-digits",
        _set("scores.performance", "86.000000000001"),
        "scores.performance",
        "",
    ),
    BadCase(
        "risk-factor-with-12-fraction-digits",
        _set("risk.change_size", "40.000000000001"),
        "risk.change_size",
        "",
    ),
    BadCase("gate-observed-with-21-digits", _set("gates.0.observed", 10**20), "gates.0.observed", ""),
]


def broken(case: BadCase) -> dict[str, Any]:
    data = valid_data()
    case.mutate(data)
    return data
