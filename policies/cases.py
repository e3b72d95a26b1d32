"""``rledger policy test``: run expected-outcome cases against a policy, like ``opa test``.

A case is a YAML file::

    name: seed v1.1 is yellow and goes to canary because of PII
    decision_file: ../../cli/demo/01-support-summarizer-1.1.yaml   # or `decision:` inline
    expect: {index: "103.95", band: yellow, tier: medium, rollout: canary}
    promotion:                      # optional: may it ship at this moment, with these facts?
      at: "2026-12-22T10:00:00Z"
      approvals: [{approver: bob, role: ml-lead, verdict: approve}]
      canary: passed                # none | started | passed | failed
      break_glass: false
    expect_promotion: {allowed: false, blocked_by: [freeze_windows.year-end]}

``expect`` may name any member of :meth:`DecisionEvaluation.outcome`, including ``weights``
(allowed, escalated or refused) and ``weights_rule``; a decision the policy refuses fails its
case unless the case expects ``weights``.

``blocked_by`` is compared as a set with the rules that blocked, so a case fails if a rule
blocks that should not, as well as when one that should does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ledger.encoding.reader import read_file
from ledger.errors import InputError, LedgerError
from ledger.scoring.input import load_decision_file, parse_request
from ledger.tlog.entry import parse_time
from policies.errors import PolicyCaseError
from policies.evaluate import evaluate_request
from policies.loader import LoadedPolicy
from policies.promotion import ApprovalFact, PromotionFacts, evaluate_promotion


@dataclass(frozen=True)
class CaseResult:
    name: str
    path: Path
    passed: bool
    details: str


def _load_case(path: Path) -> dict[str, Any]:
    try:  # the reader every door shares: YAML 1.2, exact numbers, duplicate keys refused
        case = read_file(path, what="case").data
    except InputError as exc:
        raise PolicyCaseError(f"{path}: cannot read case: {exc}") from None
    if not isinstance(case, dict) or "expect" not in case:
        raise PolicyCaseError(f"{path}: a case is a mapping with at least `expect`")
    return case


def _decision_data(case: dict[str, Any], path: Path) -> Any:
    """The case's decision: a file, an inline mapping, or a file with top-level members overridden."""
    if "decision_file" in case:
        data = load_decision_file((path.parent / str(case["decision_file"])).resolve())
    elif isinstance(case.get("decision"), dict):
        data = case["decision"]
    else:
        raise PolicyCaseError(f"{path}: a case needs `decision_file` or an inline `decision`")
    override = case.get("override", {})
    if not isinstance(override, dict):
        raise PolicyCaseError(f"{path}: `override` must be a mapping of top-level decision members")
    # Inline YAML floats reach validation as floats, which is exact: they are read through repr().
    return {**data, **override}


def run_case(loaded: LoadedPolicy, path: Path) -> CaseResult:
    case = _load_case(path)
    name = str(case.get("name", path.stem))
    try:
        # A refused decision is evaluated anyway, so a case can expect the refusal and its rule.
        evaluation = evaluate_request(loaded, parse_request(_decision_data(case, path)), refuse=False)
    except PolicyCaseError:
        raise
    except LedgerError as exc:
        return CaseResult(name, path, False, f"decision did not evaluate: {exc}")
    outcome = evaluation.outcome()
    expect = dict(case["expect"])
    if outcome["weights"] == "refused" and "weights" not in expect and evaluation.weights is not None:
        return CaseResult(name, path, False, f"decision was {evaluation.weights.refusal()}")
    wrong = [
        f"{key}: expected {want!r}, got {outcome.get(key)!r}"
        for key, want in expect.items()
        if str(outcome.get(key)) != str(want) and outcome.get(key) != want
    ]
    if "promotion" in case:
        wrong += _check_promotion(loaded, case, evaluation.assessment, evaluation.requirements, path)
    return CaseResult(name, path, not wrong, "; ".join(wrong) or "ok")


def _check_promotion(
    loaded: LoadedPolicy,
    case: dict[str, Any],
    assessment: dict[str, Any],
    requirements: dict[str, Any],
    path: Path,
) -> list[str]:
    spec = dict(case["promotion"])
    expect = dict(case.get("expect_promotion", {}))
    try:
        moment = parse_time(str(spec["at"]))
        rehearsed = spec.get("rehearsed_at")
        facts = PromotionFacts(
            band=assessment["band"],
            tier=requirements["tier"],
            requirements=requirements,
            approvals=tuple(
                ApprovalFact(str(a["approver"]), str(a["role"]), a.get("verdict", "approve"), moment)
                for a in spec.get("approvals", [])
            ),
            canary=spec.get("canary", "none"),
            rehearsed_at=parse_time(str(rehearsed)) if rehearsed else _declared_rehearsal(case, path),
            break_glass=bool(spec.get("break_glass", False)),
        )
    except (KeyError, TypeError, LedgerError) as exc:
        raise PolicyCaseError(f"{path}: malformed promotion block: {exc}") from None
    outcome = evaluate_promotion(loaded.policy, facts, moment)
    wrong = []
    if "allowed" in expect and bool(expect["allowed"]) != outcome.allowed:
        wrong.append(
            f"promotion allowed: expected {expect['allowed']}, got {outcome.allowed} ({outcome.reasons()})"
        )
    if "blocked_by" in expect:
        got = {b.rule for b in outcome.blockers}
        want = set(expect["blocked_by"])
        if got != want:
            wrong.append(f"blocked_by: expected {sorted(want)}, got {sorted(got)}")
    return wrong


def _declared_rehearsal(case: dict[str, Any], path: Path) -> datetime | None:
    data = _decision_data(case, path)
    rehearsed = data.get("rollback", {}).get("rehearsed_at") if isinstance(data, dict) else None
    if rehearsed is None:
        return None
    if isinstance(rehearsed, datetime):
        return rehearsed
    return parse_time(str(rehearsed))


def run_cases(loaded: LoadedPolicy, directory: Path) -> list[CaseResult]:
    if not directory.is_dir():
        raise PolicyCaseError(f"case directory {directory} does not exist")
    paths = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    if not paths:
        raise PolicyCaseError(f"no case files (*.yaml) in {directory}")
    return [run_case(loaded, p) for p in paths]
