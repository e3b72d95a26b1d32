"""Break-glass, replay, policy diff and adoption, and verification of meaning (forgery)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli.demo import tamper
from ledger.clock import FixedClock
from ledger.errors import VerificationError
from policies.loader import default_policy_path, load_default_policy, load_policy_text
from services.ledger_service import LedgerService
from services.settings import sqlite_url
from services.verification import verify_export_meaning
from store.ledger_store import LedgerStore
from tests.governance.conftest import ADMIN, Team

RITA = "rita@example.com"

ALICE, BOB, CAROL, DAVE = "alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"


def test_break_glass_stays_open_until_the_retrospective_approval(team: Team) -> None:
    ref = team.submit("05-claims-assistant-2.0.yaml")
    team.service.lifecycle.approve(ref, BOB, team.key(BOB))
    team.service.lifecycle.promote(ref, DAVE, team.key(DAVE), break_glass=True, reason="regulator deadline")
    status = team.service.decisions.status(ref)
    assert status["phase"] == "promoted" and status["break_glass"]
    assert any("retrospective approval from compliance" in item for item in status["open_items"])
    team.clock.at = team.clock.at.replace(day=team.clock.at.day + 2)
    assert any("OVERDUE" in item for item in team.service.decisions.status(ref)["open_items"])
    team.service.lifecycle.approve(ref, CAROL, team.key(CAROL), comment="reviewed after the fact")
    assert team.service.decisions.status(ref)["open_items"] == []


def test_break_glass_needs_a_reason(team: Team) -> None:
    ref = team.submit("05-claims-assistant-2.0.yaml")
    with pytest.raises(Exception, match="needs a reason"):
        team.service.lifecycle.promote(ref, DAVE, team.key(DAVE), break_glass=True, reason="  ")


def test_replay_reproduces_every_recorded_outcome(team: Team) -> None:
    refs = [
        team.submit(f)
        for f in (
            "01-support-summarizer-1.1.yaml",
            "05-claims-assistant-2.0.yaml",
            "06-support-summarizer-1.5.yaml",
        )
    ]
    for ref in refs:
        result = team.service.decisions.replay(ref)
        assert result["identical"], result
        assert result["recorded_sha256"] == result["replayed_sha256"]


def _policy_with(old: str, new: str, version: str) -> str:
    text = (
        default_policy_path()
        .read_text()
        .replace(old, new, 1)
        .replace('version: "2"', f'version: "{version}"', 1)
    )
    return text


def test_policy_diff_lists_exactly_the_changed_decisions(team: Team) -> None:
    refs = {
        f: team.submit(f)
        for f in (
            "01-support-summarizer-1.1.yaml",
            "03-support-summarizer-1.3.yaml",
            "04-support-summarizer-1.4.yaml",
            "06-support-summarizer-1.5.yaml",
        )
    }
    old = load_default_policy()
    # A green margin of 10 turns 1.4 (109.25) yellow and touches nothing else.
    new = load_policy_text(_policy_with("green_margin: 5", "green_margin: 10", "3"))
    changed = team.service.policies.diff(old, new)
    assert [c["decision"] for c in changed] == [refs["04-support-summarizer-1.4.yaml"]]
    assert changed[0]["changes"] == {"band": {"old": "green", "new": "yellow"}}
    assert team.service.policies.diff(old, old) == []


def test_adopting_a_new_policy_never_changes_a_past_decision(team: Team) -> None:
    ref = team.submit("04-support-summarizer-1.4.yaml")
    before = team.service.decisions.get(ref).entry.payload
    stricter = load_policy_text(_policy_with("green_margin: 5", "green_margin: 10", "3"))
    team.service.policies.adopt(stricter, ADMIN, team.key(ADMIN))
    assert team.service.decisions.get(ref).entry.payload == before
    assert team.service.decisions.replay(ref)["identical"]
    assert team.service.decisions.replay(ref)["outcome"]["band"] == "green"
    later = team.submit(
        "04-support-summarizer-1.4.yaml", version="1.4.1", artifact_digest="sha256:" + "41" * 32
    )
    assert team.service.decisions.get(later).assessment["band"] == "yellow"
    assert team.service.decisions.status(later)["phase"] == "approved"
    team.service.verification.verify_meaning()


def test_reusing_a_policy_version_with_other_text_is_refused(team: Team) -> None:
    changed = load_policy_text(
        default_policy_path().read_text().replace("green_margin: 5", "green_margin: 6")
    )
    with pytest.raises(Exception, match="bump the version"):
        team.service.policies.adopt(changed, ADMIN, team.key(ADMIN))


def _full_story(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml")
    team.service.lifecycle.approve(ref, BOB, team.key(BOB))
    team.service.lifecycle.start_canary(ref, ALICE, team.key(ALICE))
    team.clock.advance(timedelta(hours=24))  # the medium tier's canary window
    team.service.lifecycle.record_canary(
        ref,
        True,
        {"error_rate": "0.01", "p99_latency_ms": "900", "live_index": "104"},
        ALICE,
        team.key(ALICE),
    )
    team.service.lifecycle.promote(ref, RITA, team.key(RITA))


def test_verification_of_meaning_passes_on_an_honest_ledger(team: Team, tmp_path: Path) -> None:
    _full_story(team)
    state = team.service.verification.verify_meaning()
    assert len(state.decisions) == 1
    export = tmp_path / "export.jsonl"
    with export.open("wb") as out:
        team.service.log.export(out)
    assert len(verify_export_meaning(export).decisions) == 1


def test_operator_forgery_is_caught_even_with_resigned_checkpoints(team: Team, tmp_path: Path) -> None:
    _full_story(team)
    team.store.close()
    forged = tmp_path / "forged.db"
    seq = tamper.forge_approval_and_reseal(team.db, forged, team.ledger_key)
    store = LedgerStore.open(sqlite_url(forged))
    service = LedgerService(store, FixedClock(datetime(2026, 11, 30, tzinfo=UTC)))
    try:
        assert service.verification.verify().size > seq  # the chain and the re-signed checkpoint are fine
        with pytest.raises(VerificationError) as caught:
            service.verification.verify_meaning()
        assert caught.value.index == seq
        assert "does not verify under bob@example.com's registered key" in str(caught.value)
    finally:
        store.close()


def test_a_tampered_copy_still_fails_structurally(team: Team, tmp_path: Path) -> None:
    _full_story(team)
    team.store.close()
    copy = tmp_path / "copy.db"
    shutil.copyfile(team.db, copy)
    tamper.flip_payload_byte(copy, 9)
    store = LedgerStore.open(sqlite_url(copy))
    try:
        with pytest.raises(VerificationError) as caught:
            LedgerService(store, FixedClock(datetime(2026, 11, 30, tzinfo=UTC))).verification.verify()
        assert caught.value.index == 9
    finally:
        store.close()
