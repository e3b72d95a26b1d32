"""The verdict a release shows, through every door: status, gate, the API and the reports.

The lifecycle phase (``state.DecisionState.phase``) is the state machine's: a red release
that needs no approval is in phase ``approved`` as soon as it is recorded, because nothing
else has to happen to it before a promotion is *attempted* (and refused). Shown as it is,
that reads as "approved" next to "band red". The display verdict is derived from the phase
and the recorded assessment instead, here, once: a release that failed a blocking gate or
is red is **blocked** until it is in production (which it can never reach), and a release
whose tier needs no approval says so.

Pure: it reads a ``release.decision`` payload (docs/formats.md §8) and a phase, nothing else,
so the reports (which fold entries without a database) and the governance queries agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.scoring.rules import SUBSCORES

PHASE_TEXT = {
    "pending_approval": "awaiting approval",
    "approved": "approved, not yet promoted",
    "rejected": "rejected",
    "canary_started": "canary running",
    "canary_passed": "canary passed, not yet promoted",
    "canary_failed": "canary failed",
    "promoted": "in production",
    "superseded": "was in production, since superseded",
    "rolled_back": "rolled back",
}
AUTO_APPROVED = "auto-approved (no approval required)"
# Phases before production: a blocked release stays in one of these.
NOT_YET_SHIPPED = frozenset(
    {"pending_approval", "approved", "rejected", "canary_started", "canary_passed", "canary_failed"}
)


@dataclass(frozen=True)
class Verdict:
    """``word`` is the one-word verdict (``blocked``, ``auto-approved``, or the phase);
    ``text`` is the line printed after the release's name; ``reasons`` say why it is blocked."""

    word: str
    text: str
    reasons: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        return self.word == "blocked"


def block_reasons(payload: dict[str, Any]) -> tuple[str, ...]:
    """Why a recorded decision may never ship: its failed blocking gates and a red band.

    Reads ``assessment.gates_passed``, ``assessment.band`` and ``assessment.band_reasons``;
    empty when the release is not blocked by its own evaluation.
    """
    a = payload["assessment"]
    failed_gates = a.get("gates_passed") is False
    if a.get("band") != "red" and not failed_gates:
        return ()
    reasons = tuple(str(r) for r in a.get("band_reasons", []))
    if not reasons:
        reasons = ("a hard gate failed",) if failed_gates else ("band red",)
    return reasons


def needs_no_approval(payload: dict[str, Any]) -> bool:
    return not payload["requirements"]["approvals"]


def release_verdict(phase: str, payload: dict[str, Any], rolled_back_to: str | None = None) -> Verdict:
    """The verdict for a decision in ``phase``, from its recorded ``payload``.

    A failed blocking gate or a red band makes every phase before production ``blocked``,
    whatever the approvals say; ``approved`` with no approval required is ``auto-approved``.
    """
    reasons = block_reasons(payload)
    if reasons and phase in NOT_YET_SHIPPED:
        return Verdict("blocked", "blocked: " + "; ".join(reasons), reasons)
    if phase == "approved" and needs_no_approval(payload):
        return Verdict("auto-approved", f"{AUTO_APPROVED}, not yet promoted")
    text = PHASE_TEXT.get(phase, phase)
    if phase == "rolled_back" and rolled_back_to:
        text += f" to {rolled_back_to}"
    return Verdict(phase, text)


def weight_caveats(payload: dict[str, Any]) -> list[str]:
    """Caveats the ledger adds because of the weights a decision was scored with.

    Custom weights (``assessment.weights.profile == "custom"``) always get one, whether or not
    the policy had rules about them; an escalation by the policy's weight rules
    (``requirements.weights_escalation``) says which tier it raised the release to.
    """
    weights = payload["assessment"]["weights"]
    out: list[str] = []
    if weights.get("profile", "custom") == "custom":
        shown = ", ".join(f"{s} {weights[s]}" for s in SUBSCORES if s in weights)
        out.append(
            f"custom weights ({shown}) chosen in the decision file, not a policy profile: the index is "
            "not comparable with releases scored under a profile"
        )
    escalation = payload["requirements"].get("weights_escalation")
    if isinstance(escalation, dict):
        out.append(
            f"the policy's weight rules ({escalation.get('rule')}) raised the tier from "
            f"{escalation.get('risk_tier')} to {payload['requirements']['tier']}: {escalation.get('reason')}"
        )
    return out


def caveats(payload: dict[str, Any]) -> list[str]:
    """The caveats to show: the ledger's own (weights) first, then those the requester recorded."""
    return [*weight_caveats(payload), *(str(c) for c in payload.get("caveats", []))]
