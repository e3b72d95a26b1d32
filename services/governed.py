"""The governed log: the one way entries get appended, and the governance state they add up to.

Every write the services make goes through :meth:`GovernedLog.append`, which appends only
if the governance state machine (``governance.state``) accepts every new entry, checked
inside the store's append transaction against the log as it stands then.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from governance.derived import StateRows, backed_state, changes
from governance.record import DECISION_KIND
from governance.state import GovernanceState
from governance.statements import sign_statement
from ledger.clock import Clock
from ledger.errors import (
    AmbiguousIdError,
    InputError,
    LedgerError,
    NotFoundError,
    StorageError,
    VerificationError,
)
from ledger.tlog.entry import Entry
from ledger.tlog.note import Ed25519Signer, Signer
from services import state_scope
from services.fair_lock import FairLock
from services.ports import AppendResult, DecisionRef, LogStore, PendingEntry

STATEMENT_KINDS = frozenset(
    {
        "identity.added",
        "identity.key_rotated",
        "identity.revoked",
        "policy.adopted",
        "release.approval",
        "release.canary_started",
        "release.canary_result",
        "release.promoted",
        "release.rolled_back",
        "token.issued",
        "token.revoked",
    }
)
_HEX_PREFIX = re.compile(r"^[0-9a-f]{4,64}$")
CATCH_UP_ENTRIES = 5000  # per transaction: bounded memory, and a lock held for seconds, not minutes


def _apply(state: GovernanceState, data: bytes) -> None:
    """Fold one stored entry. One the rules refuse was either appended without the rules
    (behind the ledger's back) or met rows not made from these entries: both are named."""
    entry = Entry.parse(data)
    try:
        state.apply(entry)
    except LedgerError as exc:
        raise VerificationError(
            f"entry {entry.seq} is not allowed by the ledger's rules as the derived state table "
            f"stands ({exc}): the entry was appended, or the table altered, behind the ledger's "
            "back (run `rledger verify`)",
            index=entry.seq,
        ) from None


def _fold_some(rows: StateRows, read: Callable[[int, int], list[bytes]]) -> bool:
    """A StateFold: up to CATCH_UP_ENTRIES missing entries into the rows; True once none are left."""
    state = backed_state(rows)
    blobs = read(state.size, CATCH_UP_ENTRIES)
    for data in blobs:
        _apply(state, data)
    rows.write(changes(state))
    return len(blobs) < CATCH_UP_ENTRIES


def row_disagreement(ref: DecisionRef, entry: Entry | None) -> str | None:
    """What a decision lookup row gets wrong about the entry at its seq, or None if nothing.

    The ``ledger_decisions`` table is derived from the entries and not covered by any
    checkpoint, so a row is only trusted once the entry bytes it points at agree with it:
    a ``release.decision`` at that seq, of that model@version, with that leaf hash.
    """
    if entry is None:
        return "points at no entry"
    if entry.seq != ref.seq:
        return f"points at an entry that says it is entry {entry.seq}"
    if entry.kind != DECISION_KIND:
        return f"points at a {entry.kind} entry, not a {DECISION_KIND}"
    named = f"{entry.payload.get('model')}@{entry.payload.get('version')}"
    if named != f"{ref.model}@{ref.version}":
        return f"points at the decision for {named}"
    if entry.leaf_hash.hex() != ref.leaf_hex:
        return f"names leaf hash {ref.leaf_hex}, but the entry's is {entry.leaf_hash.hex()}"
    return None


def row_error(ref: DecisionRef, problem: str) -> VerificationError:
    """The VerificationError for a lookup row that disagrees with the entries."""
    return VerificationError(
        f"the decision lookup row for {ref.model}@{ref.version} (seq {ref.seq}) {problem}; "
        "the ledger_decisions table was altered behind the ledger's back",
        index=ref.seq,
    )


def authored(kind: str, payload: dict[str, Any], key: Ed25519Signer, origin: str | None) -> dict[str, Any]:
    """``payload`` signed by its author's ``key`` over the statement bytes of the ledger's
    format (``origin`` from format 4, see governance.statements). Any old signature is dropped."""
    return sign_statement(kind, payload, key, origin=origin)


class GovernedLog:
    """The store, the clock, the ledger's signing key and the governance state.

    One instance may serve many threads (the HTTP API): each ``state()`` is a new object over
    the derived state rows; only the in-memory fold of a schema without them is shared,
    guarded by a re-entrant lock. Writers take that lock in arrival order (FairLock), so
    under many concurrent writers none waits more turns than there were writers ahead of it.
    """

    def __init__(
        self,
        store: LogStore,
        clock: Clock,
        signer: Signer | None = None,
        random: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.store = store
        self.clock = clock
        self.signer = signer
        self.random = random
        self._state: GovernanceState | None = None
        self._lock = FairLock()
        # Called with each append's result once it has committed, outside the lock
        # (services.witnessing sends the new checkpoint to the witnesses). It must not raise.
        self.after_append: Callable[[AppendResult], None] | None = None

    def signing_key(self) -> Signer:
        """The ledger's checkpoint key; raises InputError when this service was opened read-only."""
        if self.signer is None:
            raise InputError("this operation writes to the ledger and needs its signing key")
        return self.signer

    def state(self) -> GovernanceState:
        """The governance state as of the latest entry, backed by the derived state rows: a
        few primary-key reads, whatever the ledger's length, and each row read at most once
        per returned state (so take a new one per request or command, not one for ever).

        Rows behind the log (a ledger from before migration 0005, or written by something
        other than this class) are brought up to date first, once, in write transactions of
        their own (:meth:`catch_up`). On a schema without the rows the entries are folded in
        memory as before. Raises VerificationError when the rows claim more entries than the
        log holds, or hold a state the entries after them cannot be applied to.

        Inside ``services.state_scope.one_state()`` (each HTTP request) every call gets the
        same state until this log appends.
        """
        shared = state_scope.scoped(self)
        if shared is None:
            shared = self._current_state()
            state_scope.keep(self, shared)
        state: GovernanceState = shared
        return state

    def _current_state(self) -> GovernanceState:
        """The state read now (see :meth:`state`), never a scope's."""
        rows = self.store.state_rows()
        if rows is None:
            return self._fold(self.store.bodies_from)
        view = backed_state(rows)
        size = self.store.size()
        if view.size > size:
            raise VerificationError(
                f"the derived state table says it reflects {view.size} entries but the ledger holds "
                f"{size}: it was altered behind the ledger's back (run `rledger verify`)",
                index=size,
            )
        if view.size < size:
            try:
                self.catch_up()
            except StorageError:
                # A role that may not write (a read-only replica): fold the rest in memory only.
                for data in self.store.bodies_from(view.size):
                    _apply(view, data)
                return view
            view = backed_state(rows)
        return view

    def catch_up(self) -> None:
        """Fold the entries the derived state rows do not reflect yet into them and store
        the result, CATCH_UP_ENTRIES per write transaction (each lands whole or not at all)."""
        while not self.store.update_state(_fold_some):
            pass

    def _fold(self, read_from: Callable[[int], Iterable[bytes]]) -> GovernanceState:
        with self._lock:
            state = self._state if self._state is not None else GovernanceState()
            for data in read_from(state.size):
                state.apply(Entry.parse(data))
            self._state = state
            return state

    def check(
        self, entries: list[Entry], read_from: Callable[[int], list[bytes]], rows: StateRows | None
    ) -> None:
        """The AppendCheck: inside the append transaction, apply ``entries`` to the state as
        the rows hold it (after any entries they miss) and write the rows that changed."""
        if rows is None:
            state = self._fold(read_from)
            for entry in entries:
                state.apply(entry)
            return
        state = backed_state(rows)
        for data in read_from(state.size):  # normally none: catch_up ran before the lock was taken
            _apply(state, data)
        for entry in entries:
            state.apply(entry)
        rows.write(changes(state))

    def append(self, pending: list[PendingEntry]) -> AppendResult:
        """Append entries only if the governance state machine accepts every one of them.

        Raises the governance error (RefusedError and kin) of the first refused entry, and
        nothing is written: neither the entries nor any derived state row.
        """
        state_scope.drop(self)  # from here on the scope's state may be behind the log
        # Catch up outside the database's write lock (inside it only the newest entries are
        # read), and outside this one too: catching up is a write transaction of its own, safe
        # to run concurrently, and every writer queued here would otherwise wait for it.
        self._current_state()
        with self._lock:
            try:
                result = self.store.append(pending, self.clock.now, self.signing_key(), self.check)
            except BaseException:
                self._state = None  # the cache may hold entries that did not land; rebuild next time
                raise
        if self.after_append is not None:
            self.after_append(result)
        return result

    def append_statement(self, kind: str, payload: dict[str, Any]) -> Entry:
        """Append one signed statement (built here, or signed elsewhere and sent to us).

        Raises InputError for a kind that is not a statement (see STATEMENT_KINDS).
        """
        if kind not in STATEMENT_KINDS:
            raise InputError(f"{kind!r} is not a statement kind; expected one of {sorted(STATEMENT_KINDS)}")
        return self.append([PendingEntry(kind, payload)]).entries[0]

    def act(self, kind: str, payload: dict[str, Any], key: Ed25519Signer) -> Entry:
        """Append a statement signed here by its author's ``key`` (held on this machine)."""
        return self.append_statement(kind, authored(kind, payload, key, self.state().statement_origin()))

    def resolve(self, decision_id: str) -> DecisionRef:
        """Accept ``MODEL@VERSION``, a full leaf hash, or a unique prefix of one (4+ hex digits).

        The lookup row found is checked against the entry it points at (see row_disagreement).
        Raises NotFoundError, AmbiguousIdError (a prefix of several), InputError (neither
        form) or VerificationError (the row disagrees with its entry).
        """
        if "@" in decision_id:
            model, _, version = decision_id.rpartition("@")
            ref = self.store.decision_by_version(model, version)
            if ref is None:
                raise NotFoundError(f"no decision for {decision_id}")
            return self._checked(ref)
        return self._checked(self._by_prefix(decision_id))

    def _checked(self, ref: DecisionRef) -> DecisionRef:
        """``ref`` once the entry at its seq agrees with it (one entry read): the lookup
        table is derived, so nobody signs or acts on a decision it alone names."""
        data = self.store.entry(ref.seq)
        problem = row_disagreement(ref, None if data is None else Entry.parse(data))
        if problem is not None:
            raise row_error(ref, problem)
        return ref

    def _by_prefix(self, decision_id: str) -> DecisionRef:
        prefix = decision_id.lower()
        if not _HEX_PREFIX.match(prefix):
            raise InputError(f"{decision_id!r} is neither MODEL@VERSION nor a hex hash prefix of 4+ digits")
        matches = self.store.decisions_by_prefix(prefix)
        if not matches:
            raise NotFoundError(f"no decision whose hash starts with {prefix}")
        if len(matches) > 1:
            raise AmbiguousIdError(prefix, len(matches))
        return matches[0]
