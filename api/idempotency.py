"""Remembered answers for ``Idempotency-Key`` retries.

The key is scoped to the caller. A retry with the same body gets the first answer back and
writes nothing; the same key with a different body is refused. The table lives beside the
ledger's but is not part of it: it holds no evidence, only replies.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from api.problems import IdempotencyConflict
from ledger.errors import StorageError

_metadata = MetaData()
_replies = Table(
    "api_idempotency",
    _metadata,
    Column("caller", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_sha256", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
)


def request_digest(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyStore:
    """The replies table, created by migration 0003 (never here: several workers creating it
    at once on SQLite met each other's locks, and a SELECT/INSERT-only role cannot create it).

    Raises StorageError when the table is missing, i.e. the schema is older than 0003.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with engine.connect() as conn:
            present = inspect(conn).has_table(_replies.name)
        if not present:
            raise StorageError(
                f"the ledger schema has no {_replies.name} table (it is older than migration 0003): "
                "run `rledger db upgrade`"
            )

    def recall(self, caller: str, key: str, digest: str) -> tuple[int, dict[str, Any]] | None:
        with self.engine.connect() as conn, conn.begin():
            row = conn.execute(
                select(_replies.c.request_sha256, _replies.c.status, _replies.c.body).where(
                    _replies.c.caller == caller, _replies.c.key == key
                )
            ).first()
        if row is None:
            return None
        if row.request_sha256 != digest:
            raise IdempotencyConflict(f"Idempotency-Key {key!r} was used for a different request")
        return int(row.status), dict(json.loads(row.body))

    def remember(self, caller: str, key: str, digest: str, status: int, body: dict[str, Any]) -> None:
        try:
            with self.engine.connect() as conn, conn.begin():
                conn.execute(
                    insert(_replies).values(
                        caller=caller, key=key, request_sha256=digest, status=status, body=json.dumps(body)
                    )
                )
        except IntegrityError:
            pass  # a concurrent retry stored the same answer first
