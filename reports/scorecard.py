"""The procurement scorecard's content: a baseline and its candidates side by side (pure).

Follows seed 001's "Example Model Iteration Index Scorecard" (Release, Performance,
Reliability, Cost, Safety, Composite Index, Decision) and adds gate status, band and cost
notes, then the contract terms (``reports.contract``) filled from the ledger's figures.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from governance.verdict import release_verdict, weight_caveats
from ledger.encoding.numbers import decimal_text
from ledger.scoring.index import GateInput, GateResult, band_for, iteration_index
from ledger.scoring.rules import SUBSCORES, ScoringRules, SeverityEffect
from ledger.tlog.checkpoint import Checkpoint
from policies.loader import LoadedPolicy
from policies.scoring import scoring_rules
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


@dataclass(frozen=True)
class Profile:
    """The one weight profile every composite index on the scorecard is computed under."""

    name: str
    weights: dict[str, Decimal]
    policy: LoadedPolicy
    chosen_by: str  # why this profile, in words, for the legend

    def matches(self, recorded: dict[str, Any]) -> bool:
        return all(Decimal(str(recorded[s])) == self.weights[s] for s in SUBSCORES)


def _policy_of(facts: LedgerFacts, d: DecisionFacts) -> LoadedPolicy:
    adopted = facts.policies.get(d.policy_sha)
    if adopted is None:
        raise ReportInputError(
            f"the policy {d.policy_sha[:12]} that {d.ref} was evaluated under is not among the report's "
            "entries, so its index cannot be put on the same weights as the others"
        )
    return adopted.loaded


def choose_profile(facts: LedgerFacts, chosen: list[DecisionFacts], asked: str | None) -> Profile:
    """The profile to compare ``chosen`` under, from the policy of the latest of them.

    ``asked`` if given; else the named profile most of them were scored with (the latest one's
    on a tie); else ``default``. Raises ReportInputError for a profile that policy lacks.
    """
    latest = chosen[-1]
    policy = _policy_of(facts, latest)
    profiles = policy.policy.scoring.weight_profiles
    named = [str(d.assessment["weights"].get("profile", "custom")) for d in chosen]
    named = [n for n in named if n != "custom"]
    if asked is not None:
        name, why = asked, "as asked"
    elif named:
        counts = Counter(named)
        top = max(counts.values())
        name = next(n for n in reversed(named) if counts[n] == top)
        why = "the profile most of these decisions were scored with"
    else:
        name, why = "default", "none of these decisions used a policy profile"
    if name not in profiles:
        raise ReportInputError(
            f"weight profile {name!r} is not in policy {policy.label}; its profiles: {', '.join(profiles)}"
        )
    weights = profiles[name].model_dump()
    return Profile(name, {s: Decimal(weights[s]) for s in SUBSCORES}, policy, why)


def _recorded_gates(d: DecisionFacts) -> list[GateResult]:
    def number(value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return [
        GateResult(
            GateInput(
                str(g["name"]),
                number(g.get("observed")),
                number(g.get("min")),
                number(g.get("max")),
                str(g.get("severity", "high")),
                str(g.get("source", "decision")),
            ),
            bool(g["passed"]),
            str(g.get("reason", "")),
            SeverityEffect(g.get("effect", "block")),
        )
        for g in d.assessment["gates"]
    ]


def rescore(d: DecisionFacts, weights: dict[str, Decimal], rules: ScoringRules) -> tuple[str, str]:
    """(index, band) of a recorded decision under other ``weights``: its recorded subscores,
    its recorded gate results and penalty, and its own policy's bands (``rules``)."""
    subs = d.assessment["subscores"]
    baseline: dict[str, Decimal] = {s: Decimal(subs[s]["baseline"]) for s in SUBSCORES}
    candidate: dict[str, Decimal] = {s: Decimal(subs[s]["candidate"]) for s in SUBSCORES}
    index = iteration_index(baseline, candidate, weights, rules).index - Decimal(d.assessment["penalty"])
    band = band_for(index, _recorded_gates(d), rules)
    return decimal_text(index), band.band


def _weights_text(recorded: dict[str, Any]) -> str:
    profile = str(recorded.get("profile", "custom"))
    which = "custom weights" if profile == "custom" else f"profile {profile}"
    return which + " (" + ", ".join(f"{s} {recorded[s]}" for s in SUBSCORES) + ")"


