"""Exact decimal numbers for everything that is hashed.

Scores, weights, thresholds and the index are carried as :class:`decimal.Decimal` in
memory and written into entries as *decimal strings*: plain notation, no exponent, no
trailing zeros after the point, no leading ``+``, and ``0`` rather than ``-0``.
``Decimal("103.950")`` is written ``"103.95"``; ``Decimal("80")`` is written ``"80"``.

Floats never reach hashed bytes: a binary float cannot say 103.95 exactly, and two
encoders may print the same float differently.
"""

from __future__ import annotations

import re
from decimal import Decimal, Inexact, InvalidOperation, localcontext

# Up to 18 digits before and 12 after the point: far more than any score needs, and small
# enough that arithmetic under a 40-digit context is always exact.
_DECIMAL_TEXT = re.compile(r"^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,12})?$")
MAX_FRACTION_DIGITS = 12


class NotExactError(ValueError):
    """A value that cannot be represented exactly as a decimal string."""


def to_decimal(value: object) -> Decimal:
    """Read a number from user input without losing exactness.

    Accepts ints, Decimals, decimal strings, and floats *only* through their shortest
    repr (so the YAML literal ``0.97`` stays 0.97). Booleans are refused: YAML's ``yes``
    is not a score.
    """
    if isinstance(value, bool):
        raise NotExactError("expected a number, got a boolean")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise NotExactError(f"expected a number, got {type(value).__name__}")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise NotExactError(f"{text!r} is not a number") from None
    if not number.is_finite():
        raise NotExactError(f"{text!r} is not a finite number")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_FRACTION_DIGITS:
        raise NotExactError(f"{text!r} has more than {MAX_FRACTION_DIGITS} fractional digits")
    return number


def decimal_text(number: Decimal) -> str:
    """The one written form of an exact number (see module docstring)."""
    if not number.is_finite():
        raise NotExactError("cannot write a non-finite number")
    if number and number.adjusted() > 17:  # more than 18 integer digits; adjusted() needs no context
        raise NotExactError(f"{number} is outside the decimal range entries may hold")
    with localcontext() as ctx:
        ctx.prec = 40
        ctx.traps[Inexact] = True
        try:
            text = format(number.normalize(), "f")
        except Inexact:
            raise NotExactError(f"{number} has more digits than entries may hold") from None
    if text == "-0":
        text = "0"
    if not _DECIMAL_TEXT.match(text):
        raise NotExactError(f"{text!r} is outside the decimal range entries may hold")
    return text


def parse_decimal_text(text: str) -> Decimal:
    """Read a decimal string written by :func:`decimal_text`, refusing any other form."""
    if not isinstance(text, str) or not _DECIMAL_TEXT.match(text):
        raise NotExactError(f"{text!r} is not a decimal string")
    number = Decimal(text)
    if decimal_text(number) != text:
        raise NotExactError(f"{text!r} is not in normal form (write {decimal_text(number)!r})")
    return number
