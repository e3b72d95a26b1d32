"""The one reader for every document the ledger takes in: YAML 1.2 or JSON text to plain data.

Every door reads through here: decision files and canary summaries on the command line, HTTP
request bodies, contract terms files, policy files and policy test cases. The same bytes
therefore mean the same thing, and are refused for the same reason, wherever they arrive.

What comes out is plain data: ``dict`` (text keys, in document order), ``list``, ``str``,
``bool``, ``None``, ``int`` and :class:`decimal.Decimal`. The rules, for both formats:

* Numbers are exact. A number with a fraction or an exponent becomes a ``Decimal`` made from
  its source text, never a binary float (``0.94999999999999999`` stays what it says and is
  then refused below, instead of silently becoming 0.95); a whole number becomes an ``int``.
  Every number must fit an entry's decimal string (:mod:`ledger.encoding.numbers`): at most
  18 digits before the point and 12 after. Longer numbers are refused before any conversion,
  so a 10,000-digit integer costs nothing and never reaches ``int()``.
* Numbers are written in plain decimal. Leading zeros (``010``: YAML 1.1 reads eight, YAML
  1.2 ten), hexadecimal, octal, binary and ``_`` separators are refused rather than guessed;
  so are infinities and NaN.
* Duplicate keys are refused, naming the key and the line (last-one-wins would let a file
  show one bound to a reader and apply another). Keys are ASCII text.
* Nesting is at most :data:`MAX_DEPTH` levels and a document at most :data:`MAX_NODES`
  values; both are checked before the parser could recurse or expand aliases.

YAML follows the YAML 1.2 core schema as resolved by ruamel.yaml (``yes``/``no``/``on``/``off``
are text, ``2:05`` is text, only ``true``/``false`` are booleans). Timestamps are left as their
text, exactly as a JSON string would arrive, so the caller's schema reads both doors alike.
A ``%YAML 1.1`` directive, tags outside the core schema and merge keys (``<<``) are refused.

JSON follows RFC 8259 through the standard library's parser, with hooks that keep each
number's text; ``NaN`` and ``Infinity`` are refused.

Errors are :class:`ReadError` (a value that breaks a rule; names the dotted field and, for
YAML, the line) or :class:`MalformedError` (text that does not parse; names line and column).
Both are :class:`ledger.errors.InputError`, so the CLI and the API translate them as bad input.

This module is the way in (:func:`read_text`, :func:`read_file`) and names everything a caller
needs. The work is done by its siblings: :mod:`ledger.encoding.document` (the result, the
errors and the limits), :mod:`ledger.encoding.number_text` (numbers), :mod:`ledger.encoding.walk`
(plain data under the limits), :mod:`ledger.encoding.json_reader` and
:mod:`ledger.encoding.yaml_reader` (each format's parser and its checks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from ledger.encoding.document import MAX_DEPTH, MAX_NODES, Document, FieldPath, MalformedError, ReadError
from ledger.encoding.json_reader import read_json
from ledger.encoding.number_text import MAX_INTEGER_DIGITS, MAX_NUMBER_CHARS, exact_number
from ledger.encoding.yaml_reader import read_yaml
from ledger.errors import InputError

__all__ = [
    "MAX_DEPTH",
    "MAX_INTEGER_DIGITS",
    "MAX_NODES",
    "MAX_NUMBER_CHARS",
    "Document",
    "FieldPath",
    "Format",
    "MalformedError",
    "ReadError",
    "exact_number",
    "read_file",
    "read_json",
    "read_text",
    "read_yaml",
]

Format = Literal["yaml", "json"]


def read_text(text: str | bytes, fmt: Format, *, what: str = "document") -> Document:
    """Read YAML or JSON text (``bytes`` must be UTF-8) into a :class:`Document`.

    ``what`` names the document in syntax errors ("decision file is not valid JSON: ...").
    Raises :class:`MalformedError` or :class:`ReadError`.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedError(f"{what} is not UTF-8 text (byte {exc.start} is not valid)") from None
    return read_json(text, what=what) if fmt == "json" else read_yaml(text, what=what)


def read_file(path: Path, *, what: str = "file") -> Document:
    """Read a ``.json`` file as JSON and any other file as YAML (JSON is also valid YAML 1.2,
    but the JSON reader's messages are the ones a JSON author expects).

    Raises :class:`InputError` when the file is missing or unreadable, else as :func:`read_text`.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    return read_text(raw, "json" if path.suffix.lower() == ".json" else "yaml", what=f"{what} {path}")
