"""Read-only questions about a decision: what is missing and from whom, and may it ship now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from governance.controls import promotion_outcome
from governance.state import DecisionState, GovernanceState, TimelineEvent
from governance.verdict import Verdict, caveats, release_verdict
from ledger.tlog.entry import format_time
from policies.promotion import ApprovalFact, ApprovalStatus, approval_status


def decision_status(state: GovernanceState, d: DecisionState, moment: datetime) -> dict[str, Any]:
    """Everything ``decision status``, ``gate`` and ``GET /v1/decisions/{id}/status`` show.

    ``phase`` is the state machine's; ``verdict`` is what to show people (see
    governance.verdict): ``blocked: ...`` for a release that failed a blocking gate or
    is red, ``auto-approved (no approval required), ...`` when its tier needs no approval.
    ``caveats`` holds the ledger's own (custom weights, a weights escalation) and the recorded ones.
    """
    verdict = release_verdict(d.phase, d.payload, d.rolled_back_to)
    status = approval_status(d.requirements, d.approvals)
    missing = _missing_approvals(state, d, status)
    outcome = promotion_outcome(state, d, moment, break_glass=False)
    open_items = _open_items(state, d, moment, verdict, status)
    return {
        "decision": d.ref,
        "hash": d.leaf_hex,
        "phase": d.phase,
        "verdict": verdict.text,
        "blocked": verdict.blocked,
        "band": d.band,
        "tier": d.tier,
        "rollout": d.requirements["rollout"]["mode"],
        "requested_by": d.requester,
        "approvals": [_approval_item(a) for a in d.approvals],
        "missing_approvals": missing,
        "canary": d.canary,
        "break_glass": d.break_glass,
        "may_promote_now": outcome.allowed and d.phase not in ("promoted", "superseded", "rolled_back"),
        "blockers": outcome.reasons(),
        "checks": [c.to_json() for c in outcome.checks],
        "open_items": open_items,
        "caveats": caveats(d.payload),
        "production_version": state.production.get(d.model),
        "timeline": [_timeline_item(t) for t in d.timeline],
    }


def _missing_approvals(
    state: GovernanceState, d: DecisionState, status: ApprovalStatus
) -> list[dict[str, Any]]:
    """Each role still short of approvals, how many, and who could give them.

    Neither the requester nor anyone who has already voted can; nor can anyone be named for
    the distinct-approvers floor, which any role may meet.
    """
    voted = {a.approver for a in d.approvals}
    return [
        {
            "role": role,
            "count": count,
            "who": [n for n in state.holders_of(role) if n != d.requester and n not in voted]
            if role != "any approver role"
            else [],
        }
        for role, count in status.missing
    ]


def _open_items(
    state: GovernanceState,
    d: DecisionState,
    moment: datetime,
    verdict: Verdict,
    status: ApprovalStatus,
) -> list[str]:
    """What still needs doing: a break-glass retrospective, then a block or the missing approvals."""
    open_items: list[str] = []
    if d.break_glass_open and d.retro_deadline is not None:
        open_items.append(_retrospective_item(state, d, d.retro_deadline, moment))
    if verdict.blocked:
        open_items.append(verdict.text)
    elif d.phase == "pending_approval" and status.missing:
        open_items.append("approvals missing: " + status.describe_missing())
    return open_items


def _retrospective_item(
    state: GovernanceState, d: DecisionState, deadline: datetime, moment: datetime
) -> str:
    policy = state.policies[d.policy_sha].policy
    roles = policy.break_glass.retrospective_roles if policy.break_glass else []
    overdue = " (OVERDUE)" if moment > deadline else ""
    return (
        f"break-glass promotion awaits a retrospective approval from {', '.join(roles)} "
        f"by {format_time(deadline)}{overdue}"
    )


def _approval_item(a: ApprovalFact) -> dict[str, Any]:
    return {"approver": a.approver, "role": a.role, "verdict": a.verdict, "at": format_time(a.at)}


def _timeline_item(t: TimelineEvent) -> dict[str, Any]:
    return {"seq": t.seq, "time": t.time, "kind": t.kind, "actor": t.actor, "summary": t.summary}
