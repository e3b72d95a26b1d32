"""The JSON half of the one reader: RFC 8259 text to plain data with exact numbers.

The standard library's parser does the parsing, with hooks that keep each number's source
text (:class:`_JsonNumber`) and refuse duplicate keys; ``NaN`` and ``Infinity`` arrive as
number text and are refused by :func:`ledger.encoding.number_text.exact_number`. Because that
parser recurses once per level, nesting is measured first by a linear scan of the brackets.
The rules are in :mod:`ledger.encoding.reader`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ledger.encoding.document import MAX_DEPTH, Document, FieldPath, MalformedError, ReadError
from ledger.encoding.number_text import exact_number
from ledger.encoding.walk import PlainWalker, check_key


def read_json(text: str, *, what: str = "document") -> Document:
    """Read JSON text (RFC 8259) with exact numbers. Raises :class:`MalformedError` or :class:`ReadError`."""
    _json_depth_check(text)
    try:
        raw = json.loads(
            text,
            parse_int=_JsonNumber,
            parse_float=_JsonNumber,
            parse_constant=_JsonNumber,
            object_pairs_hook=_json_object,
        )
    except json.JSONDecodeError as exc:
        raise MalformedError(
            f"{what} is not valid JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    except _DuplicateKey as dup:
        line, column = _json_duplicate_position(text)
        raise ReadError(f"duplicate key {dup.key!r}", line=line, column=column) from None
    except RecursionError:  # the depth pre-check makes this unreachable; kept as a net
        raise ReadError(f"nested more than {MAX_DEPTH} levels deep") from None
    return Document(_JsonWalker().plain(raw, ()))


class _JsonNumber(str):
    """A JSON number's source text, kept until the walk knows its field (for the message)."""


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The parser's object hook: members in document order, a repeated key refused."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _JsonWalker(PlainWalker):
    """Plain data from the parser's result: dicts (duplicates already refused), lists, str,
    bool, None and number texts."""

    def convert(self, value: Any, path: FieldPath) -> Any:
        if isinstance(value, dict):
            result: dict[str, Any] = {}
            for key, item in value.items():
                check_key(key, lambda problem: self.error(problem, path))
                result[key] = self.plain(item, (*path, key))
            return result
        if isinstance(value, list):
            return [self.plain(item, (*path, number)) for number, item in enumerate(value)]
        if isinstance(value, _JsonNumber):
            integer = not any(c in value for c in ".eE") and value.lstrip("-").isdigit()
            try:
                return exact_number(str(value), integer=integer)
            except ValueError as exc:
                raise self.error(str(exc), path) from None
        return value


# -- structure, scanned before parsing ---------------------------------------------------------

# The characters that matter to JSON's structure. Scanning only these keeps the pre-check
# linear and fast on any input, valid or not (a regex for whole strings can backtrack badly
# on text full of stray backslashes and quotes).
_JSON_SPECIAL = re.compile(r'[\[\]{}:"\\]')


def _json_tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """(token, start, end) for each bracket, colon and whole string outside strings."""
    string_start = -1  # inside a string when >= 0
    skip_to = 0  # an escaped character inside a string
    for match in _JSON_SPECIAL.finditer(text):
        at = match.start()
        if at < skip_to:
            continue
        char = match.group()
        if string_start >= 0:
            if char == "\\":
                skip_to = at + 2
            elif char == '"':
                yield '"', string_start, at + 1
                string_start = -1
        elif char == '"':
            string_start = at
        elif char != "\\":
            yield char, at, at + 1


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _json_depth_check(text: str) -> None:
    """Refuse nesting beyond MAX_DEPTH before the (recursive) parser starts."""
    depth = 0
    for token, start, _ in _json_tokens(text):
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                line, column = _line_column(text, start)
                raise ReadError(f"nested more than {MAX_DEPTH} levels deep", line=line, column=column)
        elif token in ("]", "}"):
            depth -= 1


def _json_duplicate_position(text: str) -> tuple[int | None, int | None]:
    """Where the first repeated key of an object is. Called only on text the parser accepted,
    where a colon always follows the key it belongs to."""
    open_objects: list[set[str]] = []  # keys seen so far, one set per open object or list
    previous: tuple[int, int] | None = None  # the last string, while it may still be a key
    for token, start, end in _json_tokens(text):
        if token == ":" and previous is not None and open_objects:
            name = json.loads(text[previous[0] : previous[1]])
            if name in open_objects[-1]:
                return _line_column(text, previous[0])
            open_objects[-1].add(name)
        elif token in ("[", "{"):
            open_objects.append(set())
        elif token in ("]", "}") and open_objects:
            open_objects.pop()
        previous = (start, end) if token == '"' else None
    return None, None
