"""Reading and validating a decision file: from bytes to a :class:`DecisionRequest`.

Steps 1 and 2 of a decision's path (docs/architecture.md): the one strict reader every
door shares (:mod:`ledger.encoding.reader`), pydantic validation that names the first bad
field, and the submitted fields in entry form (decimal strings, RFC 3339 UTC times).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ledger.encoding.numbers import decimal_text
from ledger.encoding.reader import read_file, read_text
from ledger.errors import DecisionInputError, InputError
from ledger.scoring.request import WEIGHTS_TAGS, DecisionRequest
from ledger.tlog.entry import format_time


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
