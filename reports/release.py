"""The release report's content, computed from ledger facts alone (pure).

``context`` is what the template prints; ``figures`` is the part of it that
``rledger report verify`` recomputes from the embedded entries and looks for in the PDF text.
"""

from __future__ import annotations

import base64
from typing import Any

from governance.verdict import caveats, release_verdict
from ledger.scoring.rules import SUBSCORES
from ledger.tlog.checkpoint import Checkpoint
from reports import fmt
from reports.errors import ReportVerificationError
from reports.evidence import Figure
from reports.facts import DecisionFacts, LedgerFacts

REPORT_TYPE = "release"


def _decision(facts: LedgerFacts, leaf_hex: str) -> DecisionFacts:
    d = facts.decisions.get(leaf_hex)
    if d is None:
        raise ReportVerificationError(f"the report's decision {leaf_hex[:16]} is not among its entries")
    return d


def _scorecard(d: DecisionFacts) -> dict[str, Any]:
    a = d.assessment
    rows = []
    for name in SUBSCORES:
        s = a["subscores"][name]
        rows.append(
            {
                "name": name,
                "baseline": s["baseline"],
                "candidate": s["candidate"],
                "delta": fmt.signed(s["delta"]),
                "weight": s["weight"],
                "contribution": fmt.signed(s["contribution"]),
                "note": "spend-like: lower is cheaper, delta = baseline - candidate"
                if name == "cost"
                else "",
            }
        )
    weights = a["weights"]
    return {
        "rows": rows,
        "profile": weights.get("profile", "custom"),
        "weights": {name: weights[name] for name in SUBSCORES},
        "penalty": a.get("penalty", "0"),
        "index": a["index"],
        "index_rounded": a.get("index_rounded", a["index"]),
        "baseline_version": d.payload["baseline"]["version"],
        "band_reasons": list(a.get("band_reasons", [])),
    }


def _gates(d: DecisionFacts) -> list[dict[str, Any]]:
    return [
        {
            "name": g["name"],
            "threshold": fmt.bound(g),
            # A required catalogue gate the decision left out has no observed value; it failed.
            "observed": g.get("observed", "not given"),
            "passed": bool(g["passed"]),
            "severity": g.get("severity", "high"),
            "effect": g.get("effect", "block"),
            "source": g.get("source", "decision"),
            "reason": g.get("reason", ""),
        }
        for g in d.assessment["gates"]
    ]


def _risk(d: DecisionFacts) -> dict[str, Any]:
    r = d.assessment["risk"]
    thresholds: dict[str, str] = next(
        (f["values"] for f in d.payload.get("rules_fired", []) if f["rule"] == "risk.tiers"), {}
    )
    factors = [
        {
            "name": name,
            "value": f["value"],
            "risk": f["risk"],
            "weight": f["weight"],
            "contribution": f["contribution"],
            "assumed_worst": bool(f.get("assumed_worst")),
            "advice": f.get("advice", ""),
        }
        for name, f in sorted(r["factors"].items())
    ]
    base = r["base_tier"]
    reason = f"score {r['score']} gives tier {base}"
    if thresholds:
        reason += f" (low below {thresholds.get('low_below')}, medium below {thresholds.get('medium_below')})"
    escalation = r.get("escalation")
    return {
        "score": r["score"],
        "base_tier": base,
        "tier": r["tier"],
        "escalation": escalation or "",
        "reason": reason + (f"; raised to {r['tier']}: {escalation}" if escalation else ""),
        "factors": factors,
    }


def _approvals(d: DecisionFacts) -> dict[str, Any]:
    required = [f"{r['count']} from role {r['role']}" for r in d.requirements["approvals"]]
    return {
        "required": required or ["none (this tier needs no approval)"],
        "min_distinct": d.requirements.get("min_distinct_approvers", 0),
        "rows": [
            {
                "approver": a.approver,
                "role": a.role,
                "when": fmt.when(a.time),
                "verdict": a.verdict + (" (retrospective)" if a.retrospective else ""),
                "comment": a.comment or "-",
                "key_id": a.key_id,
                "verified": a.signature_verified,
                "seq": a.seq,
            }
            for a in d.approvals
        ],
    }


