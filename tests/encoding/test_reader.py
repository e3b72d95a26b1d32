"""The one reader every door shares (ledger.encoding.reader): YAML 1.2 and JSON to exact data.

Each "Why" instance of issue 9 that the reader owns is asserted with its right value: a
leading-zero number is never octal, a repeated key is refused naming key and line, numbers
are exact and bounded, deep nesting and huge integers are clean refusals. The doors that read
files (decision files, canary summaries, contract terms, policy files and cases) are checked
through their own entry points, and the command line once end to end.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli.release_cmds import _summary
from ledger.encoding.reader import (
    MAX_DEPTH,
    MalformedError,
    ReadError,
    exact_number,
    read_file,
    read_json,
    read_text,
    read_yaml,
)
from ledger.errors import InputError
from ledger.scoring.input import load_decision_file, parse_decision_text, parse_request
from policies.errors import PolicyFileError
from policies.loader import default_policy_path, load_policy_text
from reports.contract import ContractTerms
from reports.errors import ReportInputError
from tests.cli.test_cli import _clean_environment as _clean_environment  # autouse: no RLEDGER_* leaks
from tests.cli.test_cli import assert_clean_failure, init_home, ledger_state, run
from tests.decisions.bad_inputs import VALID_YAML

# -- YAML 1.2 core schema, never YAML 1.1 guesses ---------------------------------------------


@pytest.mark.parametrize(
    ("literal", "fragment"),
    [
        ("010", "leading zero"),  # YAML 1.1: 8; refused rather than guessed
        ("-010", "leading zero"),
        ("00.5", "leading zero"),
        ("0x18", "hexadecimal"),  # YAML 1.1 and 1.2: 24
        ("0o17", "octal"),
        ("0b101", "binary"),  # YAML 1.1: 5
        ("1_000", "'_'"),  # YAML 1.1: 1000
        ("1_000.25", "'_'"),
        (".inf", "not a finite number"),
        ("-.inf", "not a finite number"),
        (".nan", "not a finite number"),
    ],
)
def test_numbers_that_yaml_1_1_would_guess_are_refused_with_their_line(literal: str, fragment: str) -> None:
    text = f"first: 1\nvalue: {literal}\n"
    with pytest.raises(ReadError) as refused:
        read_yaml(text)
    assert fragment in str(refused.value)
    assert refused.value.field == "value" and refused.value.line == 2


def test_observed_010_is_never_eight() -> None:
    text = VALID_YAML.replace("observed: 0.97,", "observed: 010,")
    with pytest.raises(ReadError) as refused:
        parse_decision_text(text)
    assert refused.value.field == "gates.0.observed"
    assert "010 has a leading zero" in str(refused.value) and "write 10" in str(refused.value)
    assert (
        refused.value.line
        == VALID_YAML.splitlines().index(
            next(line for line in VALID_YAML.splitlines() if "observed: 0.97" in line)
        )
        + 1
    )


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "On", "OFF"])
def test_yaml_1_1_booleans_are_text(word: str) -> None:
    assert read_yaml(f"flag: {word}\n").data == {"flag": word}


@pytest.mark.parametrize(
    ("word", "value"), [("true", True), ("false", False), ("True", True), ("FALSE", False)]
)
def test_only_core_schema_booleans_are_booleans(word: str, value: bool) -> None:
    assert read_yaml(f"flag: {word}\n").data == {"flag": value}


def test_sexagesimal_and_timestamps_stay_text() -> None:
    data = read_yaml("duration: 2:05\nat: 2026-11-01T00:00:00Z\nday: 2026-11-01\n").data
    assert data == {"duration": "2:05", "at": "2026-11-01T00:00:00Z", "day": "2026-11-01"}


def test_a_sexagesimal_score_is_refused_not_125() -> None:
    data = parse_decision_text(VALID_YAML.replace("observed: 0.97,", "observed: 2:05,"))
    assert data["gates"][0]["observed"] == "2:05"
    with pytest.raises(InputError, match=r"gates\.0\.observed: '2:05' is not a number"):
        parse_request(data)


def test_yaml_1_1_documents_tags_and_merge_keys_are_refused() -> None:
    with pytest.raises(ReadError, match=r"%YAML 1\.1 documents are not read"):
        read_yaml("%YAML 1.1\n---\na: 010\n")
    assert read_yaml("%YAML 1.2\n---\na: 10\n").data == {"a": 10}
    with pytest.raises(ReadError, match=r"a: tag tag:yaml\.org,2002:binary is not read"):
        read_yaml("a: !!binary aGk=\n")
    with pytest.raises(ReadError, match=r"tag !python/object is not read"):
        read_yaml("a: !python/object x\n")
    with pytest.raises(ReadError, match=r"merge keys \(<<\) are not read"):
        read_yaml("base: &b {x: 1}\nother:\n  <<: *b\n")


def test_aliases_are_expanded_but_bounded() -> None:
    assert read_yaml("x: &a [1, 2]\ny: *a\n").data == {"x": [1, 2], "y": [1, 2]}
    laughs = "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 10)}]\n" for n in range(8)
    )
    with pytest.raises(ReadError, match="more than 100000 values"):
        read_yaml(laughs)
    with pytest.raises(ReadError, match="nested more than 64 levels deep"):
        read_yaml("a: &x [*x]\n")


# -- duplicate keys ----------------------------------------------------------------------------


def test_a_duplicated_max_is_refused_naming_key_and_line() -> None:
    text = VALID_YAML.replace(
        "  - {name: severe_hallucination_rate, observed: 0.004, max: 0.01}",
        "  - name: severe_hallucination_rate\n    observed: 0.004\n    max: 0.01\n    max: 0.05",
    )
    lines = text.splitlines()
    first, again = (n + 1 for n, line in enumerate(lines) if line.strip().startswith("max: 0.0"))
    with pytest.raises(ReadError) as refused:
        parse_decision_text(text)
    message = str(refused.value)
    assert refused.value.line == again
    assert f"gates.1: duplicate key 'max', first on line {first} (line {again}, column 5)" == message


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"gates": [{"name": "g", "max": 0.01, "max": 0.05}]}', 1, 39),
        ('{\n  "a": {"max": 1},\n  "b": {"max": 2,\n        "max": 3}\n}', 4, 9),
        ('{"\\u006dax": 1, "max": 2}', 1, 17),  # the same key, spelled with an escape
    ],
)
def test_json_duplicate_keys_are_refused_naming_key_line_and_column(
    text: str, line: int, column: int
) -> None:
    with pytest.raises(ReadError) as refused:
        read_json(text)
    assert "duplicate key 'max'" in str(refused.value)
    assert (refused.value.line, refused.value.column) == (line, column)


def test_a_flow_mapping_duplicate_is_refused_too() -> None:
    with pytest.raises(ReadError, match=r"gates\.0: duplicate key 'max', first on line 1 \(line 1"):
        read_yaml("gates: [{name: g, max: 0.01, max: 0.05}]\n")


# -- exact, bounded numbers --------------------------------------------------------------------


def _no_floats(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_no_floats(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_floats(v) for v in value)
    return not isinstance(value, float)


def test_numbers_are_exact_in_both_formats() -> None:
    assert read_yaml("a: 0.97\nb: 80\nc: 1.0e-3\n").data == {
        "a": Decimal("0.97"),
        "b": 80,
        "c": Decimal("0.001"),
    }
    assert str(read_yaml("a: 0.30\n").data["a"]) == "0.30"  # the source text, not a float's repr
    data = read_json('{"a": 0.97, "b": 80, "c": 1.0e-3, "d": -0}').data
    assert data == {"a": Decimal("0.97"), "b": 80, "c": Decimal("0.001"), "d": 0}
    assert isinstance(data["b"], int) and isinstance(data["a"], Decimal)
    assert _no_floats(read_yaml(default_policy_path().read_text()).data)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_more_than_12_fraction_digits_is_refused_in_both_formats(fmt: str) -> None:
    text = '{"gates": [{"observed": 0.94999999999999999}]}'
    with pytest.raises(ReadError) as refused:
        read_text(text, fmt)  # type: ignore[arg-type]
    # Word for word what ledger.encoding.numbers.to_decimal says for a quoted number.
    assert "gates.0.observed: '0.94999999999999999' has more than 12 fractional digits" in str(refused.value)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_10000_digit_integer_is_a_clean_refusal(fmt: str) -> None:
    text = '{"scores": {"performance": ' + "9" * 10_000 + "}}"
    started = time.perf_counter()
    with pytest.raises(ReadError, match=r"scores\.performance: a number of 10000 characters is too long"):
        read_text(text, fmt)  # type: ignore[arg-type]
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1" + "0" * 18, "has more than 18 digits"),
        ("1e18", "more than 18 digits before the point"),
        ("1e400", "more than 18 digits before the point"),
        ("1e-13", "more than 12 fractional digits"),
        ("1e-999999999", "more than 12 fractional digits"),
        ("NaN", "not a finite number"),
        ("-Infinity", "not a finite number"),
    ],
)
def test_out_of_range_json_numbers_are_refused(text: str, message: str) -> None:
    with pytest.raises(ReadError, match=message):
        read_json('{"n": ' + text + "}")


def test_the_largest_numbers_an_entry_holds_are_read() -> None:
    assert read_json('{"n": 999999999999999999, "m": -0.000000000001}').data == {
        "n": 999999999999999999,
        "m": Decimal("-0.000000000001"),
    }


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-(10**12), max_value=10**12))
def test_any_entry_sized_decimal_reads_back_exactly(number: Decimal) -> None:
    text = format(number, "f")
    integer = "." not in text
    value = exact_number(text, integer=integer)
    assert value == number and (isinstance(value, int) if integer else isinstance(value, Decimal))
    assert read_json(f'{{"n": {text}}}').data["n"] == number
    assert read_yaml(f"n: {text}\n").data["n"] == number


# -- nesting, keys, syntax ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("opening", ["[", '{"a": '])
def test_100000_nested_brackets_are_a_clean_refusal(fmt: str, opening: str) -> None:
    text = opening * 100_000
    started = time.perf_counter()
    with pytest.raises(ReadError, match=f"nested more than {MAX_DEPTH} levels deep") as refused:
        read_text(text, fmt)  # type: ignore[arg-type]
    assert refused.value.line == 1
    assert time.perf_counter() - started < 5


def test_nesting_up_to_the_limit_is_read() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert read_json(text).data is not None
    assert read_yaml(text).data is not None


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_non_ascii_keys_are_refused_clearly(fmt: str) -> None:
    with pytest.raises(ReadError, match=r"key 'modèle' is not a field name: keys are printable ASCII"):
        read_text('{"modèle": "x"}', fmt)  # type: ignore[arg-type]
    # Values may be any text.
    assert read_text('{"caveat": "modèle-ü"}', fmt).data == {"caveat": "modèle-ü"}  # type: ignore[arg-type]


def test_non_text_keys_are_refused() -> None:
    with pytest.raises(ReadError, match="key '1' is not text; quote it"):
        read_yaml("1: x\n")


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(MalformedError) as refused:
        read_json('{\n  "model": "x",\n  "version": \n}', what="request body")
    assert str(refused.value) == "request body is not valid JSON: Expecting value (line 4, column 1)"
    assert (refused.value.line, refused.value.column) == (4, 1)


def test_malformed_yaml_names_line_and_column() -> None:
    with pytest.raises(MalformedError) as refused:
        read_yaml("a: 1\nb: [unclosed\n", what="decision file")
    assert str(refused.value).startswith("decision file is not valid YAML: ")
    assert refused.value.line is not None and refused.value.column is not None


def test_bytes_must_be_utf8() -> None:
    with pytest.raises(MalformedError, match="not UTF-8"):
        read_text(b'{"a": "\xff"}', "json")


def test_document_lines_locate_values() -> None:
    document = read_yaml("a:\n  b:\n    - 1\n    - x: 2\n")
    assert document.line_of(("a", "b", 1, "x")) == 4
    assert document.line_of(("a", "missing")) == 2


# -- every door that reads files ----------------------------------------------------------------


def test_decision_files_in_json_and_yaml_agree(tmp_path: Path) -> None:
    data = parse_decision_text(VALID_YAML)
    as_json = tmp_path / "d.json"
    # Decimals as JSON numbers, written from their text.
    text = json.dumps(data, default=lambda number: f"@@{number}@@").replace('"@@', "").replace('@@"', "")
    as_json.write_text(text, encoding="utf-8")
    as_yaml = tmp_path / "d.yaml"
    as_yaml.write_text(VALID_YAML, encoding="utf-8")
    assert load_decision_file(as_json) == load_decision_file(as_yaml) == data


def test_canary_summaries_are_read_exactly_and_strictly(tmp_path: Path) -> None:
    path = tmp_path / "summary.yaml"
    path.write_text("error_rate: 0.011\np99_latency_ms: 1800\n", encoding="utf-8")
    assert _summary(path) == {"error_rate": Decimal("0.011"), "p99_latency_ms": 1800}
    path.write_text("error_rate: 0.011\nerror_rate: 0.001\n", encoding="utf-8")
    with pytest.raises(ReadError, match=r"duplicate key 'error_rate', first on line 1 \(line 2"):
        _summary(path)
    path.write_text("p99_latency_ms: 0x708\n", encoding="utf-8")
    with pytest.raises(ReadError, match="hexadecimal"):
        _summary(path)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("notice_days: 010\n", "notice_days: 010 has a leading zero"),
        ("notice_days: 0x18\n", "hexadecimal"),
        ("notice_days: 30\nnotice_days: 90\n", "duplicate key 'notice_days'"),
    ],
)
def test_contract_terms_files_are_read_strictly(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "terms.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReportInputError, match=fragment) as refused:
        ContractTerms.read(path)
    assert str(path) in str(refused.value)


def test_contract_terms_read_whole_numbers(tmp_path: Path) -> None:
    path = tmp_path / "terms.yaml"
    path.write_text("notice_days: 120\nsupplier: Example GmbH\n", encoding="utf-8")
    assert ContractTerms.read(path) == ContractTerms(notice_days=120, supplier="Example GmbH")


def test_policy_files_refuse_duplicates_with_the_line() -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    doubled = text.replace("    green_margin: 5 ", "    green_margin: 5\n    green_margin: 50 ", 1)
    line = next(n + 1 for n, row in enumerate(doubled.splitlines()) if row.startswith("    green_margin: 50"))
    with pytest.raises(PolicyFileError) as refused:
        load_policy_text(doubled, source="p.yaml")
    assert refused.value.line == line
    assert str(refused.value).startswith(f"p.yaml:{line}: scoring.bands: duplicate key 'green_margin'")


def test_policy_validation_errors_still_name_their_line() -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    broken = text.replace("    green_margin: 5 ", "    green_margin: lots ", 1)
    line = next(
        n + 1 for n, row in enumerate(broken.splitlines()) if row.startswith("    green_margin: lots")
    )
    with pytest.raises(PolicyFileError) as refused:
        load_policy_text(broken, source="p.yaml")
    assert refused.value.line == line and "scoring.bands.green_margin" in str(refused.value)


def test_read_file_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"summary file .*nope\.yaml does not exist"):
        read_file(tmp_path / "nope.yaml", what="summary file")


# -- the command line, end to end ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "fragments"),
    [
        (
            "octal.yaml",
            VALID_YAML.replace("observed: 0.97,", "observed: 010,"),
            ("gates.0.observed: 010 has a leading zero", "write 10", "(line 12, column"),
        ),
        (
            "duplicate.yaml",
            VALID_YAML.replace("observed: 0.004, max: 0.01}", "observed: 0.004, max: 0.01, max: 0.05}"),
            ("gates.1: duplicate key 'max', first on line 13 (line 13,",),
        ),
        ("nested.json", "[" * 100_000, ("nested more than 64 levels deep (line 1, column 65)",)),
        ("nested.yaml", "a: " + "[" * 100_000, ("nested more than 64 levels deep",)),
        (
            "huge.json",
            '{"model": ' + "9" * 10_000 + "}",
            ("model: a number of 10000 characters is too long",),
        ),
        (
            "digits.json",
            json.dumps({"gates": [{"name": "g", "observed": "X"}]}).replace('"X"', "0.94999999999999999"),
            ("gates.0.observed: '0.94999999999999999' has more than 12 fractional digits",),
        ),
    ],
)
def test_the_cli_refuses_bad_decision_files_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str, fragments: tuple[str, ...]
) -> None:
    team = init_home(tmp_path / "home")
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    before = ledger_state(team.home)
    result = run(capsys, *team.submit(path))
    assert result.code == 1  # bad input, never 70 ("internal error")
    line = assert_clean_failure(result, *fragments)
    assert line.startswith("error: ")
    assert ledger_state(team.home) == before
