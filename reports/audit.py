"""The auditor export's content for a period (pure): summary, verification, decisions, health."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from governance.verdict import caveats, release_verdict
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import format_time, parse_time
from policies.promotion import ApprovalFact, approval_status
from reports import fmt, health, policydiff
from reports.evidence import Figure
from reports.facts import ApprovalFacts, DecisionFacts, EventFacts, LedgerFacts
from reports.period import Period, parse_period

REPORT_TYPE = "audit"
# The body lists decisions one by one only up to this many; a larger audit lists its exceptions
# (at most this many) and counts the rest, every one of which is in the attached evidence.
MAX_LISTED = 50
# Releases per model drawn in the delivery-health chart (the newest ones); the means use all.
TREND_SHOWN = 30


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _in_scope(d: DecisionFacts, model: str | None) -> bool:
    return model is None or d.model == model


def _retro(facts: LedgerFacts, d: DecisionFacts, as_of: str) -> dict[str, Any]:
    policy = facts.policies.get(d.policy_sha)
    rule = policy.loaded.policy.break_glass if policy else None
    deadline = ""
    overdue = False
    if rule is not None and d.promoted_at is not None:
        due = parse_time(d.promoted_at) + timedelta(hours=rule.retrospective_within_hours)
        deadline = format_time(due)
        overdue = d.break_glass_open and parse_time(as_of) > due
    retro = next((a for a in d.approvals if a.retrospective), None)
    if d.break_glass_open:
        status = "AWAITING retrospective approval" + (" (OVERDUE)" if overdue else "")
    elif retro is not None:
        status = f"retrospective {retro.verdict} by {retro.approver} ({retro.role}) {fmt.when(retro.time)}"
    else:
        status = "closed"
    return {
        "decision": d.ref,
        "promoted": fmt.when(d.promoted_at),
        "reason": d.break_glass_reason,
        "roles": ", ".join(rule.retrospective_roles) if rule else "-",
        "deadline": fmt.when(deadline) if deadline else "-",
        "status": status,
        "open": d.break_glass_open,
    }


def _missing(d: DecisionFacts) -> str:
    facts = [ApprovalFact(a.approver, a.role, a.verdict, parse_time(a.time)) for a in d.approvals]  # type: ignore[arg-type]
    return approval_status(d.requirements, facts).describe_missing()


def exceptions(d: DecisionFacts) -> list[str]:
    """Why an auditor should look at a decision (empty: nothing exceptional)."""
    reasons = [f"gate {g['name']} FAILED" for g in d.assessment["gates"] if not g["passed"]]
    if d.break_glass:
        reasons.append("break-glass promotion")
    if d.phase == "rejected":
        reasons.append("rejected")
    elif d.phase == "rolled_back" or d.rolled_back_to is not None:
        reasons.append(f"rolled back to {d.rolled_back_to or '-'}")
    elif d.phase == "canary_failed":
        reasons.append("canary failed")
    elif d.phase == "pending_approval":
        reasons.append(f"awaiting approval: {_missing(d) or 'none missing'}")
    return reasons


def _open_items(facts: LedgerFacts, scope: list[DecisionFacts], as_of: str) -> list[dict[str, str]]:
    items = []
    for d in scope:
        if d.break_glass_open:
            items.append(
                {"decision": d.ref, "item": "break-glass promotion: " + _retro(facts, d, as_of)["status"]}
            )
        verdict = release_verdict(d.phase, d.payload, d.rolled_back_to)
        if verdict.blocked:
            # Blocked before anything else: approvals or a canary cannot make it shippable.
            items.append({"decision": d.ref, "item": verdict.text})
        elif d.phase == "pending_approval":
            items.append({"decision": d.ref, "item": f"awaiting approval: {_missing(d) or 'none missing'}"})
        elif d.phase in ("approved", "canary_passed"):
            items.append({"decision": d.ref, "item": f"{verdict.text} (band {d.band})"})
        elif d.phase == "canary_started":
            items.append({"decision": d.ref, "item": "canary running, no result recorded"})
    return items


def _policy_changes(facts: LedgerFacts, period: Period, scope: list[DecisionFacts]) -> list[dict[str, Any]]:
    changes = []
    for sha in facts.policy_order:
        p = facts.policies[sha]
        if not period.contains_time(p.time):
            continue
        previous = facts.policy_before(p.seq)
        label = f"{p.loaded.policy.policy_id} v{p.loaded.policy.version}"
        diff = policydiff.structural_diff(previous.loaded, p.loaded) if previous else []
        changes.append(
            {
                "seq": p.seq,
                "when": fmt.when(p.time),
                "actor": p.actor,
                "label": label,
                "sha256": p.sha256,
                "previous": (
                    f"{previous.loaded.policy.policy_id} v{previous.loaded.policy.version}"
                    if previous
                    else "none"
                ),
                "diff": diff[: policydiff.MAX_SHOWN],
                "diff_count": len(diff),
                "impact": policydiff.outcome_changes(previous.loaded, p.loaded, scope) if previous else [],
            }
        )
    return changes


def _detail(d: DecisionFacts) -> dict[str, Any]:
    gates = d.assessment["gates"]
    rollback = d.payload["rollback"]
    return {
        "ref": d.ref,
        "anchor": "d-" + d.leaf_hex[:16],
        "leaf_hex": d.leaf_hex,
        "seq": d.seq,
        "submitted": fmt.when(d.time),
        "requested_by": d.requester,
        "index": d.index,
        "band": d.band,
        "tier": d.tier,
        "risk": d.assessment["risk"]["score"],
        "escalation": d.assessment["risk"].get("escalation") or "",
        # A decision may leave risk factors out; the score then assumed each at its worst.
        "not_given": sorted(
            name for name, f in d.assessment["risk"].get("factors", {}).items() if f.get("assumed_worst")
        ),
        "phase": fmt.verdict_text(d.phase, d.payload, d.rolled_back_to),
        "caveats": caveats(d.payload),
        "policy": f"{d.payload['policy']['policy_id']} v{d.payload['policy']['version']}",
        "profile": d.assessment["weights"].get("profile", "custom"),
        "classification": d.payload["data_sensitivity"]["classification"],
        "gates": f"{sum(1 for g in gates if g['passed'])} of {len(gates)} pass"
        + "".join(f"; {g['name']} FAILED" for g in gates if not g["passed"]),
        "rollback": f"{rollback['target_version']} via {rollback.get('mechanism', '-')}",
        "approvals": [
            f"{a.approver} ({a.role}) {a.verdict}{' retrospective' if a.retrospective else ''}, "
            f"{fmt.when(a.time)}, key {a.key_id}, {'verified' if a.signature_verified else 'NOT verified'}"
            for a in d.approvals
        ],
        "events": [
            {"seq": e.seq, "when": fmt.when(e.time), "actor": e.actor, "summary": e.summary}
            for e in sorted(d.events, key=lambda e: e.seq)
        ],
        "break_glass": d.break_glass,
        "reasons": exceptions(d),
    }


def _unique(decisions: list[DecisionFacts]) -> list[DecisionFacts]:
    return sorted({d.leaf_hex: d for d in decisions}.values(), key=lambda d: d.seq)


def _health(scope: list[DecisionFacts]) -> list[dict[str, Any]]:
    """Each model's health; its trend (chart, notes) keeps the newest TREND_SHOWN releases."""
    out = []
    for m in health.delivery_health(scope):
        data = m.to_json()
        trend = list(data["trend"])  # type: ignore[call-overload]
        data["trend"], data["trend_total"] = trend[-TREND_SHOWN:], len(trend)
        out.append(data)
    return out


