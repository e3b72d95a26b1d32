"""Who may act: adding an identity with its roles and public key, rotating its key, revoking it.

Only admins may; the governance state machine checks that, and keeps the last admin."""

from __future__ import annotations

from typing import Any

from governance import actions
from ledger.errors import InputError
from ledger.tlog.entry import Entry
from ledger.tlog.note import Ed25519Signer
from services.governed import GovernedLog


class Identities:
    """Identity statements, signed by ``actor``'s own ``key``.

    ``public_key`` is the standard base64 of a raw 32-byte Ed25519 key. Each method returns
    the appended entry and raises the governance error when the rules say no.
    ``append_signed`` takes one its author signed elsewhere (the HTTP API).
    """

    KINDS = frozenset({"identity.added", "identity.key_rotated", "identity.revoked"})

    def __init__(self, log: GovernedLog) -> None:
        self.log = log

    def add(self, name: str, roles: list[str], public_key: str, actor: str, key: Ed25519Signer) -> Entry:
        return self.log.act("identity.added", actions.identity_added(name, roles, public_key, actor), key)

    def rotate_key(self, name: str, public_key: str, actor: str, key: Ed25519Signer) -> Entry:
        return self.log.act(
            "identity.key_rotated", actions.identity_key_rotated(name, public_key, actor), key
        )

    def revoke(self, name: str, actor: str, key: Ed25519Signer) -> Entry:
        return self.log.act("identity.revoked", actions.identity_revoked(name, actor), key)

    def append_signed(self, kind: str, statement: dict[str, Any]) -> Entry:
        """Append an identity statement signed elsewhere; checked exactly as one signed here.
        Raises InputError for another kind."""
        if kind not in self.KINDS:
            raise InputError(f"{kind!r} is not an identity statement; expected one of {sorted(self.KINDS)}")
        return self.log.append_statement(kind, statement)
