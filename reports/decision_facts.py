"""One decision as its entries tell it: the submission, its approvals, its events, its phase.

Built by :mod:`reports.lifecycle_facts` while :func:`reports.facts.fold` reads the entries;
read by every report that prints a decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ApprovalFacts:
    """One ``release.approval`` entry, and whether its signature verifies.

    ``key_id`` is the approver's key registered at that point (:func:`reports.ledger_facts.key_id`)
    or ``"not in evidence"``; ``retrospective`` marks an approval of a break-glass promotion
    given after it.
    """

    seq: int
    time: str
    approver: str
    role: str
    verdict: str
    comment: str
    key_id: str
    signature_verified: bool
    retrospective: bool


@dataclass(frozen=True)
class EventFacts:
    """One line of a decision's history: what happened (``summary``), when, and who said so."""

    seq: int
    time: str
    kind: str
    actor: str
    summary: str
    authorship: str  # "signed, key <ID>", "asserted by the operator (...)", or "" for the ledger itself


@dataclass
class DecisionFacts:
    """A ``release.decision`` entry (``payload``, as written) and where its life has got to.

    ``phase`` is one of ``pending_approval``, ``approved``, ``rejected``, ``canary_started``,
    ``canary_passed``, ``canary_failed``, ``promoted``, ``superseded`` and ``rolled_back``;
    ``canary`` is ``none``, ``started``, ``passed`` or ``failed``.
    """

    seq: int
    time: str
    leaf_hex: str
    payload: dict[str, Any]
    authorship: str
    phase: str = "pending_approval"
    approvals: list[ApprovalFacts] = field(default_factory=list)
    events: list[EventFacts] = field(default_factory=list)
    canary: str = "none"
    canary_summary: dict[str, str] = field(default_factory=dict)
    promoted_at: str | None = None
    break_glass: bool = False
    break_glass_reason: str = ""
    retro_approved_by: str | None = None
    rolled_back_to: str | None = None
    rollback_reason: str = ""

    @property
    def model(self) -> str:
        return str(self.payload["model"])

    @property
    def version(self) -> str:
        return str(self.payload["version"])

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.version}"

    @property
    def assessment(self) -> dict[str, Any]:
        value: dict[str, Any] = self.payload["assessment"]
        return value

    @property
    def requirements(self) -> dict[str, Any]:
        value: dict[str, Any] = self.payload["requirements"]
        return value

    @property
    def index(self) -> str:
        return str(self.assessment["index"])

    @property
    def band(self) -> str:
        return str(self.assessment["band"])

    @property
    def tier(self) -> str:
        return str(self.requirements["tier"])

    @property
    def policy_sha(self) -> str:
        return str(self.payload["policy"]["sha256"])

    @property
    def requester(self) -> str:
        return str(self.payload["requested_by"])

    @property
    def break_glass_open(self) -> bool:
        """Promoted by break-glass and not yet approved retrospectively."""
        return self.break_glass and self.retro_approved_by is None
