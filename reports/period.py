"""Report periods: ``--from`` and ``--to`` as dates (whole UTC days, both inclusive) or RFC 3339 times.

A period is held as ``[start, end)``: a ``--to`` date means up to the end of that day, a ``--to``
time up to and including that instant. Every bound is checked before any arithmetic, so bad
input is one ``ReportInputError`` naming the option, never an ``OverflowError``:

- a date must be a real ``YYYY-MM-DD`` day, a time RFC 3339 UTC ending in ``Z``;
- both must lie between ``FIRST_DAY`` (0001-01-01, the calendar's first day) and ``LAST_DAY``
  (9998-12-31). The last year is left out so that the end of any period, one day or one
  microsecond after ``--to``, is still a date: ``--to 9999-12-31`` is refused, not a crash;
- ``--from`` must not be after ``--to``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ledger.errors import LedgerError
from ledger.tlog.entry import parse_time
from reports.errors import ReportInputError

FIRST_DAY = date(1, 1, 1)
LAST_DAY = date(9998, 12, 31)
_LATEST = datetime.combine(LAST_DAY, time.max, tzinfo=UTC)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive
    start_text: str
    end_text: str

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def contains_time(self, text: str) -> bool:
        return self.contains(parse_time(text))

    def label(self) -> str:
        return f"{self.start_text} to {self.end_text}"


def _range_error(option: str, text: str) -> ReportInputError:
    return ReportInputError(
        f"{option} {text!r} is out of range: report periods must lie between "
        f"{FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}"
    )


def _parse(text: str, option: str, *, end: bool) -> datetime:
    value = text.strip()
    if _DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ReportInputError(f"{option} {text!r} is not a real date") from None
        if day > LAST_DAY:
            raise _range_error(option, text)
        moment = datetime.combine(day, time.min, tzinfo=UTC)
        return moment + timedelta(days=1) if end else moment
    try:
        moment = parse_time(value)
    except LedgerError:
        raise ReportInputError(
            f"{option} {text!r} is neither a date (YYYY-MM-DD) nor an RFC 3339 UTC time (…Z)"
        ) from None
    if moment > _LATEST:
        raise _range_error(option, text)
    return moment + timedelta(microseconds=1) if end else moment


def parse_period(start: str, end: str, *, names: tuple[str, str] = ("--from", "--to")) -> Period:
    """The period from ``start`` to ``end`` (both included), as the CLI's ``--from``/``--to`` or the
    API's ``from``/``to`` query parameters give them (``names`` are the option names that error
    messages use).

    Raises ``ReportInputError`` (one line naming the option) for text that is not a date or an
    RFC 3339 UTC time, a day that does not exist, a bound outside ``FIRST_DAY``..``LAST_DAY``,
    or ``start`` after ``end``.
    """
    first, last = names
    period = Period(_parse(start, first, end=False), _parse(end, last, end=True), start.strip(), end.strip())
    if period.end <= period.start:
        raise ReportInputError(f"{first} {start.strip()} is after {last} {end.strip()}")
    return period
