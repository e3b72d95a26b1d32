"""Rules about time that the meaning pass re-checks (docs/formats.md §3.4 and §10.2).

Every rule here judges against the entry's own recorded time, never the verifier's clock, so
the same log gets the same verdict on any day. Rules added after format 1 apply only to
ledgers whose ``ledger.init`` declares a newer ``format``: old ledgers keep verifying under
the rules they were written with.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ledger.errors import RefusedError
from ledger.tlog.entry import format_time, parse_time

# How far a decision's own instants (rehearsed_at, evaluated_at) may lie after the entry's
# time: writers' clocks disagree by seconds, not by days. Documented in docs/formats.md §3.4.
CLOCK_SKEW = timedelta(minutes=5)

DECISION_INSTANTS = (("rollback", "rehearsed_at"), ("evidence", "evaluated_at"))


def future_instants(fields: dict[str, Any], moment: datetime) -> list[tuple[str, str]]:
    """``(field path, message)`` for each decision instant later than ``moment`` + CLOCK_SKEW.

    ``fields`` is a decision in entry form (times as RFC 3339 text, §5.3).
    """
    problems = []
    for section, name in DECISION_INSTANTS:
        text = (fields.get(section) or {}).get(name)
        if text is None:
            continue
        instant = parse_time(text)
        if instant > moment + CLOCK_SKEW:
            problems.append(
                (
                    f"{section}.{name}",
                    f"{text} is in the future (the ledger's time is {_text(moment)}; "
                    f"at most {int(CLOCK_SKEW.total_seconds() // 60)} minutes of clock skew is allowed)",
                )
            )
    return problems


def refuse_future_instants(fields: dict[str, Any], moment: datetime) -> None:
    """Raise RefusedError naming the first decision instant that lies in the future."""
    for path, message in future_instants(fields, moment):
        raise RefusedError(f"{path}: {message}", rule=path)


def canary_opens_at(started: datetime, requirements: dict[str, Any]) -> datetime | None:
    """When a canary started at ``started`` may report: after the tier's canary_window_hours."""
    hours = requirements.get("rollout", {}).get("canary_window_hours")
    if hours is None:
        return None
    return started + timedelta(hours=int(hours))


def refuse_early_canary_result(
    started: datetime, requirements: dict[str, Any], moment: datetime, rule: str
) -> None:
    """Raise RefusedError if a canary result at ``moment`` comes before the window has passed."""
    opens = canary_opens_at(started, requirements)
    if opens is not None and moment < opens:
        hours = requirements["rollout"]["canary_window_hours"]
        raise RefusedError(
            f"the canary window is {hours} hours from its start at {_text(started)}; "
            f"a result may be recorded from {_text(opens)}",
            rule=rule,
        )


def _text(moment: datetime) -> str:
    return format_time(moment.replace(microsecond=0))
