"""The pure parts: facts agree with the governance state, health follows seed 000, periods, selection."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ledger.clock import SystemClock
from reports import health, select, source
from reports.errors import ReportInputError
from reports.facts import fold
from reports.period import parse_period
from reports.render import css_string
from services.ledger_service import LedgerService
from services.settings import sqlite_url
from store.ledger_store import LedgerStore
from tests.reports.conftest import Demo


def test_facts_from_all_entries_agree_with_the_governance_state(demo: Demo) -> None:
    store = LedgerStore.open(sqlite_url(demo.home / "ledger.db"))
    try:
        service = LedgerService(store, SystemClock())
        snapshot = source.take_snapshot(service)
        state = service.state()
    finally:
        store.close()
    facts = fold(snapshot.entries)
    assert set(facts.decisions) == set(state.decisions)
    for leaf, d in state.decisions.items():
        mine = facts.decisions[leaf]
        assert (mine.phase, mine.break_glass, mine.break_glass_open) == (
            d.phase,
            d.break_glass,
            d.break_glass_open,
        )
        assert [(a.approver, a.role, a.verdict) for a in mine.approvals] == [
            (a.approver, a.role, a.verdict) for a in d.approvals
        ]
        assert all(a.signature_verified for a in mine.approvals)
    # A release report's entries alone give the same phases for that model's decisions.
    index = select.Index.build(snapshot.entries)
    leaf = next(k for k, d in state.decisions.items() if d.ref == "support-summarizer@1.1")
    subset = fold(snapshot.entries[s] for s in select.release_entries(index, leaf))
    for k, d in subset.decisions.items():
        assert d.phase == state.decisions[k].phase


def test_iteration_index_is_seed_000s_formula() -> None:
    # 100 velocity, 80 coverage, 30 regression surface, 25 risk:
    # 30 + 20 + 17.5 + 15 = 82.5
    assert health.iteration_index(Decimal(100), Decimal(80), Decimal(30), Decimal(25)) == Decimal("82.50")
    assert health.velocity_score(Decimal(0)) == Decimal(100)
    assert health.velocity_score(Decimal(360)) == Decimal(50)
    assert health.velocity_score(Decimal(10_000)) == Decimal(0)
    assert (
        sum(
            (
                health.VELOCITY_WEIGHT,
                health.COVERAGE_WEIGHT,
                health.REGRESSION_SURFACE_WEIGHT,
                health.DEPLOYMENT_RISK_WEIGHT,
            ),
            Decimal(0),
        )
        == 1
    )


def test_periods() -> None:
    p = parse_period("2026-11-01", "2026-11-30")
    assert p.start == datetime(2026, 11, 1, tzinfo=UTC) and p.end == datetime(2026, 12, 1, tzinfo=UTC)
    assert p.contains(datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))
    exact = parse_period("2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z")
    assert exact.contains(datetime(2026, 11, 1, 11, tzinfo=UTC))
    for bad in (("2026-02-30", "2026-03-01"), ("soon", "2026-03-01"), ("2026-03-02", "2026-03-01")):
        with pytest.raises(ReportInputError):
            parse_period(*bad)


def test_css_string_escapes_what_could_end_the_string() -> None:
    assert str(css_string('a"b\\c</style>')) == "a\\22 b\\5c c\\3c /style\\3e "
