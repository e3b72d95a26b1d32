"""API bearer tokens: issued and revoked on the ledger, so every server sees the same ones.

A token is ``rlt_<id>_<secret>``: 8 random bytes of id in hex, 32 of secret in unpadded
URL-safe base64. The ledger records only the secret's hash (governance.tokens)."""

from __future__ import annotations

import base64
from datetime import datetime

from governance.tokens import TokenRecord, authenticate_token, token_payload
from ledger.tlog.entry import Entry, format_time
from ledger.tlog.note import Ed25519Signer
from services.governed import GovernedLog


class Tokens:
    """Issuing, revoking and checking API tokens."""

    def __init__(self, log: GovernedLog) -> None:
        self.log = log

    def issue(
        self, identity: str, expires_at: datetime | None, actor: str, key: Ed25519Signer
    ) -> tuple[str, Entry]:
        """A new bearer token for ``identity``. The token is returned once; only its hash is kept."""
        token_id = self.log.random(8).hex()
        secret = base64.urlsafe_b64encode(self.log.random(32)).decode().rstrip("=")
        expires = format_time(expires_at) if expires_at is not None else None
        payload = token_payload(token_id, identity, secret, expires, actor)
        return f"rlt_{token_id}_{secret}", self.log.act("token.issued", payload, key)

    def revoke(self, token_id: str, actor: str, key: Ed25519Signer) -> Entry:
        """Revoke ``token_id``, signed by the holder's or an admin's ``key``."""
        return self.log.act("token.revoked", {"token_id": token_id, "actor": actor}, key)

    def authenticate(self, token: str) -> TokenRecord:
        """The record of a genuine, current token whose holder is active; raises
        SignatureRefusedError otherwise."""
        return authenticate_token(self.log.state(), token, self.log.clock.now())
