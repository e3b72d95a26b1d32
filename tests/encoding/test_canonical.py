"""The fast canonical encoder equals RFC 8785's reference over the whole entry value space."""

from __future__ import annotations

import datetime
import json
import types
from decimal import Decimal
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ledger.encoding.canonical import (
    MAX_SAFE_INTEGER,
    OutsideValueSpaceError,
    canonical_bytes,
    check_value_space,
    is_canonical,
    reference_canonical_bytes,
)

# Characters RFC 8785 treats specially, or that encoders are known to get wrong.
TRICKY_CHARS = [
    *(chr(c) for c in range(0x20)),  # every C0 control: \b \t \n \f \r and \u00XX forms
    '"',
    "\\",
    "/",
    "\x7f",
    "\x80",
    "\u00e9",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ufffd",
    "\uffff",
    "\U00010000",
    "\U0001f600",
    "\U0010ffff",
]

# Any Unicode scalar value: every code point except the surrogates (category Cs).
any_char = st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(TRICKY_CHARS))
any_text = st.text(alphabet=any_char, max_size=20)
ascii_key = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=8)
safe_int = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
scalars = st.one_of(st.none(), st.booleans(), safe_int, any_text)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(ascii_key, children, max_size=5),
    ),
    max_leaves=30,
)

PROPERTY = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(json_values)
@example(MAX_SAFE_INTEGER)
@example(-MAX_SAFE_INTEGER)
@example("".join(TRICKY_CHARS))
@example({"".join(chr(c) for c in range(0x80)): "".join(TRICKY_CHARS)})
@example({"b": 1, "a": {"d": [], "c": {}}, "": None, "A": True, "\x00": False})
def test_canonical_bytes_equal_the_rfc8785_reference(value: Any) -> None:
    expected = rfc8785.dumps(value)
    assert canonical_bytes(value) == expected
    assert reference_canonical_bytes(value) == expected
    assert is_canonical(expected)


@PROPERTY
@given(json_values)
def test_canonical_bytes_parse_back_to_the_value(value: Any) -> None:
    data = canonical_bytes(value)
    assert b"\n" not in data  # the export format relies on this: one entry per line
    assert orjson.loads(data) == value


@PROPERTY
@given(json_values)
def test_other_serialisations_are_not_canonical(value: Any) -> None:
    data = canonical_bytes(value)
    variants = [
        json.dumps(value, indent=1).encode(),  # whitespace
        json.dumps(value, separators=(", ", ": ")).encode(),
        json.dumps(value, ensure_ascii=True).encode(),  # \uXXXX escapes instead of UTF-8
        json.dumps(value, ensure_ascii=False, sort_keys=False).encode(),  # insertion order
        data + b" ",
        b" " + data,
        data + b"\n",
    ]
    for variant in variants:
        if variant != data:
            assert not is_canonical(variant), variant


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1}',
        b'{"a":1 }',
        b'{\n"a":1}',
        b'{"b":1,"a":2}',
        b'{"a":{"y":1,"x":2}}',
        b'{"a":1,"a":1}',  # a duplicate member
        b'"\\u0041"',  # "A" escaped although it need not be
        b'"\\/"',  # RFC 8785 never escapes the solidus
        b'"\\u00e9"',  # non-ASCII is written as UTF-8, not escaped
        b'"\\u000a"',  # must be \n
        b'"\\u001F"',  # must be lowercase hex
        b'"\\ud83d\\ude00"',  # astral characters are written as UTF-8
        b"[1,2,]",
        b"01",
        b"+1",
        b"",
        b"{",
        b'"\xff"',  # not UTF-8
        b"null null",
    ],
)
def test_is_canonical_rejects_variants(data: bytes) -> None:
    assert not is_canonical(data)


@pytest.mark.parametrize(
    "data",
    [b"null", b"true", b"0", b"-1", b'""', b"[]", b"{}", b'{"a":[1,"\\n",null],"b":{"":true}}'],
)
def test_is_canonical_accepts_canonical_bytes(data: bytes) -> None:
    assert is_canonical(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"1.0", id="float-1.0 (RFC 8785 writes 1)"),
        pytest.param(b"-0.0", id="float-minus-zero (RFC 8785 writes 0)"),
        pytest.param(b"[9007199254740993]", id="integer beyond 2**53-1"),
        pytest.param(
            orjson.dumps({"\uffff": 1, "\U00010000": 2}, option=orjson.OPT_SORT_KEYS),
            id="non-ASCII keys in code point order (RFC 8785 sorts UTF-16 units)",
        ),
    ],
)
def test_is_canonical_rejects_bytes_outside_the_value_space(data: bytes) -> None:
    """is_canonical promises "the canonical encoding of the JSON value it holds".

    These bytes round-trip through orjson unchanged, but RFC 8785 encodes their value
    differently (or not at all), so they are not canonical.
    """
    assert not is_canonical(data)


# -- the value space ---------------------------------------------------------------------


def _rejected(value: Any) -> str:
    with pytest.raises(OutsideValueSpaceError) as info:
        check_value_space(value)
    with pytest.raises(OutsideValueSpaceError):
        canonical_bytes(value)
    return str(info.value)


def test_floats_are_refused_naming_the_path() -> None:
    message = _rejected({"a": [1, {"b": 0.5}]})
    assert message.startswith("$.a[1].b:")
    assert "float" in message


@pytest.mark.parametrize("number", [MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 2**64, -(2**70)])
def test_integers_beyond_2_53_are_refused_naming_the_path(number: int) -> None:
    message = _rejected({"x": {"y": [0, 0, number]}})
    assert message.startswith("$.x.y[2]:")
    assert str(number) in message


@pytest.mark.parametrize("number", [MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 0])
def test_integers_at_the_limit_are_allowed(number: int) -> None:
    check_value_space({"n": number})
    assert canonical_bytes({"n": number}) == rfc8785.dumps({"n": number})


@pytest.mark.parametrize("key", ["\u00e9", "caf\u00e9", "\U0001f600", "\u2028"])
def test_non_ascii_keys_are_refused_naming_the_object(key: str) -> None:
    message = _rejected({"outer": [{"ok": 1, key: 2}]})
    assert message.startswith("$.outer[0]:")
    assert "ASCII" in message


@pytest.mark.parametrize("key", [1, None, True, (1, 2)])
def test_non_string_keys_are_refused(key: Any) -> None:
    assert _rejected({"o": {key: 1}}).startswith("$.o:")


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "\udbff\udc00"])
def test_lone_surrogates_are_refused_naming_the_path(text: str) -> None:
    message = _rejected({"list": ["fine", text]})
    assert message.startswith("$.list[1]:")
    assert "surrogate" in message


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({1, 2}, id="set"),
        pytest.param(frozenset(), id="frozenset"),
        pytest.param(Decimal("1.5"), id="Decimal"),
        pytest.param(object(), id="object"),
        pytest.param(1j, id="complex"),
        pytest.param(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), id="datetime"),
        pytest.param(b"bytes", id="bytes"),
        pytest.param(bytearray(b"x"), id="bytearray"),
        pytest.param(memoryview(b"x"), id="memoryview"),
        pytest.param(range(3), id="range"),
    ],
)
def test_non_json_types_are_refused_naming_the_path(value: Any) -> None:
    message = _rejected({"k": [None, value]})
    assert message.startswith("$.k[1]:")


def test_a_non_dict_mapping_is_encoded_or_refused_never_crashes() -> None:
    value = {"m": types.MappingProxyType({"a": 1})}
    try:
        data = canonical_bytes(value)
    except OutsideValueSpaceError:
        return
    assert data == rfc8785.dumps({"m": {"a": 1}})
