from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import psycopg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_VECTORS = PROJECT_ROOT.parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def shared_vectors() -> Path:
    """The published vectors in ../shared/vectors. They are required, never skipped."""
    if not SHARED_VECTORS.is_dir():
        pytest.fail(f"published test vectors not found at {SHARED_VECTORS}")
    return SHARED_VECTORS


# -- PostgreSQL (issue #6) ---------------------------------------------------------------
# Tests that need a server ask for `postgres_url` (a new database, dropped afterwards) or for
# `ledger_url` (run once on SQLite and once on PostgreSQL). Without a server they skip and say
# why; in CI (CI=true) they fail instead, so a missing server can never pass unnoticed.

POSTGRES_ADMIN_URL = os.environ.get("RLEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_DATABASE_PREFIX = "rledger_test_"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@dataclass(frozen=True)
class PostgresServer:
    admin_url: str  # libpq form, for psycopg

    def _admin(self) -> psycopg.Connection[Any]:
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5)

    def execute(self, *statements: str) -> None:
        with self._admin() as conn:
            for statement in statements:
                conn.execute(statement.encode())

    def url_for(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        from sqlalchemy import make_url

        return (
            make_url(self.admin_url)
            .set(drivername="postgresql+psycopg", database=database)
            .render_as_string(hide_password=False)
        )

    def create_database(self) -> str:
        name = f"{TEST_DATABASE_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:10]}"
        self.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_stale_databases(self) -> None:
        """Test databases left by runs that were killed (their process no longer exists)."""
        with self._admin() as conn:
            names = [
                str(row[0])
                for row in conn.execute(
                    b"SELECT datname FROM pg_database WHERE datname LIKE 'rledger\\_test\\_%'"
                )
            ]
        for name in names:
            pid = name[len(TEST_DATABASE_PREFIX) :].split("_")[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                self.drop_database(name)


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """The local PostgreSQL server (RLEDGER_TEST_POSTGRES_URL, default postgres@127.0.0.1:5432/test)."""
    server = PostgresServer(POSTGRES_ADMIN_URL)
    try:
        server.execute("SELECT 1")
    except Exception as exc:
        reason = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {' '.join(str(exc).split())}"
        if _in_ci():
            pytest.fail(f"{reason}; CI=true, so the PostgreSQL tests must run, not skip")
        pytest.skip(f"{reason} (set RLEDGER_TEST_POSTGRES_URL, or start a server, to run these tests)")
    server.drop_stale_databases()
    return server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url_for(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))
