"""Who may act: adding an identity with its roles and public key, rotating its key, revoking it.

Only admins may; the governance state machine checks that, and keeps the last admin."""

from __future__ import annotations

from governance import actions
from ledger.tlog.entry import Entry
from ledger.tlog.note import Ed25519Signer
from services.governed import GovernedLog


class Identities:
    """Identity statements, signed by ``actor``'s ``key`` or attested by an API token.

    ``public_key`` is the standard base64 of a raw 32-byte Ed25519 key. Each method returns
    the appended entry and raises the governance error when the rules say no.
    """

    def __init__(self, log: GovernedLog) -> None:
        self.log = log

    def add(
        self,
        name: str,
        roles: list[str],
        public_key: str,
        actor: str,
        key: Ed25519Signer | None,
        *,
        token_id: str | None = None,
    ) -> Entry:
        payload = actions.identity_added(name, roles, public_key, actor)
        return self.log.act("identity.added", payload, key, token_id)

    def rotate_key(
        self,
        name: str,
        public_key: str,
        actor: str,
        key: Ed25519Signer | None,
        *,
        token_id: str | None = None,
    ) -> Entry:
        payload = actions.identity_key_rotated(name, public_key, actor)
        return self.log.act("identity.key_rotated", payload, key, token_id)

    def revoke(
        self, name: str, actor: str, key: Ed25519Signer | None, *, token_id: str | None = None
    ) -> Entry:
        return self.log.act("identity.revoked", actions.identity_revoked(name, actor), key, token_id)
