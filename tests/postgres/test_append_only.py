"""PostgreSQL refuses UPDATE, DELETE and TRUNCATE on the ledger tables, whoever asks; and the
least-privilege roles of docs/operations.md, run verbatim, leave the service able to append
and verify but unable to change, remove or unguard anything."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url

from cli.main import main
from ledger.clock import SystemClock
from services.ledger_service import LedgerService
from store.ledger_store import LedgerStore
from store.schema import LEDGER_TABLES
from tests.conftest import PROJECT_ROOT, PostgresServer
from tests.store.writer_process import Writer, build_ledger, record_decisions

EDITS = {
    "ledger_meta": ("value", "'other.example/log'"),
    "ledger_entries": ("body", "'\\x7b7d'::bytea"),
    "ledger_nodes": ("hash", "'\\x00'::bytea"),
    "ledger_checkpoints": ("note", "'forged'"),
    "ledger_decisions": ("version", "'0.0'"),
}


def _libpq(url: str, user: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if user is not None:
        parsed = parsed.set(username=user, password=None)
    return parsed.render_as_string(hide_password=False)


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(_libpq(url)) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1".encode()).fetchall() for t in LEDGER_TABLES}


@pytest.fixture(scope="module")
def ledger(postgres_server: PostgresServer) -> Iterator[str]:
    """One ledger with a few appends, shared: every statement below is refused."""
    name = postgres_server.create_database()
    url = postgres_server.url_for(name)
    try:
        build_ledger(url)
        writer = Writer(url)
        for number in range(4):
            writer.append(f"member-{number}@example.com")
        writer.store.close()
        record_decisions(url, ["1.1", "1.2"])
        yield url
    finally:
        postgres_server.drop_database(name)


STATEMENTS = {
    "update": "UPDATE {table} SET {column} = {value}",
    "no-op-update": "UPDATE {table} SET {column} = {column}",
    "delete": "DELETE FROM {table}",
    "truncate": "TRUNCATE {table}",
    "truncate-cascade": "TRUNCATE {table} CASCADE",
}


@pytest.mark.parametrize("table", LEDGER_TABLES)
@pytest.mark.parametrize("statement", STATEMENTS.values(), ids=STATEMENTS.keys())
def test_update_delete_and_truncate_are_refused(ledger: str, table: str, statement: str) -> None:
    """Even the superuser that owns everything: the triggers refuse, the rows stay."""
    before = _rows(ledger)
    column, value = EDITS[table]
    with psycopg.connect(_libpq(ledger)) as conn:
        assert conn.execute(f"SELECT count(*) FROM {table}".encode()).fetchone() != (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=f"{table} is append-only"):
            conn.execute(statement.format(table=table, column=column, value=value).encode())
    assert _rows(ledger) == before


def test_an_upsert_is_refused(ledger: str) -> None:
    before = _rows(ledger)
    refused = pytest.raises(psycopg.errors.InsufficientPrivilege, match="ledger_checkpoints is append-only")
    with psycopg.connect(_libpq(ledger)) as conn, refused:
        conn.execute(
            b"INSERT INTO ledger_checkpoints (size, root, note) VALUES (3, '\\x00', 'forged') "
            b"ON CONFLICT (size) DO UPDATE SET note = excluded.note"
        )
    assert _rows(ledger) == before
    store = LedgerStore.open(ledger)
    try:
        assert LedgerService(store, SystemClock()).verification.verify().size == 10
    finally:
        store.close()


# -- the least-privilege roles of docs/operations.md --------------------------------------

OPERATIONS = PROJECT_ROOT / "docs" / "operations.md"


def _sql_block(marker: str) -> str:
    """The ```sql block that follows ``<!-- MARKER -->`` in docs/operations.md."""
    found = re.search(rf"<!-- {marker} -->\s*```sql\n(.*?)```", OPERATIONS.read_text(), re.S)
    assert found is not None, f"docs/operations.md has no sql block marked {marker}"
    return found.group(1)


def _statements(sql: str, names: dict[str, str]) -> list[str]:
    for placeholder, name in names.items():
        sql = re.sub(rf"\b{placeholder}\b", name, sql)
    sql = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in sql.split(";") if s.strip()]


def _cli(capsys: pytest.CaptureFixture[str], home: Path, url: str, *args: str) -> tuple[int, str]:
    code = main(["--home", str(home), "--db", url, *args])
    out, err = capsys.readouterr()
    return code, out + err


def test_the_documented_roles_append_and_verify_but_cannot_change_anything(
    postgres_server: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suffix = uuid.uuid4().hex[:10]
    names = {
        "ledgerdb": f"rledger_test_roles_{suffix}",
        "ledger_owner": f"rledger_owner_{suffix}",
        "ledger_app": f"rledger_app_{suffix}",
    }
    database, owner, app = names["ledgerdb"], names["ledger_owner"], names["ledger_app"]
    server_url = postgres_server.url_for(database)
    as_owner = make_url(server_url).set(username=owner).render_as_string(hide_password=False)
    as_app = make_url(server_url).set(username=app).render_as_string(hide_password=False)
    try:
        postgres_server.execute(*_statements(_sql_block("roles-sql"), names))
        code, out = _cli(capsys, tmp_path / "owner", as_owner, "db", "upgrade")
        assert code == 0, out
        with psycopg.connect(_libpq(server_url, owner), autocommit=True) as conn:
            for statement in _statements(_sql_block("grants-sql"), names):
                conn.execute(statement.encode())

        home = tmp_path / "home"
        code, out = _cli(
            capsys, home, as_app, "init", "--origin", "roles.example/log", "--admin", "a@example.com"
        )
        assert code == 0, out
        code, out = _cli(capsys, home, as_app, "identity", "keygen", "--out", str(tmp_path / "bob"))
        assert code == 0, out
        code, out = _cli(
            capsys,
            home,
            as_app,
            "identity",
            "add",
            "bob@example.com",
            "--roles",
            "submitter",
            "--public-key",
            str(tmp_path / "bob.pub"),
            "--as",
            "a@example.com",
            "--key",
            str(home / "a@example.com.key"),
        )
        assert code == 0, out
        code, out = _cli(capsys, home, as_app, "verify")
        assert code == 0 and "OK: 4 entries verified" in out, out
        code, out = _cli(capsys, home, as_app, "db", "current", "--check")
        assert code == 0, out

        with psycopg.connect(_libpq(server_url, app), autocommit=True) as conn:
            for table in LEDGER_TABLES:
                column, value = EDITS[table]
                for statement in (
                    f"UPDATE {table} SET {column} = {value}",
                    f"DELETE FROM {table}",
                    f"TRUNCATE {table}",
                    f"ALTER TABLE {table} DISABLE TRIGGER USER",
                    f"DROP TRIGGER {table}_append_only ON {table}",
                    f"DROP TABLE {table}",
                ):
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        conn.execute(statement.encode())
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(b"CREATE TABLE ledger_extra (x int)")
        code, out = _cli(capsys, home, as_app, "verify")
        assert code == 0 and "OK: 4 entries verified" in out, out
    finally:
        postgres_server.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        postgres_server.execute(f'DROP ROLE IF EXISTS "{app}"', f'DROP ROLE IF EXISTS "{owner}"')
