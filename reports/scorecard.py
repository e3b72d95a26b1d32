"""The procurement scorecard's content: a baseline and its candidates side by side (pure).

Follows seed 001's "Example Model Iteration Index Scorecard" (Release, Performance,
Reliability, Cost, Safety, Composite Index, Decision) and adds gate status, band and cost
notes, then the contract terms (``reports.contract``) filled from the ledger's figures.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from ledger.decisions.rules import SUBSCORES
from ledger.tlog.checkpoint import Checkpoint
from reports import fmt
from reports.contract import ContractTerms
from reports.errors import ReportInputError
from reports.evidence import Figure
from reports.facts import DecisionFacts, LedgerFacts

REPORT_TYPE = "scorecard"
PARITY = "100"


def choose(facts: LedgerFacts, model: str, versions: list[str]) -> list[DecisionFacts]:
    """The model's decisions, all or the versions asked for, in the order they were recorded."""
    history = facts.model_decisions(model)
    if not history:
        raise ReportInputError(f"the ledger has no decisions for model {model!r}")
    if not versions:
        return history
    known = {d.version: d for d in history}
    missing = [v for v in versions if v not in known]
    if missing:
        raise ReportInputError(
            f"no decision for {model}@{', '.join(missing)}; recorded versions: {', '.join(known)}"
        )
    wanted = set(versions)
    return [d for d in history if d.version in wanted]


def _cost_note(d: DecisionFacts) -> str:
    s = d.assessment["subscores"]["cost"]
    base, cand = Decimal(s["baseline"]), Decimal(s["candidate"])
    if cand < base:
        return f"spend {s['candidate']} vs {s['baseline']}: {base - cand} points cheaper"
    if cand > base:
        return f"spend {s['candidate']} vs {s['baseline']}: {cand - base} points dearer, budget review"
    return f"spend {s['candidate']}: unchanged"


def _gate_status(d: DecisionFacts) -> str:
    failed = [g["name"] for g in d.assessment["gates"] if not g["passed"]]
    total = len(d.assessment["gates"])
    return f"all {total} pass" if not failed else "FAILED: " + ", ".join(failed)


def _decision_text(d: DecisionFacts) -> str:
    return fmt.BAND_ACTION.get(d.band, d.band)


def _row(d: DecisionFacts) -> dict[str, Any]:
    subs = d.assessment["subscores"]
    return {
        "release": f"Candidate v{d.version}",
        "version": d.version,
        "scores": [subs[name]["candidate"] for name in SUBSCORES],
        "deltas": [fmt.signed(subs[name]["delta"]) for name in SUBSCORES],
        "index": d.index,
        "index_rounded": d.assessment.get("index_rounded", d.index),
        "band": d.band,
        "decision": _decision_text(d),
        "status": fmt.phase_text(d.phase, d.rolled_back_to),
        "phase": d.phase,
        "gates": _gate_status(d),
        "gates_passed": bool(d.assessment.get("gates_passed")),
        "cost_note": _cost_note(d),
        "tier": d.tier,
        "profile": d.assessment["weights"].get("profile", "custom"),
        "baseline_version": d.payload["baseline"]["version"],
        "artifact_digest": d.payload.get("artifact_digest", "-"),
        "eval_suite": d.payload.get("evidence", {}).get("eval_suite", "-"),
        "leaf_hex": d.leaf_hex,
        "submitted": fmt.when(d.time),
    }


NOT_PINNABLE = frozenset({"rolled_back", "rejected", "canary_failed"})


def _recommended(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The highest index in band green with every gate passed, never rolled back or rejected."""
    eligible = [
        r for r in rows if r["band"] == "green" and r["gates_passed"] and r["phase"] not in NOT_PINNABLE
    ]
    return max(eligible, key=lambda r: Decimal(r["index"])) if eligible else None


def context(facts: LedgerFacts, checkpoint: Checkpoint, params: dict[str, Any]) -> dict[str, Any]:
    model = str(params["model"])
    chosen = choose(facts, model, list(params.get("versions", [])))
    first = chosen[0]
    baseline = first.payload["baseline"]
    rows = [_row(d) for d in chosen]
    for row in rows:
        row["other_baseline"] = row["baseline_version"] != baseline["version"]
    weights = first.assessment["weights"]
    recommended = _recommended(rows)
    terms = ContractTerms.from_params(params.get("terms", {}))
    gates = [{"name": g["name"], "threshold": fmt.bound(g)} for g in first.assessment["gates"]]
    return {
        "model": model,
        "subscores": list(SUBSCORES),
        "baseline": {
            "release": f"Baseline v{baseline['version']}",
            "version": baseline["version"],
            "scores": [baseline["scores"][name] for name in SUBSCORES],
            "index": PARITY,
        },
        "rows": rows,
        "weights": {"profile": weights.get("profile", "custom"), **{n: weights[n] for n in SUBSCORES}},
        "recommended": recommended,
        "gates": gates,
        "terms": terms.to_context(
            model=model,
            recommended=recommended,
            baseline_version=str(baseline["version"]),
            reliability_floor=str(baseline["scores"]["reliability"]),
            gates=gates,
        ),
        "checkpoint": {"size": checkpoint.size, "root": base64.b64encode(checkpoint.root).decode()},
    }


def figures(ctx: dict[str, Any]) -> list[Figure]:
    b = ctx["baseline"]
    out = [
        Figure("model", "Model", ctx["model"]),
        Figure("baseline", f"Baseline v{b['version']} subscores", " / ".join(b["scores"])),
    ]
    for r in ctx["rows"]:
        v = r["version"]
        out.append(Figure(f"{v}.scores", f"Candidate v{v} subscores", " / ".join(r["scores"])))
        out.append(Figure(f"{v}.index", f"Candidate v{v} composite index", r["index"]))
        out.append(Figure(f"{v}.band", f"Candidate v{v} band and decision", f"{r['band']} {r['decision']}"))
        out.append(Figure(f"{v}.gates", f"Candidate v{v} gates", r["gates"]))
    rec = ctx["recommended"]
    out.append(Figure("recommended", "Recommended for pinning", f"v{rec['version']}" if rec else "none"))
    out.append(Figure("checkpoint.size", "Checkpoint tree size", str(ctx["checkpoint"]["size"])))
    out.append(Figure("checkpoint.root", "Checkpoint root hash", ctx["checkpoint"]["root"]))
    return out
