"""Creating a ledger: the genesis entry, the first admin (self-registered) and the first policy."""

from __future__ import annotations

from typing import Any

from governance import actions
from governance.formats import LEDGER_FORMAT, PERSONAL_SIGNATURES
from governance.state import ADMIN
from governance.statements import sign_statement
from ledger.errors import InputError
from ledger.tlog.note import Ed25519Signer, Signer
from policies.loader import LoadedPolicy, load_default_policy
from services.governed import GovernedLog
from services.ports import AppendResult, PendingEntry

GENESIS_KIND = "ledger.init"


def genesis_entries(
    origin: str, signer: Signer, admin: str, admin_key: Ed25519Signer, policy: LoadedPolicy
) -> list[PendingEntry]:
    """Entries 0-2 of every log: ``ledger.init`` (origin, checkpoint key, format), the admin
    adding themself, and the admin adopting ``policy``; both statements signed by ``admin_key``."""
    genesis = {"origin": origin, "verifier_key": signer.verifier_key, "format": LEDGER_FORMAT}
    public = actions.public_key_b64(admin_key)
    signed_over = origin if LEDGER_FORMAT >= PERSONAL_SIGNATURES else None
    p = policy.policy
    adopted = actions.policy_adopted(p.policy_id, p.version, policy.sha256, policy.text, admin)
    return [
        PendingEntry(GENESIS_KIND, genesis),
        _signed(
            "identity.added", actions.identity_added(admin, [ADMIN], public, admin), admin_key, signed_over
        ),
        _signed("policy.adopted", adopted, admin_key, signed_over),
    ]


def _signed(kind: str, statement: dict[str, Any], key: Ed25519Signer, origin: str | None) -> PendingEntry:
    return PendingEntry(kind, sign_statement(kind, statement, key, origin=origin))


class LedgerSetup:
    """Creates the log in an empty store."""

    def __init__(self, log: GovernedLog) -> None:
        self.log = log

    def initialize(
        self, origin: str, admin: str, admin_key: Ed25519Signer, policy: LoadedPolicy | None = None
    ) -> AppendResult:
        """Create the log: genesis, the first admin (self-registered), and the policy in force
        (the default policy unless given). Raises InputError when the ledger's signing key is
        not named ``origin``, AlreadyInitializedError when the store holds a ledger already."""
        signer = self.log.signing_key()
        if signer.name != origin:
            raise InputError(f"the signing key is named {signer.name!r}, the origin is {origin!r}")
        genesis = genesis_entries(origin, signer, admin, admin_key, policy or load_default_policy())
        return self.log.store.initialize(
            origin, signer.verifier_key, genesis, self.log.clock.now, signer, self.log.check
        )