def _policy(facts: LedgerFacts, d: DecisionFacts) -> dict[str, Any]:
    p = d.payload["policy"]
    adopted = facts.policies.get(d.policy_sha)
    return {
        "id": p["policy_id"],
        "version": p["version"],
        "sha256": p["sha256"],
        "adopted": f"entry {adopted.seq}, {fmt.when(adopted.time)}, by {adopted.actor}" if adopted else "-",
        "description": adopted.loaded.policy.description if adopted else "",
        "rules": [
            {
                "rule": f["rule"],
                "outcome": f["outcome"],
                "seen": ", ".join(f"{k} {v}" for k, v in sorted(f["values"].items())),
            }
            for f in d.payload.get("rules_fired", [])
        ],
        "requirements": {
            "rollout": d.requirements["rollout"]["mode"],
            "canary_window_hours": d.requirements["rollout"].get("canary_window_hours"),
            "acceptance": [
                f"{c['metric']} {fmt.bound(c)}" for c in d.requirements["rollout"].get("acceptance", [])
            ],
            "rehearsal_max_age_days": d.requirements.get("rollback_rehearsal_max_age_days"),
        },
    }


def _rollback(d: DecisionFacts) -> dict[str, Any]:
    rb = d.payload["rollback"]
    rehearsed = rb.get("rehearsed_at")
    return {
        "target": rb["target_version"],
        "mechanism": rb.get("mechanism", "-"),
        "runbook": rb.get("runbook", "-"),
        "rehearsed": fmt.when(rehearsed) if rehearsed else "never recorded",
        "age_days": fmt.age_days(rehearsed, d.time) if rehearsed else "-",
        "max_age_days": d.requirements.get("rollback_rehearsal_max_age_days"),
        "executed": f"rolled back to {d.rolled_back_to}: {d.rollback_reason}" if d.rolled_back_to else "",
    }


def _evidence_refs(d: DecisionFacts) -> dict[str, Any]:
    ev = dict(d.payload.get("evidence", {}))
    reports = ev.pop("reports", [])
    return {
        "artifact_digest": d.payload.get("artifact_digest", "-"),
        "code_revision": d.payload.get("code_revision", "-"),
        "workload": d.payload.get("workload", "-"),
        "fields": [{"name": k, "value": str(v)} for k, v in sorted(ev.items())],
        "reports": [{"name": r.get("name", "-"), "digest": r.get("digest", "-")} for r in reports],
    }


def _summary(d: DecisionFacts) -> dict[str, Any]:
    verdict = release_verdict(d.phase, d.payload, d.rolled_back_to)
    return {
        "ref": d.ref,
        "model": d.model,
        "version": d.version,
        "leaf_hex": d.leaf_hex,
        "seq": d.seq,
        "submitted": fmt.when(d.time),
        "requested_by": d.requester,
        "authorship": d.authorship,
        "index": d.index,
        "index_rounded": d.assessment.get("index_rounded", d.index),
        "band": d.band,
        "band_action": fmt.BAND_ACTION.get(d.band, d.band),
        "tier": d.tier,
        "phase": d.phase,
        "verdict": verdict.text,
        "blocked": verdict.blocked,
        "break_glass": d.break_glass,
        "break_glass_reason": d.break_glass_reason,
        "break_glass_open": d.break_glass_open,
        "gates_passed": bool(d.assessment.get("gates_passed")),
    }


def _sensitivity(d: DecisionFacts) -> dict[str, Any]:
    ds = d.payload["data_sensitivity"]
    return {
        "classification": ds["classification"],
        "categories": list(ds.get("categories", [])) or ["none declared"],
    }


def _timeline(d: DecisionFacts) -> list[dict[str, Any]]:
    return [
        {"seq": e.seq, "when": fmt.when(e.time), "kind": e.kind, "actor": e.actor, "summary": e.summary}
        for e in sorted(d.events, key=lambda e: e.seq)
    ]


