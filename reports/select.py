"""Which entries each report covers (and so embeds, with an inclusion proof for each). Pure.

Every report covers the genesis entry (it names the log and its verifier key), the identity
entries of everyone who signed something it shows, and the policy entries its decisions were
evaluated under, so that ``reports.facts`` can recompute what it prints from these alone.

- release report: every decision of the model and every lifecycle entry of those decisions
  (the index history and the decision's phase need them);
- scorecard: the same, for the model;
- audit export: every entry whose time is in the period (``--model`` keeps only that model's
  release entries), the decisions those name and all their lifecycle entries up to the
  checkpoint, the promotions and rollbacks of the same models after the first of them (they
  decide whether a release is still in production), and for each policy adopted in the
  period the policy it replaced (for the diff).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ledger.tlog.entry import Entry, parse_time
from reports.facts import DECISION, GENESIS_KIND, IDENTITY_KINDS, LIFECYCLE_KINDS, POLICY_KIND

PRODUCTION_KINDS = frozenset({"release.promoted", "release.rolled_back"})


@dataclass(frozen=True)
class Index:
    """A light index over a snapshot's entries: decisions by leaf hash, lifecycle by decision."""

    entries: Sequence[Entry]
    decision_model: dict[str, str]  # leaf hex -> model
    decision_seq: dict[str, int]  # leaf hex -> seq
    lifecycle: dict[str, list[int]]  # leaf hex -> seqs of entries naming it

    @classmethod
    def build(cls, entries: Sequence[Entry]) -> Index:
        model: dict[str, str] = {}
        seq: dict[str, int] = {}
        lifecycle: dict[str, list[int]] = {}
        for e in entries:
            if e.kind == DECISION:
                leaf = e.leaf_hash.hex()
                model[leaf] = str(e.payload.get("model"))
                seq[leaf] = e.seq
            elif e.kind in LIFECYCLE_KINDS:
                lifecycle.setdefault(str(e.payload.get("decision")), []).append(e.seq)
        return cls(entries, model, seq, lifecycle)

    def leaf_of(self, seq: int) -> str:
        return self.entries[seq].leaf_hash.hex()

    def model_of_entry(self, e: Entry) -> str | None:
        if e.kind == DECISION:
            return str(e.payload.get("model"))
        if e.kind in LIFECYCLE_KINDS:
            return self.decision_model.get(str(e.payload.get("decision")))
        return None


def _people(entries: Iterable[Entry]) -> set[str]:
    names: set[str] = set()
    for e in entries:
        for member in ("requested_by", "approver", "actor"):
            value = e.payload.get(member)
            if isinstance(value, str):
                names.add(value)
    return names


def _support(index: Index, chosen: set[int]) -> set[int]:
    """Genesis, identity entries of the people involved, policies the decisions name."""
    picked = [index.entries[s] for s in chosen]
    names = _people(picked)
    shas = {str(e.payload["policy"]["sha256"]) for e in picked if e.kind == DECISION}
    support = {0}
    for e in index.entries:
        person = e.kind in IDENTITY_KINDS and e.payload.get("name") in names
        if person or (e.kind == POLICY_KIND and e.payload.get("sha256") in shas):
            support.add(e.seq)
    return support


def _with_lifecycle(index: Index, leaves: Iterable[str]) -> set[int]:
    out: set[int] = set()
    for leaf in leaves:
        out.add(index.decision_seq[leaf])
        out.update(index.lifecycle.get(leaf, []))
    return out


def model_history(index: Index, model: str) -> set[int]:
    leaves = [leaf for leaf, m in index.decision_model.items() if m == model]
    return _with_lifecycle(index, leaves)


def release_entries(index: Index, decision_leaf: str) -> list[int]:
    chosen = model_history(index, index.decision_model[decision_leaf])
    return sorted(chosen | _support(index, chosen))


def scorecard_entries(index: Index, model: str) -> list[int]:
    chosen = model_history(index, model)
    return sorted(chosen | _support(index, chosen))


def in_period(e: Entry, start: datetime, end: datetime) -> bool:
    return start <= parse_time(e.time) < end


def audit_entries(index: Index, start: datetime, end: datetime, model: str | None) -> list[int]:
    period: set[int] = set()
    for e in index.entries:
        if not in_period(e, start, end) or e.kind == GENESIS_KIND:
            continue
        owner = index.model_of_entry(e)
        if owner is None and e.kind in LIFECYCLE_KINDS | {DECISION}:
            continue  # names a decision the ledger does not have: nothing to report
        if model is None or owner is None or owner == model:
            period.add(e.seq)
    leaves: set[str] = set()
    for s in period:
        e = index.entries[s]
        if e.kind == DECISION:
            leaves.add(index.leaf_of(s))
        elif e.kind in LIFECYCLE_KINDS:
            leaves.add(str(e.payload.get("decision")))
    chosen = period | _with_lifecycle(index, leaves)
    models = {index.decision_model[leaf] for leaf in leaves}
    first = min((index.decision_seq[leaf] for leaf in leaves), default=len(index.entries))
    production: set[str] = set()
    for e in index.entries[first + 1 :]:
        if e.kind in PRODUCTION_KINDS and index.model_of_entry(e) in models:
            chosen.add(e.seq)
            production.add(str(e.payload.get("decision")))
    chosen |= {index.decision_seq[leaf] for leaf in production}
    chosen |= _previous_policies(index, chosen)
    return sorted(chosen | _support(index, chosen))


def _previous_policies(index: Index, chosen: set[int]) -> set[int]:
    adopted = [e.seq for e in index.entries if e.kind == POLICY_KIND]
    out: set[int] = set()
    for position, seq in enumerate(adopted):
        if seq in chosen and position > 0:
            out.add(adopted[position - 1])
    return out
