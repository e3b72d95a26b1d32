"""What the pages show, read from the ledger's state and the services; no rule is decided here.

Whether a button is offered is a convenience computed from the same functions the CLI uses
(``services.lifecycle.approval_role``); the ledger decides again on append and its refusal is
what the reviewer sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from governance.lifecycle import rollback_targets
from governance.queries import decision_status
from governance.state import PROMOTER_ROLES, DecisionState, GovernanceState
from governance.verdict import caveats
from ledger.errors import LedgerError
from services.ledger_service import LedgerService
from services.lifecycle import approval_role

SUBSCORES = ("performance", "reliability", "cost", "safety")
OPEN_FOR_APPROVAL = frozenset({"pending_approval"})
SETTLED = frozenset({"promoted", "superseded", "rolled_back"})  # no promotion, break-glass or not


@dataclass(frozen=True)
class QueueRow:
    d: DecisionState
    role: str
    age: str


def age(then: datetime, now: datetime) -> str:
    """``3 d 4 h`` or ``5 h 12 min``: how long a decision has waited, from the app's clock."""
    minutes = max(0, int((now - then).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days} d {hours} h" if days else f"{hours} h {mins} min"


def role_for(state: GovernanceState, d: DecisionState, who: str) -> str | None:
    """The role ``who`` would approve ``d`` in now, or None when there is nothing for them to
    do (not open, their own request, already voted, or no role it still needs)."""
    open_now = d.phase in OPEN_FOR_APPROVAL or d.break_glass_open
    if not open_now or who == d.requester or any(a.approver == who for a in d.approvals):
        return None
    try:
        return approval_role(state, d, who, reject=False)
    except LedgerError:
        return None


def queue(
    service: LedgerService, who: str, *, model: str = "", band: str = "", tier: str = ""
) -> list[QueueRow]:
    state = service.state()
    now = service.clock.now()
    rows = []
    for d in sorted(state.decisions.values(), key=lambda d: d.seq):
        role = role_for(state, d, who)
        if role is None:
            continue
        if (model and model not in d.model) or (band and d.band != band) or (tier and d.tier != tier):
            continue
        rows.append(QueueRow(d, role, age(d.time, now)))
    return rows


def scorecard(payload: dict[str, Any]) -> list[dict[str, str]]:
    subscores = payload["assessment"]["subscores"]
    return [{"name": name, **subscores[name]} for name in SUBSCORES if name in subscores]


def decision_view(
    service: LedgerService, d: DecisionState, who: str, roles: frozenset[str]
) -> dict[str, Any]:
    """Everything the decision page shows, as plain values for the template."""
    from reports.charts import subscores as subscores_chart

    state = service.state()
    now = service.clock.now()
    payload = d.payload
    status = decision_status(state, d, now)
    rows = scorecard(payload)
    rollback = payload.get("rollback", {})
    rehearsed = rollback.get("rehearsed_at")
    return {
        "d": d,
        "p": payload,
        "a": payload["assessment"],
        "st": status,
        "rows": rows,
        "custom_weights": payload["assessment"]["weights"].get("profile") == "custom",
        "caveats": caveats(payload),
        "chart": subscores_chart(
            [r["name"] for r in rows],
            [r["baseline"] for r in rows],
            [r["candidate"] for r in rows],
            f"{d.model} {d.version}: subscores, baseline against candidate",
        ),
        "rehearsal_age": age(_parse(rehearsed), now) if isinstance(rehearsed, str) else None,
        "inclusion": _inclusion(service, d),
        "approve_role": role_for(state, d, who),
        **_operations(state, d, status, bool(roles & PROMOTER_ROLES)),
    }


def _operations(
    state: GovernanceState, d: DecisionState, status: dict[str, Any], promoter: bool
) -> dict[str, Any]:
    """What the act dialog offers a promoter: Promote only when ``rledger gate``'s check
    (governance.queries.decision_status, via services Decisions.status) says it may be promoted
    now, else the gate's reasons; break-glass (which exists to pass a closed gate) while the
    release is not settled; rollback only to the versions the ledger accepts
    (governance.lifecycle.rollback_targets). The ledger decides again on append."""
    if not promoter:
        return {"may_promote": False, "may_break_glass": False, "promote_blockers": []} | {
            "rollback_targets": []
        }
    may = bool(status["may_promote_now"])
    return {
        "may_promote": may,
        "may_break_glass": d.phase not in SETTLED,
        # worded as `rledger gate` words them (cli.release_cmds.gate)
        "promote_blockers": [] if may else list(status["blockers"]) or [f"the release is {status['phase']}"],
        "rollback_targets": rollback_targets(state, d),
    }


def _parse(text: str) -> datetime:
    from ledger.tlog.entry import parse_time

    return parse_time(text)


def _inclusion(service: LedgerService, d: DecisionState) -> str:
    """Whether the entry is proven into the latest signed checkpoint: the checkpoint's
    signature, the leaf hash and the RFC 9162 proof are each checked with the ledger's own
    functions, as an auditor's client does."""
    import base64

    from ledger.tlog.checkpoint import Checkpoint
    from ledger.tlog.merkle import verify_inclusion

    try:
        checkpoint = Checkpoint.open(service.log.latest_checkpoint(), service.log.verifier())
        if d.seq >= checkpoint.size:
            return f"not yet covered by a checkpoint (the latest covers {checkpoint.size} entries)"
        proof = service.log.inclusion_proof(d.seq, checkpoint.size)
        leaf = base64.b64decode(proof["leaf_hash"])
        if leaf.hex() != d.leaf_hex:
            return "the stored leaf hash differs from the decision's entry hash"
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        verify_inclusion(d.seq, checkpoint.size, leaf, hashes, checkpoint.root)
    except (LedgerError, ValueError) as exc:
        return f"inclusion proof does not verify: {exc}"
    return f"proven: entry {d.seq} is in the signed checkpoint of size {checkpoint.size} (RFC 9162)"
