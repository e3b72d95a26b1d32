"""The ledger's services composed over one store, clock and signing key: what the CLI, the
HTTP API, the reports and the benchmarks hold.

    service = LedgerService(store, clock, signer)
    recorded = service.decisions.submit(data, actor, key)
    service.lifecycle.approve(recorded.ref.leaf_hex, approver, approver_key)
    service.verification.verify()
"""

from __future__ import annotations

import os
from collections.abc import Callable

from governance.state import GovernanceState
from ledger.clock import Clock
from ledger.tlog.note import Signer
from services.decisions import Decisions
from services.governed import GovernedLog
from services.identities import Identities
from services.lifecycle import Lifecycle
from services.log import TransparencyLog
from services.policy_admin import PolicyAdmin
from services.ports import DecisionRef, LogStore, WitnessTransport
from services.setup import LedgerSetup
from services.tokens import Tokens
from services.verification import Verification
from services.witness_config import WitnessConfig
from services.witnessing import Witnessing


class LedgerService:
    """One service per concept, sharing one governed log (and so one cached governance state).

    ``signer`` is the ledger's checkpoint key, needed only to write; ``random`` makes token
    ids and secrets (os.urandom unless a test or the demo pins it).
    """

    def __init__(
        self,
        store: LogStore,
        clock: Clock,
        signer: Signer | None = None,
        random: Callable[[int], bytes] = os.urandom,
        witnesses: WitnessConfig | None = None,
        transport: WitnessTransport | None = None,
    ) -> None:
        self.governed = GovernedLog(store, clock, signer, random)
        self.setup = LedgerSetup(self.governed)
        self.decisions = Decisions(self.governed)
        self.lifecycle = Lifecycle(self.governed)
        self.identities = Identities(self.governed)
        self.tokens = Tokens(self.governed)
        self.policies = PolicyAdmin(self.governed)
        self.log = TransparencyLog(store)
        self.verification = Verification(store, witnesses)
        self.witnessing = Witnessing(store, witnesses, transport, clock.now)
        if self.witnessing.enabled:
            self.governed.after_append = self.witnessing.after_append

    @property
    def store(self) -> LogStore:
        return self.governed.store

    @property
    def clock(self) -> Clock:
        return self.governed.clock

    @property
    def signer(self) -> Signer | None:
        return self.governed.signer

    def state(self) -> GovernanceState:
        """The governance state as of the latest entry (see GovernedLog.state)."""
        return self.governed.state()

    def resolve(self, decision_id: str) -> DecisionRef:
        """``MODEL@VERSION``, a full leaf hash or a unique prefix, as a DecisionRef."""
        return self.governed.resolve(decision_id)
