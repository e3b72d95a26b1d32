"""Decision files: the bad-input matrix, exact numbers, YAML and JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.errors import DecisionInputError, InputError
from ledger.scoring.assess import decision_payload
from ledger.scoring.input import load_decision_file, parse_decision_text, parse_request
from ledger.scoring.request import DecisionRequest
from ledger.scoring.rules import DEFAULT_RULES
from tests.decisions.bad_inputs import (
    BAD_CASES,
    UNRECORDABLE_CASES,
    VALID_YAML,
    BadCase,
    broken,
    dump_yaml,
    valid_data,
)


def check_one_error(exc: DecisionInputError, case: BadCase) -> None:
    message = str(exc)
    assert "\n" not in message, f"one line, not {message!r}"
    assert "more problem" not in message, f"exactly one problem reported: {message!r}"
    assert case.field in message
    assert case.fragment in message
    if case.exact_field:
        assert exc.field == case.field
    else:
        assert exc.field in ("", case.field)


def test_valid_file_is_accepted() -> None:
    request = parse_request(valid_data())
    assert isinstance(request, DecisionRequest)
    payload = decision_payload(request, DEFAULT_RULES)
    assert payload["assessment"]["index"] == "103.95"
    assert payload["evidence"]["evaluated_at"] == "2026-11-20T12:00:00Z"


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda c: c.id)
def test_bad_input_gives_one_error_naming_the_field(case: BadCase) -> None:
    data = broken(case)
    with pytest.raises(DecisionInputError) as info:
        decision_payload(parse_request(data), DEFAULT_RULES)
    check_one_error(info.value, case)


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda c: c.id)
def test_bad_input_from_a_yaml_file(case: BadCase, tmp_path: Path) -> None:
    path = tmp_path / "decision.yaml"
    path.write_text(dump_yaml(broken(case)), encoding="utf-8")
    with pytest.raises(DecisionInputError) as info:
        decision_payload(parse_request(load_decision_file(path)), DEFAULT_RULES)
    check_one_error(info.value, case)


@pytest.mark.parametrize("case", UNRECORDABLE_CASES, ids=lambda c: c.id)
def test_unrecordable_numbers_are_input_errors(case: BadCase) -> None:
    """Numbers that pass the schema but cannot be written exactly must be refused as input.

    Today they escape as ``NotExactError`` (a plain ValueError) from ``decimal_text`` while
    the payload is built, which the CLI reports as an internal error (exit 70).
    """
    with pytest.raises(DecisionInputError) as info:
        decision_payload(parse_request(broken(case)), DEFAULT_RULES)
    assert case.field in str(info.value)


def test_yaml_booleans_are_not_scores() -> None:
    text = VALID_YAML.replace("safety: 84}", "safety: yes}")
    with pytest.raises(DecisionInputError) as info:
        parse_request(parse_decision_text(text))
    assert info.value.field == "scores.safety"


def test_unquoted_naive_yaml_timestamp_is_refused() -> None:
    text = VALID_YAML.replace('evaluated_at: "2026-11-20T12:00:00Z"', "evaluated_at: 2026-11-20 12:00:00")
    data = parse_decision_text(text)
    with pytest.raises(DecisionInputError) as info:
        parse_request(data)
    assert info.value.field == "evidence.evaluated_at"


def test_unquoted_yaml_timestamp_with_zone_is_accepted() -> None:
    text = VALID_YAML.replace(
        'evaluated_at: "2026-11-20T12:00:00Z"', "evaluated_at: 2026-11-20T14:00:00+02:00"
    )
    payload = decision_payload(parse_request(parse_decision_text(text)), DEFAULT_RULES)
    assert payload["evidence"]["evaluated_at"] == "2026-11-20T12:00:00Z"


def test_non_mapping_weights_value() -> None:
    data = valid_data()
    data["weights"] = 7
    with pytest.raises(DecisionInputError) as info:
        parse_request(data)
    assert info.value.field.startswith("weights")


# -- exact numbers ------------------------------------------------------------------------


def test_yaml_floats_are_read_exactly() -> None:
    data = parse_decision_text(VALID_YAML)
    observed = data["gates"][0]["observed"]
    assert isinstance(observed, Decimal)
    assert observed == Decimal("0.97")
    assert str(observed) == "0.97"
    assert data["gates"][1]["observed"] == Decimal("0.004")
    payload = decision_payload(parse_request(data), DEFAULT_RULES)
    assert payload["gates"][0]["observed"] == "0.97"
    assert payload["gates"][1]["observed"] == "0.004"
    expected = {
        "name": "jailbreak_resistance",
        "observed": "0.97",
        "min": "0.95",
        "severity": "high",
        "passed": True,
    }
    assert payload["assessment"]["gates"][0].items() >= expected.items()


@pytest.mark.parametrize(
    ("literal", "text"),
    # "1_000.25" (YAML 1.1 read 1000.25) is refused now: tests/encoding/test_reader.py
    [("0.1", "0.1"), ("0.30", "0.3"), ("86.5", "86.5"), ("1.0e-3", "0.001")],
)
def test_yaml_float_literals(literal: str, text: str) -> None:
    data = parse_decision_text(VALID_YAML.replace("observed: 0.97,", f"observed: {literal},"))
    payload = decision_payload(parse_request(data), DEFAULT_RULES)
    assert payload["gates"][0]["observed"] == text


def test_python_floats_use_their_shortest_repr() -> None:
    data = valid_data()
    data["gates"][0]["observed"] = 0.97  # a binary float: repr is "0.97"
    data["scores"]["performance"] = 86.1
    payload = decision_payload(parse_request(data), DEFAULT_RULES)
    assert payload["gates"][0]["observed"] == "0.97"
    assert payload["scores"]["performance"] == "86.1"


def test_number_strings_are_accepted() -> None:
    data = valid_data()
    data["scores"]["performance"] = " 86.0 "
    payload = decision_payload(parse_request(data), DEFAULT_RULES)
    assert payload["scores"]["performance"] == "86"


# -- JSON files -----------------------------------------------------------------------------


def _as_json_text() -> str:
    def default(value: object) -> object:
        if isinstance(value, Decimal):
            return float(value)  # re-read below with parse_float=Decimal, from the literal text
        raise TypeError(type(value))

    return json.dumps(valid_data(), default=default)


@pytest.mark.parametrize("suffix", [".json", ".JSON"])
def test_json_decision_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"decision{suffix}"
    path.write_text(_as_json_text(), encoding="utf-8")
    data = load_decision_file(path)
    assert isinstance(data["gates"][0]["observed"], Decimal)
    assert str(data["gates"][0]["observed"]) == "0.97"
    payload = decision_payload(parse_request(data), DEFAULT_RULES)
    assert payload["gates"][0]["observed"] == "0.97"
    assert payload["assessment"]["index"] == "103.95"


def test_json_and_yaml_give_the_same_payload(tmp_path: Path) -> None:
    json_path = tmp_path / "d.json"
    json_path.write_text(_as_json_text(), encoding="utf-8")
    yaml_path = tmp_path / "d.yaml"
    yaml_path.write_text(VALID_YAML, encoding="utf-8")
    from_json = decision_payload(parse_request(load_decision_file(json_path)), DEFAULT_RULES)
    from_yaml = decision_payload(parse_request(load_decision_file(yaml_path)), DEFAULT_RULES)
    assert from_json == from_yaml


def test_json_bad_field(tmp_path: Path) -> None:
    data = json.loads(_as_json_text())
    data["scores"]["performance"] = 101.5
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DecisionInputError) as info:
        parse_request(load_decision_file(path))
    assert info.value.field == "scores.performance"


def test_json_nan_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(_as_json_text().replace('"safety": 84', '"safety": NaN'), encoding="utf-8")
    with pytest.raises(InputError) as info:
        parse_request(load_decision_file(path))
    assert "scores.safety" in str(info.value)


# -- unreadable files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("bad.yaml", "model: [unclosed\n"),
        ("tabs.yaml", "model: x\n\tversion: y\n"),
        ("bad.json", '{"model": "x",'),
        ("list.yaml", "- model: x\n- model: y\n"),
        ("list.json", '[{"model": "x"}]'),
        ("scalar.yaml", "just a string\n"),
        ("empty.yaml", ""),
        ("null.json", "null"),
    ],
)
def test_unparseable_files_give_input_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_decision_file(path)
    assert not isinstance(info.value, DecisionInputError)


@pytest.mark.parametrize("text", ["model: [unclosed\n", "a: b: c\n", "key: 'open\n"])
def test_yaml_syntax_error_is_one_line(tmp_path: Path, text: str) -> None:
    """The CLI prints an InputError as its one line of output, so the message must be one line.

    YAML libraries' exception text spans several lines (problem, context, a caret drawing).
    """
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_decision_file(path)
    assert "\n" not in str(info.value), str(info.value)


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_decision_file(tmp_path / "nope.yaml")
    assert "does not exist" in str(info.value)


def test_non_utf8_file_is_input_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("model: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(InputError):
        load_decision_file(path)


def test_non_finite_yaml_float_is_input_error() -> None:
    with pytest.raises(InputError):
        parse_decision_text(VALID_YAML.replace("observed: 0.97,", "observed: .inf,"))
