"""Controls hold at the moment of the action: a freeze adopted after approval stops a promotion.

The attack (issue 11): a decision approved, and its canary passed, under policy v2; then v3
is adopted with a freeze window over the moment for every tier. Under format 3 the freeze of
the policy in force blocks ``gate``, ``promote`` and, for an entry slipped past the writer,
``verify``; break-glass still overrides it; a format-2 ledger keeps the old rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from governance import controls
from ledger.errors import RefusedError, VerificationError
from policies.loader import default_policy_path, load_policy_text
from services.verification import verify_export_meaning
from tests.governance.conftest import ADMIN, Team

ALICE, BOB, DAVE, RITA = "alice@example.com", "bob@example.com", "dave@example.com", "rita@example.com"
FREEZE = "freeze_windows.incident-freeze: frozen by the policy in force, default@3"

YEAR_END = """  - name: year-end
    timezone: Europe/Berlin
    start: "2026-12-21T00:00"
    end: "2027-01-04T00:00"
    min_tier: medium
"""


def freeze_policy_text(around: datetime, *, keep_year_end: bool = False) -> str:
    """The shipped policy as v3, with a freeze for every tier from a day before ``around`` to
    two days after (UTC; placed by the test's clock, never the calendar's)."""
    start, end = around - timedelta(days=1), around + timedelta(days=2)
    window = (
        "  - name: incident-freeze\n    timezone: UTC\n"
        f'    start: "{start:%Y-%m-%dT%H:%M}"\n    end: "{end:%Y-%m-%dT%H:%M}"\n    min_tier: low\n'
    )
    text = default_policy_path().read_text()
    assert YEAR_END in text
    replaced = text.replace(YEAR_END, (YEAR_END if keep_year_end else "") + window, 1)
    return replaced.replace('version: "2"', 'version: "3"', 1)


def canary_passed(team: Team) -> str:
    """support-summarizer@1.1 (medium tier, canary) approved and its canary passed under v2."""
    ref = team.submit("01-support-summarizer-1.1.yaml")
    team.service.lifecycle.approve(ref, BOB, team.key(BOB))
    team.service.lifecycle.start_canary(ref, ALICE, team.key(ALICE))
    team.clock.advance(timedelta(hours=24))  # the medium tier's canary window
    summary = {"error_rate": "0.01", "p99_latency_ms": "900", "live_index": "104"}
    team.service.lifecycle.record_canary(ref, True, summary, ALICE, team.key(ALICE))
    return ref


def adopt_freeze(team: Team) -> None:
    policy = load_policy_text(freeze_policy_text(team.clock.at))
    team.service.policies.adopt(policy, ADMIN, team.key(ADMIN))


def test_a_freeze_adopted_after_the_canary_holds_the_promotion(team: Team) -> None:
    ref = canary_passed(team)
    assert team.service.decisions.status(ref)["may_promote_now"] is True
    adopt_freeze(team)
    status = team.service.decisions.status(ref)
    assert status["may_promote_now"] is False
    assert status["blockers"] == [FREEZE]
    frozen = [c for c in status["checks"] if c["rule"] == "freeze_windows.incident-freeze"]
    assert frozen[0]["values"]["policy"] == "default@3"
    before = team.snapshot()
    with pytest.raises(RefusedError) as caught:
        team.service.lifecycle.promote(ref, RITA, team.key(RITA))
    assert caught.value.rule == "promotion" and FREEZE in str(caught.value)
    assert team.snapshot() == before, "a refused promotion changed the ledger"


def test_the_freeze_of_the_policy_in_force_ends_with_its_window(team: Team) -> None:
    ref = canary_passed(team)
    adopt_freeze(team)
    team.clock.advance(timedelta(days=3))  # past the window's end
    assert team.service.decisions.status(ref)["may_promote_now"] is True
    team.service.lifecycle.promote(ref, RITA, team.key(RITA))
    team.service.verification.verify_meaning()


def test_break_glass_overrides_the_freeze_of_the_policy_in_force(team: Team) -> None:
    ref = canary_passed(team)
    adopt_freeze(team)
    team.service.lifecycle.promote(ref, DAVE, team.key(DAVE), break_glass=True, reason="incident 42")
    status = team.service.decisions.status(ref)
    assert status["phase"] == "promoted" and status["break_glass"]
    team.service.verification.verify_meaning()


def test_a_decision_under_the_policy_in_force_is_checked_once(team: Team) -> None:
    adopt_freeze(team)
    ref = team.submit("04-support-summarizer-1.4.yaml")  # evaluated under v3 itself
    status = team.service.decisions.status(ref)
    assert status["blockers"] == ["freeze_windows.incident-freeze: frozen"]


def test_verify_names_a_promotion_slipped_past_the_freeze(
    team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = canary_passed(team)
    adopt_freeze(team)
    # A writer without this rule (older code, or a forged append) lets the promotion through.
    monkeypatch.setattr(controls, "policy_in_force", lambda state, d: None)
    promoted = team.service.lifecycle.promote(ref, RITA, team.key(RITA))
    monkeypatch.undo()
    with pytest.raises(VerificationError) as caught:
        team.service.verification.verify_meaning()
    assert caught.value.index == promoted.seq
    assert FREEZE in str(caught.value)
    export = tmp_path / "export.jsonl"
    with export.open("wb") as out:
        team.service.log.export(out)
    with pytest.raises(VerificationError, match=r"freeze_windows\.incident-freeze"):
        verify_export_meaning(export)


@pytest.fixture
def format_2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The ledger the ``team`` fixture creates declares format 2 (issue 9's rules only)."""
    monkeypatch.setattr("services.setup.LEDGER_FORMAT", 2)
    yield


def test_a_format_2_ledger_judges_freezes_by_the_recorded_policy_only(format_2: None, team: Team) -> None:
    assert team.service.state().format == 2
    ref = canary_passed(team)
    adopt_freeze(team)
    assert team.service.decisions.status(ref)["may_promote_now"] is True
    team.service.lifecycle.promote(ref, RITA, team.key(RITA))
    assert team.service.verification.verify_meaning().format == 2
