"""Reading an entry's time from where its bytes end (ledger.tlog.entry.time_of), as the append
transaction does for the newest entry, agrees with parsing the whole entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledger.errors import FormatError
from ledger.tlog.entry import GENESIS_PREV, Entry, time_of

MOMENT = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"note": ',"time":"1999-01-01T00:00:00Z"}'},  # the member's text inside a string is escaped
        {"time": "2000-01-01T00:00:00Z", "nested": {"time": "2001-01-01T00:00:00Z"}},
        {"text": "ünïcode ✓", "list": [1, "two", None, True]},
    ],
)
def test_the_time_read_from_the_end_is_the_parsed_one(payload: dict[str, object]) -> None:
    entry = Entry.create(7, GENESIS_PREV, MOMENT, "test.item", payload)
    assert time_of(entry.data) == Entry.parse(entry.data).time == "2026-03-04T05:06:07.890123Z"


def test_bytes_that_do_not_end_as_an_entry_are_parsed_and_refused() -> None:
    with pytest.raises(FormatError):
        time_of(b'{"time":"2026-01-01T00:00:00Z","x":1}')
    with pytest.raises(FormatError):
        time_of(b"not json")
