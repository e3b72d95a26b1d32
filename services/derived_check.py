"""Verifying the derived state table against the entries (governance/derived.py).

The rows are derived, so verification never trusts them: it replays the entries into a plain
in-memory state, encodes that state with the same codec and compares it with the stored rows
byte for byte. The rows record how many entries they reflect; they are compared with the
replay at exactly that point (appends running meanwhile land later and are not mistaken for
tampering; rows not yet caught up are compared as far as they go), and the replay then goes
on to the end, so every entry is still checked against the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from governance.derived import disagreement, state_rows, stored_size
from governance.state import GovernanceState
from ledger.errors import VerificationError
from services.ports import LogStore

Replay = Callable[[Iterable[tuple[int, list[bytes], Any]], GovernanceState | None], GovernanceState]
CHUNK = 4096


def replay_and_compare(store: LogStore, replay: Replay) -> GovernanceState:
    """``replay`` every entry, comparing the derived state rows with the state where they stand.

    Raises VerificationError naming the first row (namespace and key) that is missing, extra
    or different, or when the rows claim more entries than the log holds; and whatever
    ``replay`` raises for an entry the rules did not allow.
    """
    stored = store.derived_rows()
    if stored is None:  # a schema before migration 0005: nothing derived to check
        return replay(store.entry_chunks(), None)
    size = stored_size(stored)
    state = replay(store.entry_chunks(end=size), None) if size else GovernanceState()
    if state.size < size:
        raise VerificationError(
            f"the derived state table says it reflects {size} entries but the ledger holds {state.size}",
            index=state.size,
            expected=str(state.size),
            actual=str(size),
        )
    if stored:
        problem = disagreement(state_rows(state), stored)
        if problem is not None:
            raise VerificationError(
                problem + "; the ledger_derived_state table was altered behind the ledger's back"
            )
    return replay(_chunks(store, size), state)


def _chunks(store: LogStore, start: int) -> Iterator[tuple[int, list[bytes], None]]:
    """The entries from ``start`` on, as replay chunks."""
    batch: list[bytes] = []
    first = start
    for data in store.bodies_from(start):
        batch.append(data)
        if len(batch) == CHUNK:
            yield first, batch, None
            first, batch = first + len(batch), []
    if batch:
        yield first, batch, None
