"""Turning a parser's output into plain data, one value at a time, under the document limits.

Both halves of the reader walk what their parser produced with a subclass of
:class:`PlainWalker`: the JSON half walks the standard library's result, the YAML half
ruamel.yaml's composed nodes. The walk counts every value (:data:`MAX_NODES`, which is what
stops YAML aliases from expanding without bound) and carries the field path for messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.encoding.document import MAX_DEPTH, MAX_NODES, FieldPath, ReadError


class PlainWalker:
    """Plain data from one parsed document, applying the rules of :mod:`ledger.encoding.reader`
    with the field path (and, for YAML, the line) at hand. Subclasses convert one value."""

    def __init__(self) -> None:
        self.count = 0

    def plain(self, value: Any, path: FieldPath) -> Any:
        """``value`` (found at ``path``) as plain data. Raises :class:`ReadError`."""
        self.count += 1
        if self.count > MAX_NODES:
            raise ReadError(f"more than {MAX_NODES} values (aliases count each time they are used)")
        if len(path) > MAX_DEPTH:  # reached only through YAML aliases; JSON/YAML nesting is pre-checked
            line = self.line_of(value)
            raise ReadError(f"nested more than {MAX_DEPTH} levels deep (through aliases)", line=line)
        return self.convert(value, path)

    def line_of(self, value: Any) -> int | None:
        """The 1-based line ``value`` starts on, when the parser says."""
        return None

    def convert(self, value: Any, path: FieldPath) -> Any:
        """One value, its members walked through :meth:`plain`."""
        raise NotImplementedError

    @staticmethod
    def error(problem: str, path: FieldPath, line: int | None = None, column: int | None = None) -> ReadError:
        """The refusal of the value at ``path``, naming it as a dotted field."""
        return ReadError(problem, field=".".join(str(p) for p in path), line=line, column=column)


def check_key(key: Any, error: Callable[[str], ReadError]) -> None:
    """Refuse a mapping key that is not printable ASCII text, through ``error(problem)``."""
    if not isinstance(key, str):
        raise error(f"key {key!r} is not text")
    if not key.isascii() or not key.isprintable():
        raise error(
            f"key {key!r} is not a field name: keys are printable ASCII "
            "(letters, digits, punctuation and spaces)"
        )
