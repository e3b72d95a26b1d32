"""Alembic migrations on SQLite and PostgreSQL: init runs them, a ledger made at the first
migration upgrades to head and still verifies, head matches the models, and bad database
URLs or servers give one clear line and a non-zero exit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from cli.main import main
from ledger.clock import SystemClock
from ledger.errors import NotInitializedError, StorageError
from services.ledger_service import LedgerService
from store import migrations
from store.database import UnreachableDatabaseError
from store.ledger_store import LedgerStore
from store.schema import COSIGNATURE_TABLE, DERIVED_TABLE, LEDGER_TABLES
from tests.store.writer_process import ADMIN, ORIGIN, Writer, admin_key, build_ledger, ledger_key

HEAD = migrations.head()
UNREACHABLE = "postgresql+psycopg://postgres:secret@127.0.0.1:1/nowhere"


def test_the_migrations_are_a_single_line_of_history() -> None:
    assert [revision for revision, _ in migrations.revisions()] == ["0001", "0002", "0003", "0004", "0005"]
    assert HEAD == "0005"


def test_init_runs_the_migrations(ledger_url: str) -> None:
    build_ledger(ledger_url)
    store = LedgerStore.open(ledger_url)
    try:
        assert store.schema_revision() == HEAD
        assert store.migrate() == (HEAD, HEAD)  # nothing to do, and says so
        assert LedgerService(store, SystemClock()).verification.verify().size == 3
    finally:
        store.close()


def test_a_ledger_made_at_the_first_migration_upgrades_to_head_and_verifies(ledger_url: str) -> None:
    store = LedgerStore.open(ledger_url)
    try:
        assert store.migrate("0001") == (None, "0001")
        store.create_schema = lambda: None  # type: ignore[method-assign]  # keep it at 0001 while writing
        LedgerService(store, SystemClock(), ledger_key()).setup.initialize(ORIGIN, ADMIN, admin_key())
        writer = Writer(ledger_url)
        writer.store.create_schema = lambda: None  # type: ignore[method-assign]
        for number in range(5):
            writer.append(f"early-{number}@example.com")
        writer.store.close()
        assert store.schema_revision() == "0001"
    finally:
        store.close()

    store = LedgerStore.open(ledger_url)
    try:
        assert store.migrate() == ("0001", HEAD)
        service = LedgerService(store, SystemClock())
        assert service.verification.verify().size == 8
        assert len(service.verification.verify_meaning().identities) == 6
        writer = Writer(ledger_url)
        writer.append("after-upgrade@example.com")
        writer.store.close()
        assert service.verification.verify().size == 9
    finally:
        store.close()


def test_the_second_migration_guards_sqlite_against_insert_or_replace(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    store = LedgerStore.open(url)
    store.migrate("0001")
    store.close()
    replace = "INSERT OR REPLACE INTO ledger_meta (key, value) VALUES ('origin', 'x')"
    conn = sqlite3.connect(tmp_path / "ledger.db")
    try:
        conn.execute("INSERT INTO ledger_meta (key, value) VALUES ('origin', 'first')")
        conn.commit()
        conn.execute(replace)  # 0001 alone lets REPLACE delete the row without a DELETE trigger
        conn.rollback()
    finally:
        conn.close()
    store = LedgerStore.open(url)
    assert store.migrate() == ("0001", HEAD)
    store.close()
    conn = sqlite3.connect(tmp_path / "ledger.db")
    try:
        with pytest.raises(sqlite3.DatabaseError, match="ledger_meta is append-only"):
            conn.execute(replace)
    finally:
        conn.close()


def test_head_matches_the_models(ledger_url: str) -> None:
    store = LedgerStore.open(ledger_url)
    try:
        store.migrate()
        with store.engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_name": lambda name, kind, _parent: (
                        kind != "table" or name in (*LEDGER_TABLES, COSIGNATURE_TABLE, DERIVED_TABLE)
                    ),
                    "compare_type": True,
                },
            )
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        store.close()


def test_a_database_made_before_migrations_existed_is_adopted(tmp_path: Path) -> None:
    """Ledgers created by the old create_all + triggers code have the tables but no version
    table; they are stamped with the revision that matches them, and nothing else changes."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    build_ledger(url)
    conn = sqlite3.connect(tmp_path / "ledger.db")
    conn.execute(f"DROP TABLE {migrations.VERSION_TABLE}")
    conn.commit()
    schema_before = sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
    conn.close()
    store = LedgerStore.open(url)
    try:
        assert store.schema_revision() is None
        assert store.migrate() == (None, HEAD)
        # stamped at the legacy revision, then upgraded (0003 keeps an api_idempotency table
        # that an older API had created at start-up)
        assert migrations.LEGACY_REVISION == "0002"
        assert store.schema_revision() == HEAD
        assert LedgerService(store, SystemClock()).verification.verify().size == 3
    finally:
        store.close()
    conn = sqlite3.connect(tmp_path / "ledger.db")
    schema_after = sorted(
        row
        for row in conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        if migrations.VERSION_TABLE not in row[1]
    )
    conn.close()
    assert schema_after == schema_before


