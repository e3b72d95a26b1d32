"""Time is passed in. Domain code never reads the wall clock; the CLI and the API do, here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ledger.errors import InputError


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and reproducible demos: returns ``start``, then steps forward.

    ``advance`` jumps ahead (a canary window, a day of review) without sleeping.
    """

    def __init__(self, start: datetime, step_seconds: float = 0.0) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock's start must carry a time zone")
        self._next = start
        self._step = timedelta(seconds=step_seconds)

    def now(self) -> datetime:
        current = self._next
        self._next = current + self._step
        return current

    def advance(self, by: timedelta) -> None:
        if by < timedelta(0):
            raise ValueError("a clock never goes backwards")
        self._next += by


CLOCK_VARIABLE = "RLEDGER_CLOCK"
CLOCK_YEARS = (1970, 9000)


def clock_from_environment(environ: Mapping[str, str]) -> Clock:
    """The clock the edges use: the system clock, or a fixed instant from ``RLEDGER_CLOCK``.

    ``RLEDGER_CLOCK=2026-11-21T09:00:00Z`` runs a command as of that instant, for rehearsals,
    demos and tests that must not depend on the calendar. It grants nothing the operator does
    not already have (the machine's clock is theirs too), and the ledger still never lets time
    go backwards: an instant before the newest entry's is raised to it (docs/operations.md).

    Raises InputError when the value is not an RFC 3339 instant with a time zone.
    """
    text = environ.get(CLOCK_VARIABLE, "").strip()
    if not text:
        return SystemClock()
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise InputError(
            f"{CLOCK_VARIABLE}={text!r} is not an RFC 3339 instant with a time zone, "
            "such as 2026-11-21T09:00:00Z"
        )
    # Bounded so that token expiries, canary windows and freeze windows computed from it stay
    # inside the calendar; a clock outside these years is a mistake, not a rehearsal.
    if not CLOCK_YEARS[0] <= instant.year <= CLOCK_YEARS[1]:
        raise InputError(
            f"{CLOCK_VARIABLE}={text!r} must lie in the years {CLOCK_YEARS[0]} to {CLOCK_YEARS[1]}"
        )
    return FixedClock(instant.astimezone(UTC))
