"""The governed log: the one way entries get appended, and the governance state they add up to.

Every write the services make goes through :meth:`GovernedLog.append`, which appends only
if the governance state machine (``governance.state``) accepts every new entry, checked
inside the store's append transaction against the log as it stands then.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from governance.record import DECISION_KIND
from governance.state import GovernanceState
from governance.statements import sign_statement
from ledger.clock import Clock
from ledger.errors import AmbiguousIdError, InputError, NotFoundError, VerificationError
from ledger.tlog.entry import Entry
from ledger.tlog.note import Ed25519Signer, Signer
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
    """The store, the clock, the ledger's signing key and the cached governance state.

    One instance may serve many threads (the HTTP API): the cached state is shared and
    guarded by a re-entrant lock.
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
        self._lock = threading.RLock()
        # Called with each append's result once it has committed, outside the lock
        # (services.witnessing sends the new checkpoint to the witnesses). It must not raise.
        self.after_append: Callable[[AppendResult], None] | None = None

    def signing_key(self) -> Signer:
        """The ledger's checkpoint key; raises InputError when this service was opened read-only."""
        if self.signer is None:
            raise InputError("this operation writes to the ledger and needs its signing key")
        return self.signer

    def state(self) -> GovernanceState:
        """The governance state as of the latest entry. Entries never change, so the cached
        state only ever folds on the entries appended since (by any process)."""
        return self._fold(self.store.bodies_from)

    def _fold(self, read_from: Callable[[int], Iterable[bytes]]) -> GovernanceState:
        with self._lock:
            state = self._state if self._state is not None else GovernanceState()
            for data in read_from(state.size):
                state.apply(Entry.parse(data))
            self._state = state
            return state

    def append(self, pending: list[PendingEntry]) -> AppendResult:
        """Append entries only if the governance state machine accepts every one of them.

        Raises the governance error (RefusedError and kin) of the first refused entry, and
        nothing is written.
        """

        def check(entries: list[Entry], read_from: Callable[[int], list[bytes]]) -> None:
            state = self._fold(read_from)
            for entry in entries:
                state.apply(entry)

        with self._lock:
            self.state()  # catch up outside the write lock; inside it only the newest entries are read
            try:
                result = self.store.append(pending, self.clock.now, self.signing_key(), check)
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