def _counts(values: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return dict(sorted(counts.items()))


def _listing(scope: list[DecisionFacts]) -> tuple[list[DecisionFacts], dict[str, Any]]:
    """The decisions the body lists one by one: all of them up to MAX_LISTED, otherwise the
    first MAX_LISTED with an exception; and the breakdown of them all by band, tier, outcome."""
    flagged = [d for d in scope if exceptions(d)]
    everything = len(scope) <= MAX_LISTED
    listed = scope if everything else flagged[:MAX_LISTED]
    return listed, {
        "all": everything,
        "total": len(scope),
        "exceptions": len(flagged),
        "shown": len(listed),
        "band": _counts([d.band for d in scope]),
        "tier": _counts([d.tier for d in scope]),
        "outcome": _counts([d.phase for d in scope]),
    }


@dataclass(frozen=True)
class _Scope:
    """The decisions an audit covers: ``everything`` for the model (all time, by seq), ``scope``
    those recorded in the period, and what happened to any of them in the period."""

    period: Period
    everything: list[DecisionFacts]
    scope: list[DecisionFacts]
    in_period: dict[int, EventFacts]
    approvals: list[ApprovalFacts]
    break_glass: list[DecisionFacts]
    still_open: list[DecisionFacts]


def _scope(facts: LedgerFacts, period: Period, model: str | None) -> _Scope:
    everything = [d for d in sorted(facts.decisions.values(), key=lambda d: d.seq) if _in_scope(d, model)]
    # An event can appear on two decisions (a promotion also supersedes): count entries, not events.
    in_period = {
        e.seq: e for d in everything for e in d.events if period.contains_time(e.time) and e.seq != d.seq
    }
    return _Scope(
        period,
        everything,
        [d for d in everything if period.contains_time(d.time)],
        in_period,
        [a for d in everything for a in d.approvals if period.contains_time(a.time)],
        [d for d in everything if d.break_glass and d.promoted_at and period.contains_time(d.promoted_at)],
        [d for d in everything if d.break_glass_open],
    )


def _summary(sc: _Scope, policy_changes: list[dict[str, Any]]) -> dict[str, int]:
    events = sc.in_period.values()
    return {
        "decisions": len(sc.scope),
        "approvals": sum(1 for a in sc.approvals if a.verdict == "approve"),
        "rejections": sum(1 for a in sc.approvals if a.verdict == "reject"),
        "promotions": sum(1 for e in events if e.kind == "release.promoted"),
        "rollbacks": sum(1 for e in events if e.kind == "release.rolled_back"),
        "break_glass": len(sc.break_glass),
        "awaiting_retro": len(sc.still_open),
        "policy_changes": len(policy_changes),
    }


def _consistency(extras: dict[str, Any]) -> dict[str, Any] | None:
    old = extras.get("old_checkpoint")
    if old is None:
        return None
    return {"old_size": old.size, "old_root": _b64(old.root), "hashes": extras.get("consistency_hashes", 0)}


def context(
    facts: LedgerFacts, checkpoint: Checkpoint, params: dict[str, Any], extras: dict[str, Any]
) -> dict[str, Any]:
    """The auditor export's content for ``params`` (``from``, ``to``, optional ``model``), as of
    ``checkpoint``; ``extras`` carries the ledger verification and any earlier checkpoint."""
    period = parse_period(str(params["from"]), str(params["to"]))
    model = params.get("model")
    as_of = facts.entries[checkpoint.size - 1].time
    sc = _scope(facts, period, model)
    policy_changes = _policy_changes(facts, period, sc.scope)
    listed, listing = _listing(sc.scope)
    open_items = _open_items(facts, sc.scope, as_of)
    return {
        "period": {"from": period.start_text, "to": period.end_text, "label": period.label()},
        "model": model or "all models",
        "as_of": fmt.when(as_of),
        "summary": _summary(sc, policy_changes),
        "break_glass": [_retro(facts, d, as_of) for d in _unique([*sc.break_glass, *sc.still_open])],
        "policy_changes": policy_changes,
        "open_items": open_items[:MAX_LISTED],
        "open_items_total": len(open_items),
        "decisions": [_detail(d) for d in listed],
        "listing": listing,
        "health": _health(sc.scope),
        "health_weights": health.weights_json(),
        "verification": extras.get("ledger_verification"),
        "consistency": _consistency(extras),
        "checkpoint": {"size": checkpoint.size, "root": _b64(checkpoint.root)},
    }


def _summary_figures(ctx: dict[str, Any]) -> list[Figure]:
    s = ctx["summary"]
    return [
        Figure("period", "Period", ctx["period"]["label"]),
        Figure("summary.decisions", "Decisions recorded in the period", str(s["decisions"])),
        Figure("summary.approvals", "Approvals given in the period", str(s["approvals"])),
        Figure("summary.rejections", "Rejections given in the period", str(s["rejections"])),
        Figure("summary.promotions", "Promotions in the period", str(s["promotions"])),
        Figure("summary.rollbacks", "Rollbacks in the period", str(s["rollbacks"])),
        Figure("summary.break_glass", "Break-glass promotions in the period", str(s["break_glass"])),
        Figure(
            "summary.awaiting_retro",
            "Break-glass still awaiting retrospective approval",
            str(s["awaiting_retro"]),
        ),
        Figure("summary.policy_changes", "Policy changes in the period", str(s["policy_changes"])),
        *_breakdown_figures(ctx["listing"]),
    ]


def _breakdown_figures(listing: dict[str, Any]) -> list[Figure]:
    """The period's decisions counted by band, tier and outcome, and those with an exception."""
    out = [Figure("summary.exceptions", "Decisions with an exception", str(listing["exceptions"]))]
    for key, label in (("band", "in band"), ("tier", "in tier"), ("outcome", "now")):
        out += [
            Figure(f"{key}.{name}", f"Decisions {label} {name}", str(count))
            for name, count in listing[key].items()
        ]
    return out


def _decision_figures(decisions: list[dict[str, Any]]) -> list[Figure]:
    return [
        Figure(
            f"decision.{d['seq']}", f"{d['ref']} index, band, tier", f"{d['index']} {d['band']} {d['tier']}"
        )
        for d in decisions
    ]


def _health_figures(models: list[dict[str, Any]]) -> list[Figure]:
    return [
        Figure(
            f"health.{m['model']}",
            f"Iteration index {m['model']} (velocity, coverage, regression surface, risk)",
            f"{m['iteration_index']} ({m['velocity']}, {m['coverage']}, {m['regression_surface']}, "
            f"{m['deployment_risk']})",
        )
        for m in models
    ]


def _consistency_figures(consistency: dict[str, Any] | None) -> list[Figure]:
    if consistency is None:
        return []
    return [
        Figure(
            "consistency.old_size",
            "Consistent with earlier checkpoint of size",
            str(consistency["old_size"]),
        )
    ]


def figures(ctx: dict[str, Any]) -> list[Figure]:
    """The figures ``rledger report verify`` recomputes and looks for in the PDF text, in order."""
    return [
        *_summary_figures(ctx),
        *_decision_figures(ctx["decisions"]),
        *_health_figures(ctx["health"]),
        *_consistency_figures(ctx["consistency"]),
        Figure("checkpoint.size", "Checkpoint tree size", str(ctx["checkpoint"]["size"])),
        Figure("checkpoint.root", "Checkpoint root hash", ctx["checkpoint"]["root"]),
    ]
