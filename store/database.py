"""Reaching the database: URLs, engines, the read and write transactions, migrations.

The same code runs on SQLite and PostgreSQL; what differs between them (how the write lock
is taken, the read isolation level, connection options) is kept here. Every statement the
ledger runs goes through :func:`read_transaction` or :func:`write_transaction`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError

from ledger.errors import StorageError


class UnreachableDatabaseError(StorageError):
    """The database could not be reached or opened at all (as opposed to refusing a statement)."""


SUPPORTED_URLS = "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DATABASE"

# Serialises appends across processes on PostgreSQL; an arbitrary constant of ours.
_PG_APPEND_LOCK = 0x726C6564


def database_url(url: str) -> URL:
    """Parse and check a database URL; ``postgresql://`` and ``postgres://`` mean psycopg 3.

    Raises StorageError for text that is not a URL or names another database or driver.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"{url!r} is not a database URL; expected {SUPPORTED_URLS}") from None
    driver = parsed.drivername
    if driver in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg")
    if driver == "postgresql+psycopg" or driver in ("sqlite", "sqlite+pysqlite"):
        return parsed
    shown = parsed.render_as_string(hide_password=True)
    raise StorageError(f"unsupported database URL {shown!r}; expected {SUPPORTED_URLS}")


def driver_message(exc: BaseException) -> str:
    """A driver's error message on one line (psycopg's span several)."""
    inner = getattr(exc, "orig", None) or exc
    return " ".join(str(inner).split()) or type(inner).__name__


def shown_url(engine: Engine) -> str:
    """The engine's database URL with any password hidden, for messages."""
    return engine.url.render_as_string(hide_password=True)


# -- engines ------------------------------------------------------------------------------


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (see :func:`database_url`); no connection is made yet."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return _postgresql_engine(parsed)


def open_engine(url: str) -> Engine:
    """:func:`make_engine`, with any failure (a missing driver, a bad option) as one StorageError."""
    try:
        return make_engine(url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        shown = url
        with suppress(StorageError):
            shown = database_url(url).render_as_string(hide_password=True)
        raise StorageError(f"cannot open database {shown!r}: {driver_message(exc)}") from None


def _sqlite_engine(parsed: URL) -> Engine:
    engine = create_engine(parsed, connect_args={"timeout": 60})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # We issue BEGIN ourselves so that writers can take the lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("rledger_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgresql_engine(parsed: URL) -> Engine:
    connect_args: dict[str, Any] = {"application_name": "rledger"}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = 10
    if "prepare_threshold" in parsed.query:
        connect_args["prepare_threshold"] = _prepare_threshold(parsed)
        parsed = parsed.difference_update_query(["prepare_threshold"])
    # The API serves each request from a pool thread (up to 40): with SQLAlchemy's default of 5
    # pooled connections most requests opened and closed a connection of their own.
    return create_engine(parsed, pool_pre_ping=True, pool_size=20, max_overflow=20, connect_args=connect_args)


def _prepare_threshold(parsed: URL) -> int | None:
    # psycopg's own option, not libpq's: ``none`` stops server-side prepared statements,
    # which a PgBouncer older than 1.21 in transaction mode cannot route.
    value = str(parsed.query["prepare_threshold"]).strip().lower()
    if value not in ("", "none", "off") and not value.isdigit():
        raise StorageError(f"prepare_threshold must be a number or none, not {value!r}")
    return int(value) if value.isdigit() else None


# -- transactions -------------------------------------------------------------------------


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection, or UnreachableDatabaseError if the database cannot be reached."""
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        raise UnreachableDatabaseError(
            f"cannot connect to the database {shown_url(engine)}: {driver_message(exc)}"
        ) from None
    with conn:
        yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read transaction that sees one snapshot (SQLite's always does; PostgreSQL's
    default READ COMMITTED would give each statement its own). Driver errors: StorageError."""
    with connect(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        try:
            with conn.begin():
                yield conn
        except DBAPIError as exc:
            raise StorageError(f"database error: {driver_message(exc)}") from None


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """The one write transaction: appends, migrations and imports queue here, one at a time,
    across processes (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock).

    IntegrityError passes through for the caller to word; other driver errors: StorageError.
    """
    with connect(engine) as conn:
        conn.execution_options(rledger_write=True)
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_APPEND_LOCK})")
                yield conn
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise StorageError(f"database error: {driver_message(exc)}") from None


# -- schema -------------------------------------------------------------------------------


def migrate(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to ``target`` (creating it in an empty database), in one
    transaction under the append lock. Returns the revisions before and after."""
    # Imported here, not at the top: alembic adds a fifth of a second to every command's start.
    from alembic.util import CommandError

    from store import migrations

    try:
        with write_transaction(engine) as conn:
            before = migrations.current(conn)
            if before != migrations.head() or target != "head":
                migrations.upgrade(conn, target)
            after = migrations.current(conn)
    except UnreachableDatabaseError:
        raise
    except CommandError as exc:  # e.g. a schema newer than this code knows
        raise StorageError(
            f"cannot migrate the ledger schema in {shown_url(engine)}: {driver_message(exc)} "
            f"(this version of rledger knows migrations up to {migrations.head()})"
        ) from None
    except (StorageError, IntegrityError) as exc:
        raise StorageError(
            f"cannot migrate the ledger schema in {shown_url(engine)}: {driver_message(exc)}"
        ) from None
    return before, after


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: no ledger schema yet)."""
    from store import migrations

    with read_transaction(engine) as conn:
        return migrations.current(conn)


def has_ledger(engine: Engine) -> bool:
    """Whether the ledger's tables exist (whatever they hold)."""
    with read_transaction(engine) as conn:
        return bool(inspect(conn).has_table("ledger_meta"))
