"""Time is passed in. Domain code never reads the wall clock; the CLI and the API do, here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and reproducible demos: returns ``start``, then steps forward."""

    def __init__(self, start: datetime, step_seconds: float = 0.0) -> None:
        self._next = start
        self._step = step_seconds

    def now(self) -> datetime:
        from datetime import timedelta

        current = self._next
        self._next = current + timedelta(seconds=self._step)
        return current
