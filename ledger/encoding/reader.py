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
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ledger.encoding.numbers import MAX_FRACTION_DIGITS
from ledger.errors import InputError

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists. A decision file needs 4, a policy 6."""

MAX_NODES = 100_000
"""Most values in one document, counting every use of a YAML alias (no "billion laughs")."""

MAX_INTEGER_DIGITS = 18
"""Digits before the point, as an entry's decimal string allows (ledger.encoding.numbers)."""

MAX_NUMBER_CHARS = 64
"""Longest number text looked at; anything longer breaks the digit limits anyway."""

FieldPath = tuple[str | int, ...]
Format = Literal["yaml", "json"]


class ReadError(InputError):
    """A document that parses but breaks a reading rule (a duplicate key, a number out of range).

    ``field`` is the dotted path of the offending value (``gates.0.max``), ``line`` and
    ``column`` are 1-based when known.
    """

    def __init__(
        self, problem: str, *, field: str = "", line: int | None = None, column: int | None = None
    ) -> None:
        self.problem = problem
        self.field = field
        self.line = line
        self.column = column
        text = f"{field}: {problem}" if field else problem
        super().__init__(text + _where(line, column))


class MalformedError(ReadError):
    """Text that is not valid YAML or JSON (or not UTF-8). Names the line and column."""


def _where(line: int | None, column: int | None) -> str:
    if line is None:
        return ""
    return f" (line {line})" if column is None else f" (line {line}, column {column})"


@dataclass(frozen=True)
class Document:
    """Plain data read from one document, and the 1-based line of each value (YAML only)."""

    data: Any
    lines: Mapping[FieldPath, int] = field(default_factory=dict)

    def line_of(self, path: FieldPath) -> int | None:
        """The line of the deepest value on ``path`` that the document holds, if known."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


# -- entry points ------------------------------------------------------------------------------


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
    return Document(_Walker(None).plain(raw, ()))


def read_yaml(text: str, *, what: str = "document") -> Document:
    """Read YAML 1.2 text with exact numbers and per-value lines.

    Raises :class:`MalformedError` or :class:`ReadError`.
    """
    yaml = YAML(typ="safe", pure=True)
    try:
        _yaml_structure_check(yaml, text)
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "unreadable").split())
        raise MalformedError(
            f"{what} is not valid YAML: {problem}",
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
        ) from None
    except YAMLError as exc:
        raise MalformedError(f"{what} is not valid YAML: {' '.join(str(exc).split())}") from None
    lines: dict[FieldPath, int] = {}
    data = None if node is None else _Walker(lines).plain(node, ())
    return Document(data, lines)


# -- numbers -----------------------------------------------------------------------------------

# Plain decimal: no leading zeros, no separators, no radix prefixes. A YAML-only leading "+",
# ".5" and "5." are unambiguous and allowed.
_INTEGER = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"[-+]?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")


def exact_number(text: str, *, integer: bool) -> int | Decimal:
    """The exact value of one number's source text, or :class:`ValueError` saying what is wrong.

    ``integer`` says the parser saw a whole number (no point, no exponent): it becomes an
    ``int``; anything else a ``Decimal``. Limits: see the module docstring.
    """
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(
            f"a number of {len(text)} characters is too long: numbers have at most "
            f"{MAX_INTEGER_DIGITS} digits before the point and {MAX_FRACTION_DIGITS} after"
        )
    shown = text
    if text.lower().lstrip("+-.") in ("inf", "nan", "infinity"):
        raise ValueError(f"{shown} is not a finite number")
    body = text.lstrip("+-")
    if integer:
        if not _INTEGER.fullmatch(text):
            raise ValueError(_not_plain(shown))
        if len(body) > MAX_INTEGER_DIGITS:
            raise ValueError(f"{shown} has more than {MAX_INTEGER_DIGITS} digits")
        return int(text)
    if not _DECIMAL.fullmatch(text):
        raise ValueError(_not_plain(shown))
    number = Decimal(text)
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: checked above
    if -exponent > MAX_FRACTION_DIGITS:
        raise ValueError(f"{shown!r} has more than {MAX_FRACTION_DIGITS} fractional digits")
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(f"{shown} has more than {MAX_INTEGER_DIGITS} digits before the point")
    return number


def _not_plain(text: str) -> str:
    sign = text[:1] if text[:1] in "+-" else ""
    digits = text[len(sign) :]
    prefix = digits[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        kind = {"0x": "hexadecimal", "0o": "octal", "0b": "binary"}[prefix]
        return f"{text} is a {kind} number; write numbers in plain decimal"
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


class _JsonNumber(str):
    """A JSON number's source text, kept until the walk knows its field (for the message)."""


# -- JSON structure ----------------------------------------------------------------------------

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


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


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


# -- YAML structure ----------------------------------------------------------------------------


