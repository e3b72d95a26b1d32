"""A decision's life as its entries tell it: submitted, approved or rejected, canary, promoted,
superseded, rolled back.

:func:`record_decision` starts a decision's facts from its ``release.decision`` entry;
:func:`record_lifecycle` applies each later ``release.*`` entry that names it by leaf hash.
Every step adds an :class:`EventFacts` line with its authorship: whether the statement's
signature verifies under the key its author had registered at that point
(:func:`governance.statements.check_statement`), or which API token attested it.
"""

from __future__ import annotations

from collections.abc import Callable

from governance.statements import check_statement
from ledger.errors import LedgerError
from ledger.tlog.entry import Entry, parse_time
from policies.promotion import ApprovalFact, approval_status
from reports.decision_facts import ApprovalFacts, DecisionFacts, EventFacts
from reports.ledger_facts import LedgerFacts, key_id


def record_decision(facts: LedgerFacts, entry: Entry) -> None:
    """Add the decision a ``release.decision`` entry submits, awaiting approval if its tier asks."""
    p = entry.payload
    leaf = entry.leaf_hash.hex()
    requester = str(p.get("requested_by", ""))
    d = DecisionFacts(entry.seq, entry.time, leaf, p, authorship(facts, entry, requester))
    d.phase = "pending_approval" if d.requirements["approvals"] else "approved"
    a = d.assessment
    summary = f"submitted: index {a['index']}, band {a['band']}, tier {d.tier}"
    d.events.append(EventFacts(entry.seq, entry.time, entry.kind, requester, summary, d.authorship))
    facts.decisions[leaf] = d


def record_lifecycle(facts: LedgerFacts, entry: Entry) -> None:
    """Apply a ``release.*`` lifecycle entry to the decision it names; one not folded is skipped."""
    d = facts.decisions.get(str(entry.payload.get("decision", "")))
    if d is None:
        return
    if entry.kind == "release.approval":
        _approval(facts, d, entry)
        return
    step = _STEPS.get(entry.kind)
    if step is not None:
        step(facts, d, entry, str(entry.payload.get("actor", "")))


def authorship(facts: LedgerFacts, entry: Entry, author: str) -> str:
    """How ``entry`` is authored, in words: ``signed, key <key ID>`` (with a warning when the
    signature does not verify), ``asserted by the operator (API token <id>, …)`` for an
    older-format entry attested by a token, or ``""`` for an entry neither signed nor attested."""
    p = entry.payload
    if isinstance(p.get("signature"), str):
        key = _key_at(facts, author, entry.seq)
        if key is None:
            return "signed (key not in evidence)"
        ok = signature_verifies(entry, key, author, facts.statement_origin())
        return f"signed, key {key_id(key)}" + ("" if ok else ", SIGNATURE DOES NOT VERIFY")
    attestation = p.get("attestation")
    if isinstance(attestation, dict):
        return f"asserted by the operator (API token {attestation.get('token', '?')}, no signature)"
    return ""


def signature_verifies(entry: Entry, key: bytes, author: str, origin: str | None) -> bool:
    """Whether ``entry``'s statement signature verifies under ``key`` (raw Ed25519) for
    ``author``, over the statement bytes of the ledger's format (``origin`` from format 4)."""
    try:
        check_statement(entry.kind, entry.payload, key, author, origin=origin)
    except LedgerError:
        return False
    return True


def _key_at(facts: LedgerFacts, name: str, seq: int) -> bytes | None:
    who = facts.identities.get(name)
    return who.key_at(seq) if who else None


def _event(facts: LedgerFacts, d: DecisionFacts, entry: Entry, actor: str, summary: str) -> None:
    event = EventFacts(entry.seq, entry.time, entry.kind, actor, summary, authorship(facts, entry, actor))
    d.events.append(event)


# -- approvals ---------------------------------------------------------------------------------


