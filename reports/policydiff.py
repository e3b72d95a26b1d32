"""What changed between two adopted policies, and which reported decisions it would change. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from governance.statements import signed_part
from ledger.errors import LedgerError
from ledger.scoring.input import parse_request
from policies.evaluate import evaluate_request
from policies.loader import LoadedPolicy
from reports.facts import DECISION, DecisionFacts

MAX_SHOWN = 12


def _flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key in sorted(value):
            _flatten(value[key], f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
        for item in value:
            _flatten({k: v for k, v in item.items() if k != "name"}, f"{prefix}[{item['name']}]", out)
    else:
        out[prefix] = "-" if value is None else str(value)


def flatten(loaded: LoadedPolicy) -> dict[str, str]:
    out: dict[str, str] = {}
    _flatten(loaded.policy.model_dump(mode="json"), "", out)
    return out


def structural_diff(old: LoadedPolicy, new: LoadedPolicy) -> list[dict[str, str]]:
    before, after = flatten(old), flatten(new)
    changes = []
    for path in sorted(set(before) | set(after)):
        if before.get(path) != after.get(path):
            changes.append(
                {"path": path, "old": before.get(path, "(absent)"), "new": after.get(path, "(absent)")}
            )
    return changes


def outcome_changes(
    old: LoadedPolicy, new: LoadedPolicy, decisions: Iterable[DecisionFacts]
) -> list[dict[str, str]]:
    """Decisions whose index, band, tier, approvals or rollout would differ under ``new``."""
    out = []
    for d in sorted(decisions, key=lambda d: d.seq):
        try:
            request = parse_request(signed_part(DECISION, d.payload))
            before = evaluate_request(old, request, refuse=False).outcome()
            after = evaluate_request(new, request, refuse=False).outcome()
        except LedgerError:
            continue
        differing = [k for k in before if before[k] != after[k]]
        if differing:
            shown = "; ".join(f"{k} {_short(before[k])} → {_short(after[k])}" for k in differing)
            out.append({"decision": d.ref, "changes": shown})
    return out


def _short(value: Any) -> str:
    if isinstance(value, list):
        return (
            ", ".join(f"{v.get('count')}x {v.get('role')}" if isinstance(v, dict) else str(v) for v in value)
            or "none"
        )
    return str(value)
