"""Report periods: ``--from`` and ``--to`` as dates (whole UTC days, both inclusive) or RFC 3339 times."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ledger.errors import LedgerError
from ledger.tlog.entry import parse_time
from reports.errors import ReportInputError

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


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


def _parse(text: str, option: str, *, end: bool) -> datetime:
    value = text.strip()
    if _DATE.match(value):
        try:
            moment = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise ReportInputError(f"{option} {text!r} is not a real date") from None
        return moment + timedelta(days=1) if end else moment
    try:
        moment = parse_time(value)
    except LedgerError:
        raise ReportInputError(
            f"{option} {text!r} is neither a date (YYYY-MM-DD) nor an RFC 3339 UTC time (…Z)"
        ) from None
    return moment + timedelta(microseconds=1) if end else moment


def parse_period(start: str, end: str) -> Period:
    period = Period(
        _parse(start, "--from", end=False), _parse(end, "--to", end=True), start.strip(), end.strip()
    )
    if period.end <= period.start:
        raise ReportInputError(f"--from {start} is after --to {end}")
    return period
