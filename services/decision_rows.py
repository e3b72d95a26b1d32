"""The decision lookup table (``ledger_decisions``) checked against the entries, in the same
pass that verifies the entries: no entry is read or parsed twice.

The table is derived: it lets ``MODEL@VERSION`` and hash prefixes find a decision without a
scan, and no checkpoint covers it. So verification trusts none of it. For each verified
chunk of entries, the rows with a seq in that chunk must each point at a ``release.decision``
entry of that model@version with that leaf hash, and every decision entry must have its row.
"""

from __future__ import annotations

from governance.record import DECISION_KIND
from ledger.errors import VerificationError
from ledger.tlog.chunks import ChunkResult, Collect
from ledger.tlog.entry import Entry
from services.governed import row_disagreement, row_error
from services.ports import DecisionRef, LogStore

MEMBERS: Collect = {DECISION_KIND: ("model", "version")}
"""What the verification pass reports for each decision entry (ledger.tlog.verify.check_chunk)."""


class DecisionRowCheck:
    """Fed each verified chunk (``chunk``), then ``rest``; raises VerificationError naming the
    first row, or decision entry, that disagrees. Memory: one chunk's rows at a time."""

    def __init__(self, store: LogStore) -> None:
        self.store = store

    def chunk(self, result: ChunkResult) -> None:
        """The rows with a seq in ``result``'s entries against the decisions it collected."""
        first = result.first_seq
        found = {seq: (leaf, members) for seq, leaf, members in result.collected}
        for ref in self.store.decision_rows(first, first + result.count):
            entry = found.pop(ref.seq, None)
            if entry is None or not _agrees(ref, *entry):
                self._fail(ref)
        for seq, (_, (model, version)) in sorted(found.items()):
            raise VerificationError(
                f"the decision for {model}@{version} has no row in the decision lookup table", index=seq
            )

    def rest(self, end: int) -> None:
        """Rows outside the entries the pass covered, ``[0, end)``: those of appends that ran
        meanwhile, checked one entry read each, and any that point before the first entry."""
        for ref in [*self.store.decision_rows(None, 0), *self.store.decision_rows(end, None)]:
            problem = self._problem(ref)
            if problem is not None:
                raise row_error(ref, problem)

    def _fail(self, ref: DecisionRef) -> None:
        """Raise the error naming what ``ref`` gets wrong, read from its entry (rare: the slow,
        exact path, so the message is the one resolving an id would give)."""
        raise row_error(ref, self._problem(ref) or "disagrees with the entry it points at")

    def _problem(self, ref: DecisionRef) -> str | None:
        stored = self.store.entry(ref.seq) if ref.seq >= 0 else None
        return row_disagreement(ref, None if stored is None else Entry.parse(stored))


def _agrees(ref: DecisionRef, leaf: bytes, members: tuple[object, ...]) -> bool:
    model, version = members
    return f"{model}@{version}" == f"{ref.model}@{ref.version}" and leaf.hex() == ref.leaf_hex
