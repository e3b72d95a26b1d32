"""From a decision file to the ``release.decision`` payload that is hashed into the log.

The payload holds the submitted fields (numbers as decimal strings, times as RFC 3339
UTC) plus an ``assessment`` with everything computed from them, so an auditor can
recompute the index, the gates, the band and the risk from the entry alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ledger.decisions.request import WEIGHTS_TAGS, DecisionRequest
from ledger.decisions.risk import assess_risk
from ledger.decisions.rules import ScoringRules
from ledger.decisions.scoring import band_for, evaluate_gate, iteration_index, resolve_gates
from ledger.encoding.numbers import NotExactError, decimal_text
from ledger.encoding.reader import read_file, read_text
from ledger.errors import DecisionInputError, InputError
from ledger.tlog.entry import format_time

DECISION_KIND = "release.decision"


def load_decision_file(path: Path) -> dict[str, Any]:
    """Read a YAML or JSON decision file (``.json`` is JSON) into plain data with exact numbers,
    through the one reader every door shares (:mod:`ledger.encoding.reader`).

    Raises :class:`InputError` (a missing file; a :class:`ReadError` for text that breaks a
    reading rule, naming the line)."""
    return _mapping(read_file(path, what="decision file").data)


def parse_decision_text(text: str | bytes, *, json_format: bool = False) -> dict[str, Any]:
    """Read decision text (YAML, or JSON with ``json_format``) as :func:`load_decision_file` does.

    The HTTP API reads request bodies with the same reader, so the same bytes get the same
    verdict or the same refusal through either door."""
    return _mapping(read_text(text, "json" if json_format else "yaml", what="decision file").data)


def _mapping(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InputError("a decision file must be a mapping of fields (model, version, ...)")
    return data


def parse_request(data: Any) -> DecisionRequest:
    """Validate decision data; the first problem becomes one error naming its field.

    Raises :class:`DecisionInputError`."""
    try:
        return DecisionRequest.model_validate(data)
    except ValidationError as exc:
        field, message = first_problem(exc.errors())
        raise DecisionInputError(field, message) from None


def first_problem(errors: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """(dotted field, message) for the first of pydantic's errors, with a count of the others.

    Shared by the CLI and the HTTP API, so the two doors word a refusal the same way. Location
    parts named "body" (FastAPI's) and the weights union's tags are not fields of the file."""
    if not errors:
        return "", "invalid input"
    first = errors[0]
    loc = tuple(part for part in first.get("loc", ()) if part != "body")
    if len(loc) > 1 and loc[0] == "weights" and loc[1] in WEIGHTS_TAGS:
        loc = loc[:1] + loc[2:]  # the union's tag is ours, not a field of the file
    field = ".".join(str(part) for part in loc)
    message = str(first.get("msg", "invalid"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if not field and ": " in message:
        # Cross-field rules are checked on the whole file; their messages open with "field: ".
        field, message = message.split(": ", 1)
    others = len(errors) - 1
    if others:
        message += f" (and {others} more problem{'s' if others > 1 else ''})"
    return field, message


def json_ready(value: Any) -> Any:
    """Decision data as plain JSON values (what a pipeline sends to the API): decimals as
    strings, times as RFC 3339 text."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat()).replace("+00:00", "Z")
    return value


def _rounded(index: Decimal) -> str:
    """The index rounded half-up to a whole number, as the seed's table shows it."""
    return str(index.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def request_fields(request: DecisionRequest) -> dict[str, Any]:
    """The submitted fields in entry form: decimal strings, UTC times, no nulls."""
    data: dict[str, Any] = _to_entry_values(request.model_dump(mode="python", exclude_none=True))
    return data


def _to_entry_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_entry_values(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_to_entry_values(v) for v in value]
    if isinstance(value, Decimal):
        return decimal_text(value)
    if hasattr(value, "isoformat") and hasattr(value, "tzinfo"):
        return format_time(value)
    return value


def assess(request: DecisionRequest, rules: ScoringRules) -> dict[str, Any]:
    """The computed part of the payload. A number that cannot be written exactly is bad input."""
    try:
        return _assess(request, rules)
    except NotExactError as exc:
        raise DecisionInputError("", f"a derived number cannot be recorded exactly: {exc}") from None


def _assess(request: DecisionRequest, rules: ScoringRules) -> dict[str, Any]:
    try:
        profile, weights = request.resolved_weights(rules)
    except ValueError as exc:
        raise DecisionInputError("weights", str(exc)) from None
    index = iteration_index(request.baseline.scores.as_map(), request.scores.as_map(), weights, rules)
    catalogued = {g.name for g in rules.gate_catalogue}
    for number, g in enumerate(request.gates):
        if g.min is None and g.max is None and g.name not in catalogued:
            raise DecisionInputError(
                f"gates.{number}",
                f"gate {g.name!r} needs a min or a max: the policy has no gate of that name",
            )
    declared = [(g.name, g.observed, g.min, g.max, g.severity) for g in request.gates]
    gates = [evaluate_gate(g, rules) for g in resolve_gates(declared, rules)]
    penalty = sum((g.penalty for g in gates), Decimal(0))
    final_index = index.index - penalty
    band = band_for(final_index, gates, rules)
    risk = assess_risk(
        request.risk.model_dump(),
        request.data_sensitivity.classification,
        frozenset(request.data_sensitivity.categories),
        rules,
    )
    return {
        "rules": rules.rules_id,
        "weights": {"profile": profile, **{k: decimal_text(v) for k, v in weights.items()}},
        "subscores": {
            s.name: {
                "baseline": decimal_text(s.baseline),
                "candidate": decimal_text(s.candidate),
                "delta": decimal_text(s.delta),
                "weight": decimal_text(s.weight),
                "contribution": decimal_text(s.contribution),
            }
            for s in index.subscores
        },
        "penalty": decimal_text(penalty),
        "index": decimal_text(final_index),
        "index_rounded": _rounded(final_index),
        "gates": [
            {
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
            for g in gates
        ],
        "gates_passed": not any(g.blocks for g in gates),
        "band": band.band,
        "band_reasons": list(band.reasons),
        "risk": {
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
        },
    }


def decision_payload(request: DecisionRequest, rules: ScoringRules) -> dict[str, Any]:
    return {**request_fields(request), "assessment": assess(request, rules)}
