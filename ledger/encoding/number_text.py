"""A number's source text, as YAML or JSON wrote it, to its exact value.

The reader (:mod:`ledger.encoding.reader`) hands every number here as text, before any
conversion: plain decimal only, at most :data:`MAX_INTEGER_DIGITS` digits before the point and
:data:`ledger.encoding.numbers.MAX_FRACTION_DIGITS` after, so every number read fits an
entry's decimal string (:mod:`ledger.encoding.numbers`).
"""

from __future__ import annotations

import re
from decimal import Decimal

from ledger.encoding.numbers import MAX_FRACTION_DIGITS

MAX_INTEGER_DIGITS = 18
"""Digits before the point, as an entry's decimal string allows (ledger.encoding.numbers)."""

MAX_NUMBER_CHARS = 64
"""Longest number text looked at; anything longer breaks the digit limits anyway."""

# Plain decimal: no leading zeros, no separators, no radix prefixes. A YAML-only leading "+",
# ".5" and "5." are unambiguous and allowed.
_INTEGER = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"[-+]?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_RADIX = {"0x": "hexadecimal", "0o": "octal", "0b": "binary"}


def exact_number(text: str, *, integer: bool) -> int | Decimal:
    """The exact value of one number's source text, or :class:`ValueError` saying what is wrong.

    ``integer`` says the parser saw a whole number (no point, no exponent): it becomes an
    ``int``; anything else a ``Decimal``. Limits: see the :mod:`ledger.encoding.reader` docstring.
    """
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(
            f"a number of {len(text)} characters is too long: numbers have at most "
            f"{MAX_INTEGER_DIGITS} digits before the point and {MAX_FRACTION_DIGITS} after"
        )
    if text.lower().lstrip("+-.") in ("inf", "nan", "infinity"):
        raise ValueError(f"{text} is not a finite number")
    return _exact_integer(text) if integer else _exact_decimal(text)


def _exact_integer(text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise ValueError(_not_plain(text))
    if len(text.lstrip("+-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"{text} has more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _exact_decimal(text: str) -> Decimal:
    if not _DECIMAL.fullmatch(text):
        raise ValueError(_not_plain(text))
    number = Decimal(text)
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: checked by the caller
    if -exponent > MAX_FRACTION_DIGITS:
        raise ValueError(f"{text!r} has more than {MAX_FRACTION_DIGITS} fractional digits")
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(f"{text} has more than {MAX_INTEGER_DIGITS} digits before the point")
    return number


def _not_plain(text: str) -> str:
    """Why ``text`` is not plain decimal, and how to write what it probably means."""
    sign = text[:1] if text[:1] in "+-" else ""
    digits = text[len(sign) :]
    radix = _RADIX.get(digits[:2].lower())
    if radix is not None:
        return f"{text} is a {radix} number; write numbers in plain decimal"
    if "_" in text:
        return f"{text} contains '_'; write numbers in plain decimal without separators"
    if re.fullmatch(r"0[0-9]+(\.[0-9]*)?", digits):
        meant = digits.lstrip("0")
        meant = "0" + meant if meant.startswith(".") or not meant else meant
        return (
            f"{text} has a leading zero, which YAML 1.1 reads as octal; "
            f"write {sign}{meant} (or quote it if it is text)"
        )
    return f"{text} is not a number in plain decimal"
