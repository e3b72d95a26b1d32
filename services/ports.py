"""What the application services need from storage, and the values that cross that line.

The services are written against :class:`LogStore`; the SQL driver in ``store/`` implements it
(structurally: it never needs to import this Protocol), and the edges (CLI, HTTP API) hand
the driver to the services. So the arrows point one way: ``store`` -> ``services`` -> domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import Entry


@dataclass(frozen=True)
class PendingEntry:
    kind: str
    payload: dict[str, Any]
    decision: tuple[str, str] | None = None  # (model, version) for the lookup index
    time: datetime | None = None  # only when rebuilding a log whose entries already have times


AppendCheck = Callable[[list[Entry], Callable[[int], list[bytes]]], None]
"""Called inside the append transaction with the new entries and a reader of stored entries
from a given seq on; raising refuses the append and nothing is written."""


@dataclass(frozen=True)
class AppendResult:
    entries: tuple[Entry, ...]
    checkpoint: Checkpoint
    note: str


@dataclass(frozen=True)
class DecisionRef:
    seq: int
    model: str
    version: str
    leaf_hex: str
