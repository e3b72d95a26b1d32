"""Every query a command runs is an index lookup, so its cost does not grow with the ledger
(issue 14). No timings: SQLite's own query plans for the statements the commands actually
ran, caught with the driver's trace callback (so SQL sent through the driver's cursor counts
too). A plan step that scans a ledger table fails, naming the statement.

Found this way: the duplicate check of every append scanned the whole (model, version) index,
and resolving a decision by hash prefix scanned the decisions table (LIKE ignores case in
SQLite, so it cannot use the index)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool

from tests.cli.test_cli import DEMO_FILES, Team, init_home, invoke
from tests.cli.test_cli import _clean_environment as _clean_environment

# The one table that is read whole on purpose: two rows, written once at init.
SMALL_TABLES = ("ledger_meta",)


@pytest.fixture
def team(tmp_path: Path) -> Team:
    team = init_home(tmp_path / "home")
    for path in DEMO_FILES[:3]:
        assert invoke(*team.submit(path)) == 0
    return team


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """The SQL each new SQLite connection runs from here on, with its parameters filled in."""
    seen: list[str] = []

    def trace(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(seen.append)

    event.listen(Pool, "connect", trace)
    yield seen
    event.remove(Pool, "connect", trace)


def _scans(database: Path, seen: list[str]) -> list[str]:
    """The statements in ``seen`` whose plan scans a ledger table, with the scanning step."""
    found = []
    con = sqlite3.connect(database)
    try:
        for sql in dict.fromkeys(seen):
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            for step in (row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql)):
                if step.startswith("SCAN") and not _allowed(step, sql):
                    found.append(f"{step}: {' '.join(sql.split())[:300]}")
    finally:
        con.close()
    return found


def _allowed(step: str, sql: str) -> bool:
    if any(step.split()[1] == table for table in SMALL_TABLES):
        return True
    # The newest row: a walk down one edge of the index, which SQLite reports as a scan.
    return " USING " in step and " LIMIT 1" in " ".join(sql.split()).upper()


def test_submit_gate_and_status_only_look_rows_up(team: Team, statements: list[str]) -> None:
    assert invoke(*team.submit(DEMO_FILES[3])) == 0
    assert invoke("--home", team.home, "gate", "support-summarizer@1.1") == 1
    assert invoke("--home", team.home, "decision", "status", "support-summarizer@1.1") == 0
    assert statements, "the trace saw no SQL: the test would pass for nothing"
    assert _scans(team.home / "ledger.db", statements) == []


def test_a_decision_found_by_hash_prefix_is_looked_up_not_scanned(
    team: Team, statements: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoke("--home", team.home, "decision", "status", "support-summarizer@1.1") == 0
    prefix = _entry_hash(capsys.readouterr().out, team)[:12]
    assert invoke("--home", team.home, "gate", prefix) == 1
    assert any("LIKE" in sql for sql in statements)
    assert _scans(team.home / "ledger.db", statements) == []


def test_a_duplicate_is_still_named_after_the_lookup_change(
    team: Team, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert invoke(*team.submit(DEMO_FILES[0])) != 0
    err = capsys.readouterr().err
    assert "support-summarizer@1.1" in err and "already" in err


def _entry_hash(out: str, team: Team) -> str:
    store = sqlite3.connect(team.home / "ledger.db")
    try:
        row = store.execute(
            "SELECT leaf_hex FROM ledger_decisions WHERE model = ? AND version = ?",
            ("support-summarizer", "1.1"),
        ).fetchone()
    finally:
        store.close()
    assert row is not None, out
    return str(row[0])
