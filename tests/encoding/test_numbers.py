"""Exact decimal numbers: reading user input, the one written form, and reading it back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger.encoding.numbers import (
    MAX_FRACTION_DIGITS,
    NotExactError,
    decimal_text,
    parse_decimal_text,
    to_decimal,
)

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None)


# -- to_decimal --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.97, "0.97"),
        (0.1, "0.1"),
        (103.95, "103.95"),
        (0.004, "0.004"),
        (80, "80"),
        (-3, "-3"),
        (Decimal("103.950"), "103.950"),
        ("103.950", "103.950"),
        (" 42 ", "42"),
        ("1E+2", "1E+2"),
        ("-0", "-0"),
    ],
)
def test_to_decimal_is_exact(value: object, expected: str) -> None:
    number = to_decimal(value)
    assert isinstance(number, Decimal)
    assert number.as_tuple() == Decimal(expected).as_tuple()


def test_float_097_stays_exactly_097() -> None:
    number = to_decimal(0.97)
    assert number == Decimal("0.97")
    # The binary float itself is 0.9699999999999999733546474089962430298328399658203125.
    assert number != Decimal.from_float(0.97)
    assert decimal_text(number) == "0.97"


@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_refused(value: bool) -> None:
    with pytest.raises(NotExactError, match="boolean"):
        to_decimal(value)


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        "NaN",
        "nan",
        "inf",
        "-Infinity",
    ],
)
def test_non_finite_numbers_are_refused(value: object) -> None:
    with pytest.raises(NotExactError):
        to_decimal(value)


@pytest.mark.parametrize(
    "value",
    ["0.1234567890123", "1." + "0" * 13, Decimal("1E-13"), 1e-13, "-0.0000000000001"],
)
def test_too_many_fraction_digits_are_refused(value: object) -> None:
    with pytest.raises(NotExactError, match="fractional digits"):
        to_decimal(value)


def test_twelve_fraction_digits_are_allowed() -> None:
    assert to_decimal("0.123456789012") == Decimal("0.123456789012")
    assert MAX_FRACTION_DIGITS == 12


@pytest.mark.parametrize("value", ["", "abc", "1,5", "0x10", "1..2", "--1", None, [1], {"a": 1}, b"1"])
def test_non_numbers_are_refused(value: object) -> None:
    with pytest.raises(NotExactError):
        to_decimal(value)


# -- decimal_text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (Decimal("103.950"), "103.95"),
        (Decimal("80"), "80"),
        (Decimal("80.000"), "80"),
        (Decimal("-0"), "0"),
        (Decimal("-0.000"), "0"),
        (Decimal("0E+5"), "0"),
        (Decimal("1E+2"), "100"),
        (Decimal("1.5E+3"), "1500"),
        (Decimal("0.97"), "0.97"),
        (Decimal("-0.5"), "-0.5"),
        (Decimal("123456789012345678"), "123456789012345678"),
        (Decimal("0.000000000001"), "0.000000000001"),
        (Decimal("-999999999999999999.999999999999"), "-999999999999999999.999999999999"),
    ],
)
def test_decimal_text_writes_the_one_normal_form(number: Decimal, text: str) -> None:
    assert decimal_text(number) == text
    assert parse_decimal_text(text) == number


@pytest.mark.parametrize("number", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_decimal_text_refuses_non_finite(number: Decimal) -> None:
    with pytest.raises(NotExactError):
        decimal_text(number)


@pytest.mark.parametrize(
    "number",
    [
        Decimal("1E+18"),  # 19 integer digits
        Decimal("0.0000000000001"),  # 13 fraction digits
        Decimal("1E+100"),
        Decimal("1E+999999"),
    ],
)
def test_decimal_text_refuses_numbers_outside_the_range(number: Decimal) -> None:
    with pytest.raises(NotExactError):
        decimal_text(number)


@pytest.mark.parametrize(
    "number",
    [
        pytest.param(Decimal("1E+1000000"), id="exponent beyond the default context's Emax"),
        pytest.param(Decimal("1E+9999999"), id="larger exponent"),
    ],
)
def test_decimal_text_refuses_huge_exponents_with_not_exact_error(number: Decimal) -> None:
    """to_decimal('1E+1000000') is accepted, so decimal_text must refuse it cleanly, not overflow."""
    with pytest.raises(NotExactError):
        decimal_text(number)


@pytest.mark.parametrize(
    "number",
    [
        pytest.param(Decimal("1." + "0" * 40 + "1"), id="rounds down to 1"),
        pytest.param(Decimal("0." + "9" * 45), id="rounds up to 1"),
        pytest.param(Decimal("12." + "0" * 45 + "3"), id="rounds down to 12"),
    ],
)
def test_decimal_text_never_rounds(number: Decimal) -> None:
    """A number with more than 40 significant digits must be refused, not silently rounded."""
    try:
        text = decimal_text(number)
    except NotExactError:
        return
    assert Decimal(text) == number, f"{number} was written as {text!r}"


# -- parse_decimal_text ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "-0",
        "0.0",
        "1.50",
        "05",
        "+1",
        "1e2",
        "1E+2",
        "1.",
        ".5",
        " 1",
        "1 ",
        "1\n",
        "",
        "1_000",
        "\u0663",  # ARABIC-INDIC DIGIT THREE
        "NaN",
        "Infinity",
        "0.1234567890123",
        "1234567890123456789",
        "-",
    ],
)
def test_parse_decimal_text_refuses_non_normal_text(text: str) -> None:
    with pytest.raises(NotExactError):
        parse_decimal_text(text)


@pytest.mark.parametrize("value", [None, 1, Decimal("1"), b"1", 1.0])
def test_parse_decimal_text_refuses_non_strings(value: object) -> None:
    with pytest.raises(NotExactError):
        parse_decimal_text(value)  # type: ignore[arg-type]


# -- properties --------------------------------------------------------------------------


@st.composite
def decimal_strings(draw: st.DrawFn) -> str:
    """Any number in range, spelled any way Decimal reads: trailing zeros, -0, exponents."""
    sign = draw(st.sampled_from(["", "-"]))
    whole = draw(st.integers(min_value=0, max_value=10**18 - 1))
    fraction = draw(st.text(alphabet="0123456789", max_size=MAX_FRACTION_DIGITS))
    text = f"{sign}{whole}" + (f".{fraction}" if fraction else "")
    return text


@PROPERTY
@given(decimal_strings())
@example("-0")
@example("-0.000000000000")
@example("999999999999999999.999999999999")
@example("100.100")
def test_decimal_text_round_trips_through_parse_decimal_text(spelled: str) -> None:
    number = to_decimal(spelled)
    text = decimal_text(number)
    assert Decimal(text) == number  # exact: same value
    parsed = parse_decimal_text(text)
    assert parsed == number
    assert decimal_text(parsed) == text  # one written form
    assert "E" not in text and "e" not in text
    assert text != "-0"
    if "." in text:
        assert not text.endswith("0")


@PROPERTY
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_text_is_exact_or_refuses(number: Decimal) -> None:
    try:
        text = decimal_text(number)
    except NotExactError:
        return
    assert Decimal(text) == number
    assert parse_decimal_text(text) == number


@PROPERTY
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))
def test_floats_are_read_through_their_shortest_repr(value: float) -> None:
    try:
        number = to_decimal(value)
    except NotExactError:
        return  # too many fraction digits for an entry
    assert number == Decimal(repr(value))
    assert float(number) == value
