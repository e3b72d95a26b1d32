"""Freeze windows: when promotions at or above a tier are blocked."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from ledger.scoring.rules import TIERS, Tier
from policies.model import FreezeWindow

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock(text: str) -> time | None:
    """``HH:MM``; ``24:00`` means the end of the day and is returned as None."""
    if text == "24:00":
        return None
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def window_covers(window: FreezeWindow, moment: datetime) -> bool:
    local = moment.astimezone(ZoneInfo(window.timezone))
    if window.recurring is None:
        start = datetime.fromisoformat(str(window.start))
        end = datetime.fromisoformat(str(window.end))
        naive = local.replace(tzinfo=None)
        return start <= naive < end
    if _WEEKDAYS[local.weekday()] not in window.recurring.days:
        return False
    start_t = _clock(window.recurring.start)
    end_t = _clock(window.recurring.end)
    now_t = local.time().replace(tzinfo=None)
    after_start = start_t is None or now_t >= start_t
    before_end = end_t is None or now_t < end_t
    return after_start and before_end


def applies_to(window: FreezeWindow, tier: Tier) -> bool:
    return TIERS.index(tier) >= TIERS.index(window.min_tier)


def active_freezes(windows: list[FreezeWindow], tier: Tier, moment: datetime) -> list[FreezeWindow]:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("freeze checks need an aware moment")
    return [w for w in windows if applies_to(w, tier) and window_covers(w, moment)]


__all__ = ["active_freezes", "applies_to", "window_covers"]