def _history(facts: LedgerFacts, d: DecisionFacts) -> list[dict[str, Any]]:
    """Every release of the decision's model, oldest first; ``this`` marks the decision itself."""
    return [
        {
            "version": h.version,
            "index": h.index,
            "band": h.band,
            "tier": h.tier,
            "phase": fmt.verdict_text(h.phase, h.payload, h.rolled_back_to),
            "submitted": fmt.when(h.time),
            "this": h.leaf_hex == d.leaf_hex,
        }
        for h in facts.model_decisions(d.model)
    ]


def context(facts: LedgerFacts, checkpoint: Checkpoint, params: dict[str, Any]) -> dict[str, Any]:
    """The release report's content for ``params["decision"]`` (a leaf hash, hex), in the order
    the template prints it. Raises ReportVerificationError if that decision is not among ``facts``."""
    d = _decision(facts, str(params["decision"]))
    return {
        "decision": _summary(d),
        "scorecard": _scorecard(d),
        "gates": _gates(d),
        "risk": _risk(d),
        "sensitivity": _sensitivity(d),
        "approvals": _approvals(d),
        "policy": _policy(facts, d),
        "rollback": _rollback(d),
        "timeline": _timeline(d),
        "caveats": caveats(d.payload),
        "evidence_refs": _evidence_refs(d),
        "history": _history(facts, d),
        "checkpoint": {"size": checkpoint.size, "root": _b64(checkpoint.root)},
    }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _headline_figures(ctx: dict[str, Any]) -> list[Figure]:
    d, sc, risk = ctx["decision"], ctx["scorecard"], ctx["risk"]
    return [
        Figure("decision", "Decision", d["ref"]),
        Figure("decision.hash", "Decision entry hash", d["leaf_hex"]),
        Figure("index", "Model Iteration Index", d["index"]),
        Figure("band", "Band", d["band"]),
        Figure("tier", "Risk tier", d["tier"]),
        Figure("risk.score", "Deployment risk score", risk["score"]),
        Figure("phase", "Lifecycle phase", d["phase"]),
        Figure("verdict", "Verdict", d["verdict"]),
        Figure("weights.profile", "Weight profile", sc["profile"]),
    ]


def _subscore_figures(sc: dict[str, Any]) -> list[Figure]:
    return [
        Figure(
            f"subscore.{row['name']}",
            f"{row['name']}: weight, baseline, candidate",
            f"{sc['weights'][row['name']]} / {row['baseline']} / {row['candidate']}",
        )
        for row in sc["rows"]
    ]


def _gate_figures(gates: list[dict[str, Any]]) -> list[Figure]:
    return [
        Figure(
            f"gate.{g['name']}", f"Gate {g['name']}", f"{g['observed']} {'pass' if g['passed'] else 'FAIL'}"
        )
        for g in gates
    ]


def _approval_figures(rows: list[dict[str, Any]]) -> list[Figure]:
    return [
        Figure(
            f"approval.{a['seq']}",
            f"Approval by {a['approver']}",
            f"{a['role']} {a['verdict']} {'verified' if a['verified'] else 'NOT verified'}",
        )
        for a in rows
    ]


def _history_figures(history: list[dict[str, Any]]) -> list[Figure]:
    return [Figure(f"history.{h['version']}", f"Index history {h['version']}", h["index"]) for h in history]


def figures(ctx: dict[str, Any]) -> list[Figure]:
    """The figures ``rledger report verify`` recomputes and looks for in the PDF text, in order."""
    return [
        *_headline_figures(ctx),
        *_subscore_figures(ctx["scorecard"]),
        *_gate_figures(ctx["gates"]),
        *_approval_figures(ctx["approvals"]["rows"]),
        Figure("sensitivity", "Data classification", ctx["sensitivity"]["classification"]),
        Figure("rollback.target", "Rollback target", ctx["rollback"]["target"]),
        *_history_figures(ctx["history"]),
        Figure("checkpoint.size", "Checkpoint tree size", str(ctx["checkpoint"]["size"])),
        Figure("checkpoint.root", "Checkpoint root hash", ctx["checkpoint"]["root"]),
    ]
