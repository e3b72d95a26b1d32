"""API bearer tokens: they authenticate an HTTP caller, and authorise nothing.

A token is ``rlt_<id>_<secret>``. Only ``SHA-256(secret)`` is ever stored, in the
``token.issued`` entry, so the log is the whole token registry: who holds which token, until
when, and when it was revoked. No mutable table is needed, and an auditor can see it all.
Issuing and revoking a token are statements signed by the holder or an admin. A token proves
to the server who is calling; what the caller does is authorised only by the statement they
sign (governance/authorship.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from governance.state import ADMIN, GovernanceState, field_of, handles
from governance.statements import check_statement
from ledger.errors import RefusedError, SignatureRefusedError
from ledger.tlog.entry import Entry, parse_time

TOKEN_PATTERN = re.compile(r"^rlt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


@dataclass
class TokenRecord:
    token_id: str
    identity: str
    secret_sha256: str
    issued_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        if self.revoked_at is not None and moment >= self.revoked_at:
            return False
        return self.expires_at is None or moment < self.expires_at


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str]:
    match = TOKEN_PATTERN.match(token)
    if match is None:
        raise SignatureRefusedError("the bearer token is malformed", rule="token")
    return match.group(1), match.group(2)


def authenticate_token(state: GovernanceState, token: str, moment: datetime) -> TokenRecord:
    """The token's record if it is genuine, current and its holder active; refuse otherwise."""
    token_id, secret = split_token(token)
    record: TokenRecord | None = state.tokens.get(token_id)
    if record is None or not hmac.compare_digest(record.secret_sha256, secret_sha256(secret)):
        raise SignatureRefusedError("the bearer token is not one this ledger issued", rule="token")
    if record.revoked_at is not None and moment >= record.revoked_at:
        raise SignatureRefusedError("the bearer token has been revoked", rule="token")
    if record.expires_at is not None and moment >= record.expires_at:
        raise SignatureRefusedError("the bearer token has expired", rule="token")
    state.identity(record.identity, rule="token")
    return record


def _admin_or_self(state: GovernanceState, actor: str, subject: str, rule: str) -> None:
    who = state.identity(actor, rule=rule)
    if actor != subject and ADMIN not in who.roles:
        raise RefusedError(f"{actor} may manage only their own tokens (admins manage all)", rule=rule)


@handles("token.issued", frozenset({"token_id", "identity", "secret_sha256", "actor", "expires_at"}))
def _issued(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    token_id, identity, digest = (
        field_of(p, "token_id"),
        field_of(p, "identity"),
        field_of(p, "secret_sha256"),
    )
    actor = field_of(p, "actor")
    if not re.fullmatch(r"[0-9a-f]{16}", token_id) or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise RefusedError("token_id must be 16 hex digits and secret_sha256 64", rule="token.issued")
    if token_id in state.tokens:
        raise RefusedError("token_id already issued", rule="token.issued")
    state.identity(identity, rule="token.issued")
    _admin_or_self(state, actor, identity, "token.issued")
    check_statement(entry.kind, p, state.identity(actor).public_key, actor, origin=state.statement_origin())
    expires = p.get("expires_at")
    issued = parse_time(entry.time)
    expires_at = parse_time(str(expires)) if expires is not None else None
    if expires_at is not None and expires_at <= issued:
        raise RefusedError("a token must expire after it is issued", rule="token.issued")
    state.tokens[token_id] = TokenRecord(token_id, identity, digest, issued, expires_at)


@handles("token.revoked", frozenset({"token_id", "actor"}))
def _revoked(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    token_id, actor = field_of(p, "token_id"), field_of(p, "actor")
    record: TokenRecord | None = state.tokens.get(token_id)
    if record is None or record.revoked_at is not None:
        raise RefusedError("no such active token", rule="token.revoked")
    _admin_or_self(state, actor, record.identity, "token.revoked")
    check_statement(entry.kind, p, state.identity(actor).public_key, actor, origin=state.statement_origin())
    record.revoked_at = parse_time(entry.time)


def token_payload(
    token_id: str, identity: str, secret: str, expires_at: str | None, actor: str
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "token_id": token_id,
        "identity": identity,
        "secret_sha256": secret_sha256(secret),
        "actor": actor,
    }
    if expires_at is not None:
        payload["expires_at"] = expires_at
    return payload
