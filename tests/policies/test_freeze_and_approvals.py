"""Freeze windows in their time zones, and how approvals are counted."""

from __future__ import annotations

from datetime import UTC, datetime

from policies.freeze import active_freezes, window_covers
from policies.model import FreezeWindow
from policies.promotion import ApprovalFact, approval_status

AT = datetime(2026, 11, 20, tzinfo=UTC)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_dated_window_is_local_time_start_inclusive_end_exclusive() -> None:
    window = FreezeWindow(
        name="year-end",
        timezone="Europe/Berlin",
        min_tier="medium",
        start="2026-12-21T00:00",
        end="2027-01-04T00:00",
    )
    assert not window_covers(window, _utc(2026, 12, 20, 22, 59))  # 23:59 in Berlin
    assert window_covers(window, _utc(2026, 12, 20, 23, 0))  # midnight in Berlin
    assert window_covers(window, _utc(2027, 1, 3, 22, 59))
    assert not window_covers(window, _utc(2027, 1, 3, 23, 0))


def test_recurring_window_follows_its_zone() -> None:
    weekend = FreezeWindow(
        name="weekend",
        timezone="America/New_York",
        min_tier="high",
        recurring={"days": ["sat", "sun"], "start": "00:00", "end": "24:00"},
    )  # type: ignore[arg-type]
    assert not window_covers(weekend, _utc(2026, 11, 21, 4, 59))  # Friday 23:59 in New York
    assert window_covers(weekend, _utc(2026, 11, 21, 5, 0))  # Saturday 00:00 in New York
    assert window_covers(weekend, _utc(2026, 11, 23, 4, 59))  # Sunday 23:59
    assert not window_covers(weekend, _utc(2026, 11, 23, 5, 0))
    evenings = FreezeWindow(
        name="evenings",
        timezone="UTC",
        min_tier="low",
        recurring={"days": ["mon"], "start": "18:00", "end": "22:00"},
    )  # type: ignore[arg-type]
    assert window_covers(evenings, _utc(2026, 11, 23, 18, 0))
    assert not window_covers(evenings, _utc(2026, 11, 23, 22, 0))


def test_windows_apply_at_and_above_their_tier() -> None:
    window = FreezeWindow(
        name="w", timezone="UTC", min_tier="medium", start="2026-11-01T00:00", end="2026-12-01T00:00"
    )
    assert active_freezes([window], "low", AT) == []
    assert active_freezes([window], "medium", AT) == [window]
    assert active_freezes([window], "high", AT) == [window]


REQUIRE = {
    "approvals": [{"role": "ml-lead", "count": 1}, {"role": "compliance", "count": 1}],
    "min_distinct_approvers": 2,
}


def _fact(who: str, role: str, verdict: str = "approve") -> ApprovalFact:
    return ApprovalFact(who, role, verdict, AT)  # type: ignore[arg-type]


def test_each_person_counts_once() -> None:
    status = approval_status(REQUIRE, [_fact("bob", "ml-lead"), _fact("bob", "compliance")])
    assert not status.satisfied
    assert status.missing == (("compliance", 1),)
    done = approval_status(REQUIRE, [_fact("bob", "ml-lead"), _fact("carol", "compliance")])
    assert done.satisfied and [a.approver for a in done.counted] == ["bob", "carol"]


def test_distinct_floor_and_rejections() -> None:
    floor = {"approvals": [{"role": "ml-lead", "count": 1}], "min_distinct_approvers": 2}
    status = approval_status(floor, [_fact("bob", "ml-lead")])
    assert not status.satisfied and status.missing == (("any approver role", 1),)
    rejected = approval_status(REQUIRE, [_fact("bob", "ml-lead"), _fact("carol", "compliance", "reject")])
    assert not rejected.satisfied and [r.approver for r in rejected.rejected_by] == ["carol"]
    other_role = approval_status(REQUIRE, [_fact("erin", "auditor")])
    assert other_role.missing == (("ml-lead", 1), ("compliance", 1))