def _yaml_structure_check(yaml: YAML, text: str) -> None:
    """Refuse YAML 1.1 documents and deep nesting from the event stream, before composing
    (ruamel's composer recurses once per level)."""
    depth = 0
    for event in yaml.parse(text):
        if isinstance(event, DocumentStartEvent) and event.version not in (None, (1, 2)):
            version = ".".join(str(part) for part in event.version)
            raise ReadError(
                f"%YAML {version} documents are not read: this reader follows YAML 1.2",
                line=event.start_mark.line + 1,
            )
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ReadError(
                    f"nested more than {MAX_DEPTH} levels deep",
                    line=event.start_mark.line + 1,
                    column=event.start_mark.column + 1,
                )
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


_CORE = "tag:yaml.org,2002:"


class _Walker:
    """Turns composed YAML nodes, or the raw result of the JSON parser, into plain data,
    applying the rules of the module docstring with the field path (and YAML line) at hand."""

    def __init__(self, lines: dict[FieldPath, int] | None) -> None:
        self.lines = lines
        self.count = 0

    def plain(self, value: Any, path: FieldPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise ReadError(f"more than {MAX_NODES} values (aliases count each time they are used)")
        if len(path) > MAX_DEPTH:  # reached only through YAML aliases; JSON/YAML nesting is pre-checked
            line = value.start_mark.line + 1 if isinstance(value, Node) else None
            raise ReadError(f"nested more than {MAX_DEPTH} levels deep (through aliases)", line=line)
        if isinstance(value, Node):
            if self.lines is not None:
                self.lines.setdefault(path, value.start_mark.line + 1)
            return self._node(value, path)
        return self._json(value, path)

    def _error(self, problem: str, path: FieldPath, node: Any = None) -> ReadError:
        line = column = None
        if isinstance(node, Node):
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        return ReadError(problem, field=".".join(str(p) for p in path), line=line, column=column)

    # JSON: dicts (duplicates already refused), lists, str, bool, None and number texts.
    def _json(self, value: Any, path: FieldPath) -> Any:
        if isinstance(value, dict):
            result: dict[str, Any] = {}
            for key, item in value.items():
                _check_key(key, path, lambda problem: self._error(problem, path))
                result[key] = self.plain(item, (*path, key))
            return result
        if isinstance(value, list):
            return [self.plain(item, (*path, number)) for number, item in enumerate(value)]
        if isinstance(value, _JsonNumber):
            integer = not any(c in value for c in ".eE") and value.lstrip("-").isdigit()
            try:
                return exact_number(str(value), integer=integer)
            except ValueError as exc:
                raise self._error(str(exc), path) from None
        return value

    def _node(self, node: Node, path: FieldPath) -> Any:
        tag = str(node.tag)
        if isinstance(node, MappingNode):
            if tag != _CORE + "map":
                raise self._error(f"tag {tag} is not read; use a plain mapping", path, node)
            result: dict[str, Any] = {}
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                if str(key_node.tag) == _CORE + "merge":
                    raise self._error("merge keys (<<) are not read; write the keys out", path, key_node)
                if not isinstance(key_node, ScalarNode) or str(key_node.tag) != _CORE + "str":
                    shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                    raise self._error(f"key {shown!r} is not text; quote it", path, key_node)
                key = str(key_node.value)
                _check_key(key, path, lambda problem, k=key_node: self._error(problem, path, k))
                line = key_node.start_mark.line + 1
                if key in result:
                    raise self._error(
                        f"duplicate key {key!r}, first on line {first_line[key]}", path, key_node
                    )
                first_line[key] = line
                result[key] = self.plain(value_node, (*path, key))
            return result
        if isinstance(node, SequenceNode):
            if tag != _CORE + "seq":
                raise self._error(f"tag {tag} is not read; use a plain list", path, node)
            return [self.plain(item, (*path, number)) for number, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        text = str(node.value)
        if tag == _CORE + "str":
            return text
        if tag in (_CORE + "int", _CORE + "float"):
            try:
                return exact_number(text.strip(), integer=tag == _CORE + "int")
            except ValueError as exc:
                raise self._error(str(exc), path, node) from None
        if tag == _CORE + "bool":
            return text.lower() == "true"
        if tag == _CORE + "null":
            return None
        if tag == _CORE + "timestamp":
            # Not in the YAML 1.2 core schema: kept as text, as it arrives in JSON.
            return text
        raise self._error(f"tag {tag} is not read; write plain text, numbers, lists and mappings", path, node)


def _check_key(key: Any, path: FieldPath, error: Any) -> None:
    if not isinstance(key, str):
        raise error(f"key {key!r} is not text")
    if not key.isascii() or not key.isprintable():
        raise error(
            f"key {key!r} is not a field name: keys are printable ASCII "
            "(letters, digits, punctuation and spaces)"
        )
