"""What a report's evidence proves complete, and the audit's ``ledger_verification`` block.

Inclusion proofs show that every embedded entry is in the log; they cannot show that no entry
was left out. An operator who drops an entry (a rollback, a rejection) and renders the report
again from the rest gets a report whose every check passes. So evidence format 2 declares a
``range`` of seqs, ``{"first": a, "end": N}`` with ``N`` the checkpoint's size, and embeds
*every* entry from ``a`` to ``N - 1``; :func:`check_completeness` refuses a gap, and checks that
the range is the one the report needs:

- audit export: ``a`` is the first entry of the period; the entry before it (``a - 1``) is
  embedded too and is older than the period's start, and times never decrease across the
  embedded entries. So every entry from the period's start to the checkpoint is embedded: all
  of the period, and every later lifecycle entry of its decisions. When ``a`` is 0 the Merkle
  root is recomputed from the embedded leaves and must be the checkpoint's.
- release report: ``a`` is the decision's own entry. An entry can only name a decision by its
  leaf hash, so after it, and every entry after it is embedded: the decision's whole life.
- scorecard: no range; its completeness is not proven.

Not proven: that times never decrease *before* an audit's range (the ledger's clock refuses to
go backwards, ``ledger.clock``, but a reader sees only the embedded entries); entries before a
release's decision (the model's earlier history); anything in format 1 evidence (no range).

:func:`check_ledger_verification` checks the audit's record of the whole-ledger verification
it ran when it was made: its ``entries`` and ``root_hex`` must be the checkpoint's, its counts
whole numbers, at least what the embedded entries show, and, when every entry is embedded
(range from 0), exactly what replaying them through the governance rules gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from governance.state import GovernanceState
from ledger.errors import LedgerError
from ledger.tlog.entry import parse_time
from ledger.tlog.merkle import CompactRange
from reports import audit, release
from reports.errors import ReportInputError, ReportVerificationError
from reports.evidence import FORMAT_1, CheckedEvidence
from reports.facts import DECISION
from reports.kinds import Recomputed
from reports.period import parse_period

RANGED = frozenset({audit.REPORT_TYPE, release.REPORT_TYPE})
VERIFICATION_FIELDS = (
    "entries",
    "root_hex",
    "checkpoints_checked",
    "decisions_rechecked",
    "approvals_rechecked",
)


@dataclass(frozen=True)
class Completeness:
    """What the evidence proves complete: seqs ``first`` to ``end - 1``, or nothing (None)."""

    first: int | None
    end: int
    root_recomputed: bool

    def summary(self) -> str:
        if self.first is None:
            return "which entries were left out is not proven (no range in its evidence)"
        if self.first >= self.end:
            return f"no entry after seq {self.first - 1} is left out (the range is empty)"
        root = "; the root recomputed from them is the checkpoint's" if self.root_recomputed else ""
        return f"every entry from seq {self.first} to {self.end - 1} is embedded, none left out{root}"


def _fail(problem: str, **kw: Any) -> ReportVerificationError:
    return ReportVerificationError(f"evidence.json: {problem}", **kw)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _range(checked: CheckedEvidence) -> tuple[int, int]:
    declared = checked.evidence.entry_range
    if declared is None:
        raise _fail(f"a {checked.evidence.report_type} report's evidence must declare the range it embeds")
    first, end = declared.get("first"), declared.get("end")
    size = checked.checkpoint.size
    if not _whole(first) or end != size or first > size:  # type: ignore[operator]
        raise _fail(
            f"the range {{first: {first}, end: {end}}} is not a range of seqs ending at the "
            f"checkpoint's size {size}"
        )
    return int(first), size  # type: ignore[arg-type]


def _gaps(checked: CheckedEvidence, first: int, end: int) -> None:
    embedded = {e.seq for e in checked.entries}
    missing = [s for s in range(first, end) if s not in embedded]
    if missing:
        shown = ", ".join(str(s) for s in missing[:10]) + (", …" if len(missing) > 10 else "")
        raise _fail(
            f"{len(missing)} entries of its range (seqs {first} to {end - 1}) are missing: {shown}; "
            "entries were left out of the report",
            index=missing[0],
        )


def _times_never_decrease(checked: CheckedEvidence) -> None:
    previous = None
    for entry in checked.entries:
        moment = parse_time(entry.time)
        if previous is not None and moment < previous:
            raise _fail("the entries' times go backwards", index=entry.seq)
        previous = moment


def _audit_start(checked: CheckedEvidence, first: int) -> None:
    params = checked.evidence.params
    try:
        period = parse_period(str(params.get("from")), str(params.get("to")))
    except ReportInputError as exc:
        raise _fail(f"the audit's period does not parse: {exc}") from None
    if first == 0:
        return
    before = next((e for e in checked.entries if e.seq == first - 1), None)
    if before is None:
        raise _fail(
            f"the range starts at seq {first} but the entry before it is not embedded, so nothing "
            "shows that the period starts there",
            index=first - 1,
        )
    if parse_time(before.time) >= period.start:
        raise _fail(
            f"the range starts at seq {first} but entry {first - 1}, before it, is already in the "
            f"period ({before.time}): entries of the period were left out",
            index=first - 1,
        )


def _release_start(checked: CheckedEvidence, first: int) -> None:
    decision = str(checked.evidence.params.get("decision", ""))
    start = next((e for e in checked.entries if e.seq == first), None)
    if start is None or start.kind != DECISION or start.leaf_hash.hex() != decision:
        raise _fail(
            f"the range starts at seq {first}, which is not the report's decision {decision[:16]}…: "
            "entries naming the decision may have been left out",
            index=first,
        )


def check_completeness(checked: CheckedEvidence) -> Completeness:
    """The checks of the module docstring; ReportVerificationError naming the problem."""
    ev = checked.evidence
    size = checked.checkpoint.size
    if ev.format == FORMAT_1 or ev.report_type not in RANGED:
        if ev.entry_range is not None:
            raise _fail(f"a {ev.report_type} report's evidence declares a range it should not have")
        return Completeness(None, size, False)
    first, end = _range(checked)
    _gaps(checked, first, end)
    _times_never_decrease(checked)
    if ev.report_type == audit.REPORT_TYPE:
        _audit_start(checked, first)
    else:
        _release_start(checked, first)
    recomputed_root = False
    if first == 0:
        tree = CompactRange()
        for entry in checked.entries:
            tree.append(entry.leaf_hash)
        if tree.root() != checked.checkpoint.root:
            raise _fail("the Merkle root of the embedded entries is not the checkpoint's root")
        recomputed_root = True
    return Completeness(first, end, recomputed_root)


def _replayed(checked: CheckedEvidence) -> tuple[int, int]:
    """Decisions and approvals that replaying every embedded entry through the rules gives."""
    state = GovernanceState()
    for entry in checked.entries:
        try:
            state.apply(entry)
        except LedgerError as exc:
            raise _fail(f"entry {entry.seq} is not allowed by the ledger's rules: {exc}") from None
    return len(state.decisions), sum(len(d.approvals) for d in state.decisions.values())


def check_ledger_verification(
    checked: CheckedEvidence, recomputed: Recomputed, completeness: Completeness
) -> dict[str, Any] | None:
    """The audit's ``ledger_verification`` block against the evidence (module docstring); returns
    it. ReportVerificationError naming the field that disagrees."""
    block = checked.evidence.ledger_verification
    kind = checked.evidence.report_type
    if kind != audit.REPORT_TYPE:
        if block is not None:
            raise _fail(f"a {kind} report carries a ledger_verification block")
        return None
    if block is None:
        raise _fail("the audit export carries no ledger_verification block")
    unknown = sorted(set(block) - set(VERIFICATION_FIELDS))
    if unknown:
        raise _fail(f"ledger_verification has fields a verification never gives: {', '.join(unknown)}")
    for name in VERIFICATION_FIELDS:
        if name not in block:
            raise _fail(f"ledger_verification.{name} is missing")
        if name != "root_hex" and not _whole(block[name]):
            raise _fail(f"ledger_verification.{name} is not a whole number: {block[name]!r}")
    cp = checked.checkpoint
    _field("entries", cp.size, block["entries"], "the checkpoint's size")
    _field("root_hex", cp.root.hex(), block["root_hex"], "the checkpoint's root")
    if block["checkpoints_checked"] < 1:
        raise _fail("ledger_verification.checkpoints_checked is 0, but the report carries a checkpoint")
    decisions = len(recomputed.facts.decisions)
    approvals = sum(len(d.approvals) for d in recomputed.facts.decisions.values())
    if completeness.first == 0:
        decisions, approvals = _replayed(checked)
        _field("decisions_rechecked", decisions, block["decisions_rechecked"], "replaying every entry")
        _field("approvals_rechecked", approvals, block["approvals_rechecked"], "replaying every entry")
    else:
        _at_least("decisions_rechecked", decisions, block["decisions_rechecked"])
        _at_least("approvals_rechecked", approvals, block["approvals_rechecked"])
    return dict(block)


def _field(name: str, expected: object, actual: object, source: str) -> None:
    if expected != actual:
        raise _fail(
            f"ledger_verification.{name} is {actual!r} but {source} gives {expected!r}",
            expected=str(expected),
            actual=str(actual),
        )


def _at_least(name: str, shown: int, claimed: int) -> None:
    if claimed < shown:
        raise _fail(
            f"ledger_verification.{name} is {claimed}, fewer than the {shown} the embedded entries show",
            expected=f">= {shown}",
            actual=str(claimed),
        )
