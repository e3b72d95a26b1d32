"""Read-only questions about a decision: what is missing and from whom, and may it ship now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from governance.lifecycle import promotion_outcome
from governance.state import DecisionState, GovernanceState
from governance.verdict import caveats, release_verdict
from ledger.tlog.entry import format_time
from policies.promotion import approval_status


def decision_status(state: GovernanceState, d: DecisionState, moment: datetime) -> dict[str, Any]:
    """Everything ``decision status``, ``gate`` and ``GET /v1/decisions/{id}/status`` show.

    ``phase`` is the state machine's; ``verdict`` is what to show people (see
    governance.verdict): ``blocked: ...`` for a release that failed a blocking gate or
    is red, ``auto-approved (no approval required), ...`` when its tier needs no approval.
    ``caveats`` holds the ledger's own (custom weights, a weights escalation) and the recorded ones.
    """
    verdict = release_verdict(d.phase, d.payload, d.rolled_back_to)
    status = approval_status(d.requirements, d.approvals)
    voted = {a.approver for a in d.approvals}
    missing = [
        {
            "role": role,
            "count": count,
            "who": [n for n in state.holders_of(role) if n != d.requester and n not in voted]
            if role != "any approver role"
            else [],
        }
        for role, count in status.missing
    ]
    outcome = promotion_outcome(state, d, moment, break_glass=False)
    open_items: list[str] = []
    if d.break_glass_open and d.retro_deadline is not None:
        policy = state.policies[d.policy_sha].policy
        roles = policy.break_glass.retrospective_roles if policy.break_glass else []
        overdue = " (OVERDUE)" if moment > d.retro_deadline else ""
        open_items.append(
            f"break-glass promotion awaits a retrospective approval from {', '.join(roles)} "
            f"by {format_time(d.retro_deadline)}{overdue}"
        )
    if verdict.blocked:
        open_items.append(verdict.text)
    elif d.phase in ("pending_approval",) and missing:
        open_items.append("approvals missing: " + status.describe_missing())
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
        "approvals": [
            {"approver": a.approver, "role": a.role, "verdict": a.verdict, "at": format_time(a.at)}
            for a in d.approvals
        ],
        "missing_approvals": missing,
        "canary": d.canary,
        "break_glass": d.break_glass,
        "may_promote_now": outcome.allowed and d.phase not in ("promoted", "superseded", "rolled_back"),
        "blockers": outcome.reasons(),
        "checks": [c.to_json() for c in outcome.checks],
        "open_items": open_items,
        "caveats": caveats(d.payload),
        "production_version": state.production.get(d.model),
        "timeline": [
            {"seq": t.seq, "time": t.time, "kind": t.kind, "actor": t.actor, "summary": t.summary}
            for t in d.timeline
        ],
    }
