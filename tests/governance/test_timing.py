"""Time rules: future instants, the canary window, one time source, and old ledgers (issue 9)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from governance.formats import LEDGER_FORMAT
from governance.record import record_for
from governance.timing import CLOCK_SKEW
from ledger.clock import FixedClock, SystemClock, clock_from_environment
from ledger.errors import DecisionInputError, InputError, RefusedError
from ledger.scoring.input import parse_request
from ledger.tlog.entry import parse_time
from services.ledger_service import LedgerService
from services.ports import PendingEntry
from services.settings import sqlite_url
from store.ledger_store import LedgerStore
from tests.governance.conftest import Team

ALICE, BOB, RITA = "alice@example.com", "bob@example.com", "rita@example.com"
CANARY = {"error_rate": "0.011", "p99_latency_ms": "1800", "live_index": "103.5"}
VECTORS_V1 = Path(__file__).resolve().parent.parent / "vectors" / "v1"


def _now(team: Team) -> datetime:
    return team.clock.at


def test_new_ledgers_declare_the_current_format(team: Team) -> None:
    assert '"format":4' in _genesis(team.store).decode()
    assert team.service.state().format == LEDGER_FORMAT == 4


def _genesis(store: LedgerStore) -> bytes:
    return next(iter(store.bodies_from(0)))


@pytest.mark.parametrize("section, name", [("rollback", "rehearsed_at"), ("evidence", "evaluated_at")])
def test_a_future_instant_is_refused_naming_the_field(team: Team, section: str, name: str) -> None:
    future = (_now(team) + timedelta(days=91)).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = team.snapshot()
    text = (Path(__file__).parents[2] / "cli" / "demo" / "01-support-summarizer-1.1.yaml").read_text()
    from ledger.scoring.input import parse_decision_text

    data = parse_decision_text(text)
    data[section] = {**data[section], name: future}
    with pytest.raises(DecisionInputError) as caught:
        team.service.decisions.submit(data, ALICE, team.key(ALICE))
    assert caught.value.field == f"{section}.{name}"
    assert "is in the future" in str(caught.value) and future in str(caught.value)
    assert team.snapshot() == before  # a refused append leaves the ledger as it was


def test_an_instant_within_the_documented_skew_is_accepted(team: Team) -> None:
    near = (_now(team) + CLOCK_SKEW - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ref = team.submit("01-support-summarizer-1.1.yaml", evidence={"eval_suite": "v7", "evaluated_at": near})
    assert team.service.decisions.status(ref)["phase"] == "pending_approval"


def test_the_meaning_pass_refuses_a_future_instant_the_service_did_not_check(team: Team) -> None:
    """An operator appending around the service's pre-check is still caught by the ledger's rules."""
    from ledger.scoring.input import parse_decision_text

    text = (Path(__file__).parents[2] / "cli" / "demo" / "01-support-summarizer-1.1.yaml").read_text()
    data = parse_decision_text(text)
    data["rollback"] = {**data["rollback"], "rehearsed_at": "2099-03-01T00:00:00Z"}
    request = parse_request(data)
    record = record_for(team.service.state().active_policy, request)
    payload = team.sign("release.decision", record, team.key(ALICE))
    with pytest.raises(RefusedError, match=r"rollback\.rehearsed_at: 2099-03-01T00:00:00Z is in the future"):
        team.service.governed.append(
            [PendingEntry("release.decision", payload, (request.model, request.version))]
        )


def test_a_canary_result_inside_the_window_is_refused_with_when_it_may_be_recorded(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml")
    team.service.lifecycle.approve(ref, BOB, team.key(BOB))
    team.service.lifecycle.start_canary(ref, ALICE, team.key(ALICE))
    started = _now(team)  # the stepping clock's last reading: the canary_started entry's time
    before = team.snapshot()
    team.clock.advance(timedelta(seconds=7))
    with pytest.raises(RefusedError) as caught:
        team.service.lifecycle.record_canary(ref, True, CANARY, ALICE, team.key(ALICE))
    assert caught.value.rule == "tiers.medium.rollout.canary_window_hours"
    opens = (started + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"a result may be recorded from {opens}" in str(caught.value)
    assert team.snapshot() == before
    team.clock.advance(timedelta(hours=24))
    team.service.lifecycle.record_canary(ref, True, CANARY, ALICE, team.key(ALICE))
    assert team.service.decisions.status(ref)["phase"] == "canary_passed"


def test_one_fast_clock_does_not_lock_out_the_others(team: Team) -> None:
    """A writer whose clock ran ahead appends; correct clocks then append at that time, not fail."""
    ahead = datetime(2027, 6, 1, tzinfo=UTC)
    fast = LedgerService(team.store, FixedClock(ahead), team.ledger_key)
    fast.lifecycle.approve(team.submit("01-support-summarizer-1.1.yaml"), BOB, team.key(BOB))
    ref = team.submit("02-support-summarizer-1.2.yaml")  # the team's clock is in November 2026
    recorded = team.service.state().decision(team.service.resolve(ref).leaf_hex).time
    assert recorded == ahead  # raised to the newest entry's time, never before it
    assert team.service.verification.verify().size == team.store.size()
    team.service.verification.verify_meaning()


class _FastSystemClock(SystemClock):
    """The system clock of a machine whose time is a year ahead."""

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=365)


def test_postgresql_takes_the_database_servers_clock(postgres_url: str, team: Team) -> None:
    store = LedgerStore.open(postgres_url)
    try:
        service = LedgerService(store, _FastSystemClock(), team.ledger_key)
        service.setup.initialize(team.ledger_key.name, "admin@example.com", team.key("admin@example.com"))
        recorded = parse_time(_genesis_time(store))
        with store.engine.connect() as conn:  # the server's clock, not this process's (CI fakes it)
            server_now = conn.execute(select(func.now())).scalar_one()
        assert abs(recorded - server_now) < timedelta(minutes=5)
    finally:
        store.close()


def _genesis_time(store: LedgerStore) -> str:
    from ledger.tlog.entry import Entry

    return Entry.parse(_genesis(store)).time


def test_sqlite_takes_the_given_clock(tmp_path: Path, team: Team) -> None:
    store = LedgerStore.open(sqlite_url(tmp_path / "other.db"))
    try:
        service = LedgerService(store, _FastSystemClock(), team.ledger_key)
        service.setup.initialize(team.ledger_key.name, "admin@example.com", team.key("admin@example.com"))
        recorded = parse_time(_genesis_time(store))
        assert recorded - datetime.now(UTC) > timedelta(days=364)
    finally:
        store.close()


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-11-21T09:00:00Z", datetime(2026, 11, 21, 9, tzinfo=UTC)),
        ("2026-11-21T10:00:00+01:00", datetime(2026, 11, 21, 9, tzinfo=UTC)),
    ],
)
def test_rledger_clock_sets_a_fixed_instant(value: str, expected: datetime) -> None:
    assert clock_from_environment({"RLEDGER_CLOCK": value}).now() == expected


@pytest.mark.parametrize("value", ["tomorrow", "2026-11-21T09:00:00", "2026-13-01T00:00:00Z"])
def test_rledger_clock_refuses_what_is_not_an_instant(value: str) -> None:
    with pytest.raises(InputError, match="RLEDGER_CLOCK"):
        clock_from_environment({"RLEDGER_CLOCK": value})


def test_without_rledger_clock_the_system_clock_is_used() -> None:
    assert isinstance(clock_from_environment({}), SystemClock)


def test_a_format_1_ledger_keeps_verifying(tmp_path: Path) -> None:
    """The frozen format-1 vectors hold a canary result one minute after its start: legal then."""
    from services.verification import verify_export_file, verify_export_meaning

    export = tmp_path / "export.jsonl"
    shutil.copyfile(VECTORS_V1 / "export.jsonl", export)
    checkpoint = sorted((VECTORS_V1 / "checkpoints").iterdir())[-1].read_text()
    key = (VECTORS_V1 / "verifier.key").read_text().strip()
    result = verify_export_file(export, checkpoint, key)
    assert result.size == 22
    state = verify_export_meaning(export)
    assert state.format == 1


def test_the_independent_verifier_applies_the_format_2_time_rules() -> None:
    """The v1 vectors hold a decision evaluated 20 hours after it was recorded (entry 11) and a
    canary result one minute after its start: legal in format 1, and caught by the verifier
    written from docs/formats.md once the genesis declares format 2."""
    from tests.vectors import independent_verifier as independent

    export = (VECTORS_V1 / "export.jsonl").read_bytes()
    assert independent.check_statements(export) == 21
    lines = export.split(b"\n")
    lines[0] = lines[0].replace(b'"origin":', b'"format":2,"origin":', 1)
    with pytest.raises(independent.Invalid, match=r"entry 11: evidence\.evaluated_at is in the future"):
        independent.check_statements(b"\n".join(lines))
    del lines[11]  # without that decision, the canary comes next
    with pytest.raises(independent.Invalid, match="entry 16: a canary result inside the 24-hour"):
        independent.check_statements(b"\n".join(lines))


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-05:00"])
def test_an_instant_whose_utc_form_leaves_the_calendar_is_bad_input(team: Team, instant: str) -> None:
    from ledger.scoring.input import parse_decision_text

    text = (Path(__file__).parents[2] / "cli" / "demo" / "01-support-summarizer-1.1.yaml").read_text()
    data = parse_decision_text(text)
    data["rollback"] = {**data["rollback"], "rehearsed_at": instant}
    with pytest.raises(DecisionInputError) as caught:
        team.service.decisions.submit(data, ALICE, team.key(ALICE))
    assert caught.value.field == "rollback.rehearsed_at"
    assert "outside the years 0001 to 9999" in str(caught.value)


@pytest.mark.parametrize("instant", [1763629200, "2026-11-20T09:00:00.123456789Z", "2026-11-20"])
def test_an_instant_that_is_not_rfc_3339_text_is_refused_not_guessed(instant: object) -> None:
    from ledger.scoring.input import parse_decision_text

    text = (Path(__file__).parents[2] / "cli" / "demo" / "01-support-summarizer-1.1.yaml").read_text()
    data = parse_decision_text(text)
    data["rollback"] = {**data["rollback"], "rehearsed_at": instant}
    with pytest.raises(DecisionInputError) as caught:
        parse_request(data)
    assert caught.value.field == "rollback.rehearsed_at"
    assert "RFC 3339" in str(caught.value)


def test_a_year_before_1000_is_written_with_four_digits() -> None:
    from ledger.tlog.entry import format_time

    assert format_time(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"
    assert parse_time("0001-01-01T00:00:00Z") == datetime(1, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"])
def test_rledger_clock_outside_its_years_is_refused(value: str) -> None:
    with pytest.raises(InputError, match="must lie in the years 1970 to 9000"):
        clock_from_environment({"RLEDGER_CLOCK": value})
