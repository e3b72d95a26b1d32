"""What the one reader gives back (a :class:`Document`) or raises, and the limits of a document.

The rules these serve are in :mod:`ledger.encoding.reader`; this module holds the shapes the
JSON and YAML halves (:mod:`ledger.encoding.json_reader`, :mod:`ledger.encoding.yaml_reader`)
share, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.errors import InputError

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists. A decision file needs 4, a policy 6."""

MAX_NODES = 100_000
"""Most values in one document, counting every use of a YAML alias (no "billion laughs")."""

FieldPath = tuple[str | int, ...]
"""Where a value sits: mapping keys and list positions from the top (``("gates", 0, "max")``)."""


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
