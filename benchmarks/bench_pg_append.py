"""Appends on PostgreSQL, against raw psycopg writing the same entry bytes (issue 14).

- Durable single-entry appends: each ``LedgerStore.append`` of one realistic decision is its
  own transaction, with its signed checkpoint, committed with ``synchronous_commit=on`` (the
  server default, set explicitly here). The baseline is raw psycopg inserting the same entry
  bytes, one row per transaction, same setting. The two alternate in blocks, as
  bench_append.py does on SQLite, so background load hits both.
- Batch append: ``LedgerStore.append`` of 10,000 decisions per transaction (1,000 quick)
  against raw psycopg ``executemany`` and ``COPY`` of the same bytes, one transaction per
  batch, alternating batch by batch.

Everything runs in a throwaway database, ``bench_pg_<pid>``, created on the server and
dropped afterwards; the server is ``RLEDGER_BENCH_PG_SERVER`` (default
postgresql://postgres@127.0.0.1:5432/postgres).

    python -m benchmarks.bench_pg_append [--quick]
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks import durable
from benchmarks.common import (
    ADMIN,
    ADMIN_SEED,
    ORIGIN,
    START,
    Context,
    Row,
    decision,
    log,
    rate,
    realistic_payload,
    run,
    signer,
)
from ledger.clock import FixedClock
from ledger.tlog.note import Ed25519Signer
from services.ledger_service import LedgerService
from store.ledger_store import LedgerStore

PG_SERVER = os.environ.get("RLEDGER_BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres")
BATCH_TARGET = 20_000  # entries/s
BATCHES = {False: (10_000, 5), True: (1_000, 3)}  # quick: (entries per transaction, batches)


@contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on ``server_url``, yield its SQLAlchemy URL, drop it after."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _raw(url: str) -> Any:
    """A plain psycopg connection to ``url`` with synchronous_commit on, and its two tables."""
    import psycopg

    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))
    conn.execute("SET synchronous_commit = on")
    for table in ("raw_single", "raw_batch", "raw_copy"):
        conn.execute(f"CREATE TABLE {table} (seq BIGINT PRIMARY KEY, body BYTEA NOT NULL)")
    conn.commit()
    return conn


def _ledger(url: str) -> tuple[LedgerStore, Ed25519Signer, FixedClock]:
    key, clock = signer(), FixedClock(START, step_seconds=1.0)
    service = LedgerService(LedgerStore.open(url), clock, key)
    service.setup.initialize(ORIGIN, ADMIN, Ed25519Signer.generate("rledger-identity", ADMIN_SEED))
    store = service.store
    assert isinstance(store, LedgerStore)
    return store, key, clock


def single(context: Context, url: str) -> list[Row]:
    store, key, clock = _ledger(url)
    store.engine.dispose()  # reconnect so every pooled connection gets the explicit setting
    _set_synchronous_commit(store)
    raw = _raw(url)

    def raw_insert(row: tuple[int, bytes]) -> None:
        raw.execute("INSERT INTO raw_single (seq, body) VALUES (%s, %s)", row)
        raw.commit()

    count = context.sizes.durable_appends
    log(
        f"{count} durable single-entry appends on PostgreSQL, ours and raw psycopg, blocks of {durable.BLOCK}"
    )
    try:
        ours, baseline = durable.alternate(store, key, clock.now, count, raw_insert)
    finally:
        raw.close()
        store.close()
    return durable.rows("pg append", "raw psycopg", ours, baseline)


def _set_synchronous_commit(store: LedgerStore) -> None:
    from sqlalchemy import event

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = on")
        dbapi_connection.commit()

    event.listen(store.engine, "connect", on_connect)


def batch(context: Context, url: str) -> list[Row]:
    store, key, clock = _ledger(url)
    store.engine.dispose()
    _set_synchronous_commit(store)
    raw, payload = _raw(url), realistic_payload()
    size, batches = BATCHES[context.quick]
    log(f"{batches} batch appends of {size:,} on PostgreSQL, ours, raw executemany and raw COPY")
    ours = executemany = copy = 0.0
    first = store.size()
    for n in range(batches):
        start_seq = first + n * size
        pending = [decision(payload, i) for i in range(start_seq, start_seq + size)]
        start = time.perf_counter()
        result = store.append(pending, clock.now(), key)
        ours += time.perf_counter() - start
        rows = [(e.seq, e.data) for e in result.entries]
        start = time.perf_counter()
        with raw.cursor() as cursor:
            cursor.executemany("INSERT INTO raw_batch (seq, body) VALUES (%s, %s)", rows)
        raw.commit()
        executemany += time.perf_counter() - start
        start = time.perf_counter()
        with raw.cursor() as cursor, cursor.copy("COPY raw_copy (seq, body) FROM STDIN") as out:
            for row in rows:
                out.write_row(row)
        raw.commit()
        copy += time.perf_counter() - start
    raw.close()
    store.close()
    total = size * batches
    ours_rate = total / ours
    return [
        Row(
            "pg append",
            f"batch append, {size:,}/txn ({total:,} entries)",
            rate(ours_rate),
            f"raw psycopg executemany: {rate(total / executemany)}",
            ours_rate / (total / executemany),
            f">= {BATCH_TARGET:,} entries/s",
            ours_rate >= BATCH_TARGET,
        ),
        Row(
            "pg append",
            f"batch append, {size:,}/txn, vs COPY",
            rate(ours_rate),
            f"raw psycopg COPY: {rate(total / copy)}",
            ours_rate / (total / copy),
        ),
    ]


def bench(context: Context) -> list[Row]:
    """Both measurements, each on its own ledger, in one scratch database."""
    with scratch_database(PG_SERVER, f"bench_pg_{os.getpid()}") as url:
        rows = single(context, url)
    with scratch_database(PG_SERVER, f"bench_pg_{os.getpid()}") as url:
        rows += batch(context, url)
    return rows


if __name__ == "__main__":
    run("Release Ledger benchmark: appends on PostgreSQL", [bench])
