"""What a fold of entries knows about the whole ledger: its origin, who may sign, which policies
were adopted, every decision, and which version of each model is in production.

Built by :func:`reports.facts.fold`; the decisions themselves are :mod:`reports.decision_facts`.
Key IDs printed in reports are the first 4 bytes (8 hex digits) of SHA-256 over the raw
32-byte Ed25519 public key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from governance.formats import PERSONAL_SIGNATURES
from ledger.tlog.entry import Entry
from policies.loader import LoadedPolicy
from reports.decision_facts import DecisionFacts


def key_id(public_key: bytes) -> str:
    """The key ID reports print: the first 4 bytes of SHA-256(raw public key), as 8 hex."""
    return hashlib.sha256(public_key).hexdigest()[:8]


@dataclass
class IdentityFacts:
    """A person registered by ``identity.*`` entries: roles, each key with the seq it was
    registered at (raw 32-byte Ed25519), and the seq of the revocation if any."""

    name: str
    roles: tuple[str, ...]
    keys: list[tuple[int, bytes]] = field(default_factory=list)  # (seq registered, raw key)
    revoked_seq: int | None = None

    def key_at(self, seq: int) -> bytes | None:
        """The key registered most recently before entry ``seq``."""
        found = None
        for registered, key in self.keys:
            if registered < seq:
                found = key
        return found


@dataclass(frozen=True)
class PolicyFacts:
    """A ``policy.adopted`` entry: when, by whom, and the policy it carries, loaded."""

    seq: int
    time: str
    actor: str
    loaded: LoadedPolicy

    @property
    def sha256(self) -> str:
        return self.loaded.sha256


@dataclass
class LedgerFacts:
    """Everything the folded entries say, keyed for the reports' questions."""

    entries: dict[int, Entry] = field(default_factory=dict)
    origin: str | None = None
    format: int = 1  # ledger.init's declared format (governance/formats.py)
    genesis_verifier_key: str | None = None
    identities: dict[str, IdentityFacts] = field(default_factory=dict)
    policies: dict[str, PolicyFacts] = field(default_factory=dict)
    policy_order: list[str] = field(default_factory=list)  # sha256 in adoption order
    decisions: dict[str, DecisionFacts] = field(default_factory=dict)  # leaf hex -> facts
    production: dict[str, str] = field(default_factory=dict)  # model -> leaf hex in production

    def statement_origin(self) -> str | None:
        """The origin statements sign over (None before format 4; governance.statements)."""
        return self.origin if self.format >= PERSONAL_SIGNATURES else None

    def decision_by_ref(self, ref: str) -> DecisionFacts | None:
        """The decision for ``model@version``, if folded."""
        for d in self.decisions.values():
            if d.ref == ref:
                return d
        return None

    def model_decisions(self, model: str) -> list[DecisionFacts]:
        """A model's decisions in seq order."""
        return sorted((d for d in self.decisions.values() if d.model == model), key=lambda d: d.seq)

    def policy_before(self, seq: int) -> PolicyFacts | None:
        """The policy in force just before entry ``seq`` (among the entries folded)."""
        found = None
        for sha in self.policy_order:
            p = self.policies[sha]
            if p.seq < seq:
                found = p
        return found