def _row(facts: LedgerFacts, d: DecisionFacts, profile: Profile) -> dict[str, Any]:
    subs = d.assessment["subscores"]
    recorded = d.assessment["weights"]
    index, band = d.index, d.band
    recomputed = not profile.matches(recorded)
    if recomputed:
        index, band = rescore(d, profile.weights, scoring_rules(_policy_of(facts, d)))
    verdict = release_verdict(d.phase, d.payload, d.rolled_back_to)
    return {
        "release": f"Candidate v{d.version}",
        "version": d.version,
        "scores": [subs[name]["candidate"] for name in SUBSCORES],
        "deltas": [fmt.signed(subs[name]["delta"]) for name in SUBSCORES],
        "index": index,
        "index_rounded": str(Decimal(index).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        "band": band,
        "decision": fmt.BAND_ACTION.get(band, band),
        "recomputed": recomputed,
        "recorded": f"{d.index} ({d.band}) under {_weights_text(recorded)}",
        "caveats": weight_caveats(d.payload),
        "status": verdict.text,
        "blocked": verdict.blocked,
        "phase": d.phase,
        "gates": _gate_status(d),
        "gates_passed": bool(d.assessment.get("gates_passed")),
        "cost_note": _cost_note(d),
        "tier": d.tier,
        "profile": profile.name,
        "baseline_version": d.payload["baseline"]["version"],
        "artifact_digest": d.payload.get("artifact_digest", "-"),
        "eval_suite": d.payload.get("evidence", {}).get("eval_suite", "-"),
        "leaf_hex": d.leaf_hex,
        "submitted": fmt.when(d.time),
    }


NOT_PINNABLE = frozenset({"rolled_back", "rejected", "canary_failed"})


def _recommended(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The highest index in band green with every gate passed, never rolled back or rejected,
    and not blocked by its own recorded evaluation. Every row's index and band are under the
    scorecard's one profile, so the ranking compares like with like."""
    eligible = [
        r
        for r in rows
        if r["band"] == "green" and r["gates_passed"] and not r["blocked"] and r["phase"] not in NOT_PINNABLE
    ]
    return max(eligible, key=lambda r: Decimal(r["index"])) if eligible else None


def _rows(facts: LedgerFacts, chosen: list[DecisionFacts], profile: Profile) -> list[dict[str, Any]]:
    """One row per chosen decision; ``other_baseline`` flags one measured against another
    baseline than the first decision's (the one the scorecard's baseline row shows)."""
    baseline_version = chosen[0].payload["baseline"]["version"]
    rows = [_row(facts, d, profile) for d in chosen]
    for row in rows:
        row["other_baseline"] = row["baseline_version"] != baseline_version
    return rows


def _baseline_row(baseline: dict[str, Any]) -> dict[str, Any]:
    return {
        "release": f"Baseline v{baseline['version']}",
        "version": baseline["version"],
        "scores": [baseline["scores"][name] for name in SUBSCORES],
        "index": PARITY,
    }


def _weights(profile: Profile) -> dict[str, Any]:
    return {
        "profile": profile.name,
        "policy": profile.policy.label,
        "chosen_by": profile.chosen_by,
        **{n: decimal_text(profile.weights[n]) for n in SUBSCORES},
    }


def _terms(
    terms: ContractTerms,
    model: str,
    recommended: dict[str, Any] | None,
    baseline: dict[str, Any],
    gates: list[dict[str, str]],
) -> dict[str, Any]:
    return terms.to_context(
        model=model,
        recommended=recommended,
        baseline_version=str(baseline["version"]),
        reliability_floor=str(baseline["scores"]["reliability"]),
        gates=gates,
    )


def context(facts: LedgerFacts, checkpoint: Checkpoint, params: dict[str, Any]) -> dict[str, Any]:
    """The scorecard's content. ``params``: model, versions (all if empty), terms, and an
    optional weight ``profile``. Every index is under one profile (see :func:`choose_profile`);
    a decision recorded under other weights is rescored from its recorded subscores, and the
    legend says which and what was recorded."""
    model = str(params["model"])
    chosen = choose(facts, model, list(params.get("versions", [])))
    baseline = chosen[0].payload["baseline"]
    asked = params.get("profile")
    profile = choose_profile(facts, chosen, None if asked is None else str(asked))
    rows = _rows(facts, chosen, profile)
    recommended = _recommended(rows)
    terms = ContractTerms.from_params(params.get("terms", {}))
    gates = [{"name": g["name"], "threshold": fmt.bound(g)} for g in chosen[0].assessment["gates"]]
    return {
        "model": model,
        "subscores": list(SUBSCORES),
        "baseline": _baseline_row(baseline),
        "rows": rows,
        "weights": _weights(profile),
        "recomputed": [r for r in rows if r["recomputed"]],
        "caveats": [{"version": r["version"], "text": c} for r in rows for c in r["caveats"]],
        "recommended": recommended,
        "gates": gates,
        "terms": _terms(terms, model, recommended, baseline, gates),
        "checkpoint": {"size": checkpoint.size, "root": base64.b64encode(checkpoint.root).decode()},
    }


def figures(ctx: dict[str, Any]) -> list[Figure]:
    b = ctx["baseline"]
    out = [
        Figure("model", "Model", ctx["model"]),
        Figure(
            "weights.profile", "Every composite index is under the weight profile", ctx["weights"]["profile"]
        ),
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