def test_code_older_than_the_schema_refuses_to_migrate_it(ledger_url: str) -> None:
    build_ledger(ledger_url)
    store = LedgerStore.open(ledger_url)
    try:
        with store.engine.begin() as conn:
            conn.execute(text(f"UPDATE {migrations.VERSION_TABLE} SET version_num = '0099'"))
        with pytest.raises(StorageError, match=f"knows migrations up to {HEAD}"):
            store.migrate()
        assert store.schema_revision() == "0099"
    finally:
        store.close()


def test_postgres_guards_are_created_by_the_first_migration(postgres_url: str) -> None:
    store = LedgerStore.open(postgres_url)
    try:
        store.migrate("0001")
        with store.engine.connect() as conn:
            triggers = {
                str(name)
                for (name,) in conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
            }
            assert set(inspect(conn).get_table_names()) == {*LEDGER_TABLES, migrations.VERSION_TABLE}
        expected = {f"{t}_append_only" for t in LEDGER_TABLES} | {f"{t}_no_truncate" for t in LEDGER_TABLES}
        assert triggers == expected
    finally:
        store.close()


# -- the CLI ------------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_db_upgrade_and_current(ledger_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "home")
    code, out, _ = _run(capsys, "--home", home, "--db", ledger_url, "db", "upgrade")
    assert code == 0 and "created the ledger schema in" in out and f"at {HEAD} (head)" in out
    code, out, _ = _run(capsys, "--home", home, "--db", ledger_url, "db", "upgrade")
    assert code == 0 and "already at" in out
    code, out, _ = _run(capsys, "--home", home, "--db", ledger_url, "db", "current", "--check")
    assert (code, out) == (0, f"{HEAD} (head)\n")


def test_db_current_check_fails_when_behind(
    ledger_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = LedgerStore.open(ledger_url)
    store.migrate("0001")
    store.close()
    args = ("--home", str(tmp_path / "home"), "--db", ledger_url, "db", "current")
    code, out, _ = _run(capsys, *args)
    assert code == 0 and out.startswith(f"0001 (head is {HEAD}")
    code, out, err = _run(capsys, *args, "--check")
    assert code == 1 and out == ""
    behind = f"the ledger schema is at 0001, the newest migration is {HEAD}"
    assert err == f"error: {behind}; run `rledger db upgrade`\n"


BAD_URLS = {
    "not-a-url": ("nonsense", "is not a database URL"),
    "unsupported": ("mysql://user@host/db", "unsupported database URL"),
    "unreachable": (UNREACHABLE, "cannot connect to the database"),
}


@pytest.mark.parametrize("command", [["verify"], ["db", "upgrade"], ["db", "current"], ["checkpoint"]])
@pytest.mark.parametrize("case", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_bad_database_urls_give_one_line_and_a_failure(
    case: tuple[str, str], command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, message = case
    code, out, err = _run(capsys, "--home", str(tmp_path / "home"), "--db", url, *command)
    assert code == 1, err
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and message in err
    assert "secret" not in err  # passwords are never echoed


def test_a_database_that_does_not_exist_on_the_server(
    postgres_server: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/rledger_no_such_database"
    code, _, err = _run(capsys, "--home", str(tmp_path), "--db", url, "verify")
    assert code == 1
    assert err.count("\n") == 1 and 'database "rledger_no_such_database" does not exist' in err


def test_store_errors_are_typed(ledger_url: str) -> None:
    store = LedgerStore.open(ledger_url)
    try:
        assert not store.is_initialized()
        with pytest.raises(NotInitializedError, match="no ledger in"):
            store.meta()
    finally:
        store.close()
    unreachable = LedgerStore.open(UNREACHABLE)
    with pytest.raises(UnreachableDatabaseError):
        unreachable.is_initialized()
    with pytest.raises(StorageError, match=r"\*\*\*"):
        unreachable.migrate()