def _approval(facts: LedgerFacts, d: DecisionFacts, entry: Entry) -> None:
    # An approval given after a break-glass promotion is retrospective: it closes the
    # break-glass instead of moving the phase.
    retrospective = d.phase == "promoted" and d.break_glass_open
    approval = _approval_facts(facts, entry, retrospective)
    d.approvals.append(approval)
    if retrospective:
        if approval.verdict == "approve":
            d.retro_approved_by = approval.approver
        summary = f"retrospective {approval.verdict} as {approval.role}"
    else:
        _settle_approval_phase(d)
        summary = f"{approval.verdict} as {approval.role}"
    _event(facts, d, entry, approval.approver, summary)


def _approval_facts(facts: LedgerFacts, entry: Entry, retrospective: bool) -> ApprovalFacts:
    p = entry.payload
    approver = str(p.get("approver", ""))
    key = _key_at(facts, approver, entry.seq)
    return ApprovalFacts(
        entry.seq,
        entry.time,
        approver,
        str(p.get("role", "")),
        str(p.get("verdict", "")),
        str(p.get("comment", "")),
        key_id(key) if key is not None else "not in evidence",
        key is not None and signature_verifies(entry, key, approver, facts.statement_origin()),
        retrospective,
    )


def _settle_approval_phase(d: DecisionFacts) -> None:
    """Rejected or approved once the approvals so far decide it (policies.promotion)."""
    status = approval_status(
        d.requirements,
        [ApprovalFact(a.approver, a.role, a.verdict, parse_time(a.time)) for a in d.approvals],  # type: ignore[arg-type]
    )
    if status.rejected_by:
        d.phase = "rejected"
    elif status.satisfied:
        d.phase = "approved"


# -- canary, promotion, rollback ---------------------------------------------------------------


def _canary_started(facts: LedgerFacts, d: DecisionFacts, entry: Entry, actor: str) -> None:
    d.phase, d.canary = "canary_started", "started"
    _event(facts, d, entry, actor, "canary started")


def _canary_result(facts: LedgerFacts, d: DecisionFacts, entry: Entry, actor: str) -> None:
    p = entry.payload
    passed = p.get("verdict") == "pass"
    d.phase = "canary_passed" if passed else "canary_failed"
    d.canary = "passed" if passed else "failed"
    summary = p.get("summary", {})
    d.canary_summary = {str(k): str(v) for k, v in summary.items()} if isinstance(summary, dict) else {}
    shown = ", ".join(f"{k} {v}" for k, v in sorted(d.canary_summary.items()))
    _event(facts, d, entry, actor, f"canary {p.get('verdict')}" + (f" ({shown})" if shown else ""))


def _promoted(facts: LedgerFacts, d: DecisionFacts, entry: Entry, actor: str) -> None:
    p = entry.payload
    previous = facts.production.get(d.model)
    if previous is not None and previous in facts.decisions:
        old = facts.decisions[previous]
        old.phase = "superseded"
        _event(facts, old, entry, actor, f"superseded by {d.version}")
    d.phase, d.promoted_at = "promoted", entry.time
    d.break_glass = bool(p.get("break_glass"))
    d.break_glass_reason = str(p.get("reason", "")) if d.break_glass else ""
    facts.production[d.model] = d.leaf_hex
    supersedes = p.get("supersedes")
    text = "promoted" + (f" by BREAK-GLASS: {d.break_glass_reason}" if d.break_glass else "")
    _event(facts, d, entry, actor, text + (f", superseding {supersedes}" if supersedes else ""))


def _rolled_back(facts: LedgerFacts, d: DecisionFacts, entry: Entry, actor: str) -> None:
    # The version rolled back to is in production again.
    p = entry.payload
    target = str(p.get("to_version", ""))
    d.phase, d.rolled_back_to, d.rollback_reason = "rolled_back", target, str(p.get("reason", ""))
    facts.production.pop(d.model, None)
    for other in facts.decisions.values():
        if other.model == d.model and other.version == target:
            other.phase = "promoted"
            facts.production[d.model] = other.leaf_hex
    _event(facts, d, entry, actor, f"rolled back to {target}: {p.get('reason', '')}")


_STEPS: dict[str, Callable[[LedgerFacts, DecisionFacts, Entry, str], None]] = {
    "release.canary_started": _canary_started,
    "release.canary_result": _canary_result,
    "release.promoted": _promoted,
    "release.rolled_back": _rolled_back,
}
