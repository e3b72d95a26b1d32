"""Small text helpers shared by the report contexts (pure, deterministic)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from governance.verdict import PHASE_TEXT, release_verdict
from ledger.tlog.entry import parse_time

BAND_ACTION = {"green": "Approve", "yellow": "Canary / review", "red": "Hold"}


def when(text: str | None) -> str:
    """An entry time as people read it: ``2026-11-22 02:27:52 UTC`` (seconds, no fraction)."""
    if not text:
        return "-"
    return parse_time(text).strftime("%Y-%m-%d %H:%M:%S UTC")


def day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def signed(value: str) -> str:
    """A decimal string with an explicit sign, as deltas and contributions are shown."""
    number = Decimal(value)
    return value if number < 0 else ("+" + value if number > 0 else value)


def bound(gate: dict[str, str]) -> str:
    parts = []
    if "min" in gate:
        parts.append(f"≥ {gate['min']}")
    if "max" in gate:
        parts.append(f"≤ {gate['max']}")
    return " and ".join(parts) or "-"


def phase_text(phase: str, rolled_back_to: str | None = None) -> str:
    """The lifecycle phase in words, without the assessment: use :func:`verdict_text` for a decision."""
    text = PHASE_TEXT.get(phase, phase)
    if phase == "rolled_back" and rolled_back_to:
        text += f" to {rolled_back_to}"
    return text


def verdict_text(phase: str, payload: dict[str, Any], rolled_back_to: str | None = None) -> str:
    """What every report prints as a decision's status: the same text ``decision status`` shows
    (``blocked: ...`` for a failed gate or band red; ``auto-approved (no approval required)``)."""
    return release_verdict(phase, payload, rolled_back_to).text


def age_days(earlier: str, later: str) -> str:
    delta: timedelta = parse_time(later) - parse_time(earlier)
    return f"{delta.days}"


def short(hex_text: str, n: int = 12) -> str:
    return hex_text[:n]
