"""Remembered answers for ``Idempotency-Key`` retries.

The key is scoped to the caller. A retry of the identical request gets the first answer
back and writes nothing; the same key with any other request is refused (422). "Identical"
is the whole request: method, path and query, the exact body bytes (a signature included)
and the caller, so a retry can never carry a different signature past the first answer.
The table lives beside the ledger's but is not part of it: it holds no evidence, only replies.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import Depends, Request
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


async def exact_body(request: Request) -> bytes:
    """The request body exactly as sent (Starlette caches it once read, so this reads no more)."""
    return await request.body()


ExactBody = Annotated[bytes, Depends(exact_body)]


def request_digest(request: Request, body: bytes, caller: str) -> str:
    """SHA-256 (hex) over the request's method, path and query, exact body bytes and caller.

    Each part is length-prefixed, so no two different requests share a fingerprint by
    moving bytes from one part into the next.
    """
    digest = hashlib.sha256()
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    for part in (request.method.encode(), target.encode(), body, caller.encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


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
            raise IdempotencyConflict(f"this Idempotency-Key was used for a different request (key {key!r})")
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
