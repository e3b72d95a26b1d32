"""Verifying a ledger: its integrity (entries, hashes, signed checkpoints) and its meaning
(every entry allowed by the governance rules as they stood), from the database or offline
from an export file, a signed checkpoint and a verifier key."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.record import DECISION_KIND
from governance.state import GovernanceState
from ledger.errors import FormatError, InputError, LedgerError, StorageError, VerificationError
from ledger.tlog import merkle
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.cosignature import CosignatureVerifier
from ledger.tlog.entry import Entry
from ledger.tlog.exportfile import read_export_chunks, read_first_line
from ledger.tlog.note import Verifier
from ledger.tlog.verify import VerifiedLog, claimed_size, verify_log
from ledger.tlog.witnessed import QuorumError, Witnessed, cosigners, distinct, split_note
from services.derived_check import replay_and_compare
from services.governed import row_disagreement, row_error
from services.ports import DecisionRef, LogStore, StoredCosignature, WitnessTransport
from services.witness_config import WitnessConfig, WitnessSite
from services.witnessing import SIZE_CONTENT_TYPE

PARALLEL_VERIFY_FROM = 200_000  # entries
# RFC 8785 writes the kind as this exact string, so an entry without these bytes is no decision.
_DECISION_BYTES = f'"{DECISION_KIND}"'.encode()


def default_workers(size: int) -> int:
    """Processes to verify ``size`` entries with: 2 from PARALLEL_VERIFY_FROM on a multi-core host."""
    return 2 if size >= PARALLEL_VERIFY_FROM and (os.cpu_count() or 1) >= 2 else 1


@dataclass(frozen=True)
class WitnessCheck:
    """The latest checkpoint in the database that the given witnesses cosigned to the quorum."""

    size: int | None  # None: no checkpoint reaches the quorum
    found: Witnessed | None
    quorum: int
    entries: int  # entries in the database

    @property
    def summary(self) -> str:
        if self.size is None or self.found is None:
            return f"NOT yet witnessed: no checkpoint carries cosignatures from {self.quorum} witnesses"
        text = f"the latest witnessed checkpoint (size {self.size}) is {self.found.summary(self.quorum)}"
        if self.entries > self.size:
            text += f"; {self.entries - self.size} later entries are NOT yet witnessed"
        return text


@dataclass(frozen=True)
class WitnessProbe:
    """What one configured witness says it holds for this log (``probe_witnesses``)."""

    name: str
    size: int | None  # the size it has cosigned; None when it could not tell us
    ends_at: int  # the size of the database's latest checkpoint, which was sent
    problem: str | None = None  # unreachable, refused: why ``size`` is None

    @property
    def line(self) -> str:
        if self.size is None:
            return f"witness {self.name}: {self.problem}"
        if self.size == self.ends_at:
            return f"witness {self.name}: holds size {self.size}, the database's latest checkpoint"
        behind = f"behind the database's {self.ends_at} (not a failure)"
        return f"witness {self.name}: holds size {self.size}, {behind}"


class Verification:
    """Verifying the ledger in the database (against its witnesses when ``witnesses`` is given)."""

    def __init__(self, store: LogStore, witnesses: WitnessConfig | None = None) -> None:
        self.store = store
        self.witnesses = witnesses

    def check_witnessed(
        self,
        verifiers: Sequence[CosignatureVerifier] | None = None,
        quorum: int | None = None,
        *,
        require_quorum: bool = False,
    ) -> WitnessCheck | None:
        """The database against the cosignatures stored with its checkpoints.

        ``verifiers`` and ``quorum`` default to the configured witnesses (None: no witnesses
        at all). Every stored cosignature by one of them must verify over the stored
        checkpoint of its size, and that checkpoint must still be there with its entries:
        so truncating or rewriting witnessed entries (and re-signing the checkpoints with the
        log key) fails here, in a VerificationError naming the size and the witnesses.
        ``require_quorum`` makes a log with no checkpoint at the quorum a QuorumError too.
        Run it after ``verify``, which checks the stored checkpoints against the entries.
        """
        if verifiers is None and self.witnesses is not None:
            verifiers = self.witnesses.verifiers
            quorum = self.witnesses.quorum if quorum is None else quorum
        if not verifiers:
            return None
        keys = distinct(verifiers)
        quorum = len(keys) if quorum is None else quorum
        if not 1 <= quorum <= len(keys):
            raise InputError(f"a quorum of {quorum} needs between 1 and {len(keys)} distinct witness keys")
        count, notes = self.store.snapshot()
        by_size = {claimed_size(note): note for note in notes}
        rows: dict[int, list[StoredCosignature]] = {}
        for row in self.store.cosignatures():
            rows.setdefault(row.size, []).append(row)
        best: tuple[int, Witnessed] | None = None
        for size in sorted(rows, reverse=True):  # so a truncation names the largest witnessed size
            found = self._witnessed_at(size, [r.line for r in rows[size]], by_size.get(size), keys, count)
            if best is None and found is not None and len(found.verified) >= quorum:
                best = (size, found)
        check = WitnessCheck(best[0] if best else None, best[1] if best else None, quorum, count)
        if require_quorum and best is None:
            raise QuorumError(check.summary)
        return check

    def _witnessed_at(
        self, size: int, lines: list[str], note: str | None, keys: list[CosignatureVerifier], count: int
    ) -> Witnessed | None:
        """The given witnesses' stored cosignatures of ``size``, checked against the database."""
        claimed = [k.name for k in keys if any(_claims(k, line) for line in lines)]
        if not claimed:
            return None  # only other witnesses' rows: nothing these keys vouch for
        if size > count or note is None:
            raise VerificationError(
                f"witnesses {', '.join(claimed)} cosigned a checkpoint of size {size}, but the database "
                f"{'holds only ' + str(count) + ' entries' if size > count else 'no longer holds it'}: "
                "witnessed entries were removed (truncation)",
                index=min(size, count),
                expected=str(size),
                actual=str(count),
            )
        found = cosigners(split_note(note)[0], lines, keys)
        if found.invalid:
            raise VerificationError(
                f"the stored cosignatures of {', '.join(found.invalid)} do not verify over the "
                f"checkpoint of size {size}: the log was rewritten and re-signed after they cosigned it",
                index=size - 1,
            )
        return found

    def probe_witnesses(self, transport: WitnessTransport, quorum: int | None = None) -> list[WitnessProbe]:
        """Ask each configured witness what it holds for this log: the database's latest
        checkpoint goes as an add-checkpoint request with ``old`` = its own size and no proof.
        A witness at that size cosigns it again (200; the line is checked, not stored); any
        other holds another size and answers 409 with it (``text/x.tlog.size``).

        Raises VerificationError when a witness holds a larger size than the database's latest
        checkpoint (entries it cosigned were removed, even with their stored cosignatures), or
        the same size with another root (409 with our own size: history rewritten); QuorumError
        when ``quorum`` is given and fewer witnesses answered. Unreachable ones are reported.
        """
        latest = self.store.latest_checkpoint()
        if self.witnesses is None or latest is None:
            return []
        size, note = latest
        body, _ = split_note(note)
        request = f"old {size}\n\n{note}".encode()  # the stored note: the log's signature only
        probes = [self._probe_one(site, transport, request, size, body) for site in self.witnesses.witnesses]
        answered = [p for p in probes if p.size is not None]
        if quorum is not None and len(answered) < quorum:
            raise QuorumError(
                f"only {len(answered)} of {len(probes)} witnesses answered; "
                f"a quorum of {quorum} cannot be met: " + "; ".join(p.line for p in probes if p.size is None)
            )
        return probes

    def _probe_one(
        self, site: WitnessSite, transport: WitnessTransport, request: bytes, size: int, body: str
    ) -> WitnessProbe:
        status, content_type, text = transport.post(f"{site.url}/add-checkpoint", request)
        if status == 200:
            if any(_verifies(site.verifier, line, body) for line in text.splitlines()):
                return WitnessProbe(site.name, size, size)
            problem = "answered 200 without a valid cosignature by its configured key"
            return WitnessProbe(site.name, None, size, problem)
        answer = text.strip()
        sized = content_type.startswith(SIZE_CONTENT_TYPE) and answer.isdigit() and len(answer) <= 20
        if status == 409 and sized:
            held = int(answer)
            if held == size:  # our old size matched its record, so the roots differ
                raise VerificationError(
                    f"witness {site.name} has cosigned another checkpoint of size {size}: "
                    "the database's history was rewritten after it was witnessed",
                    index=size - 1,
                )
            if held > size and not self._caught_up(held):
                raise VerificationError(
                    f"witness {site.name} has cosigned size {held} but the database ends at {size}: "
                    "entries were removed",
                    index=size,
                    expected=str(held),
                    actual=str(size),
                )
            return WitnessProbe(site.name, held, size)
        reason = answer.splitlines()[0][:200] if answer else ""
        problem = f"unreachable: {reason}" if status == 0 else f"answered HTTP {status}: {reason}"
        return WitnessProbe(site.name, None, size, problem)

    def _caught_up(self, held: int) -> bool:
        """An append running meanwhile may have had a newer checkpoint cosigned: not a truncation."""
        latest = self.store.latest_checkpoint()
        return latest is not None and latest[0] >= held

    def verify(
        self,
        extra_checkpoints: Iterable[str] = (),
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> VerifiedLog:
        """Verify the database: every entry, every stored checkpoint and subtree hash, and any
        checkpoints given from outside (an auditor's last one, say), then every row of the
        decision lookup table against the entries (a derived table is never trusted). Raises
        VerificationError naming the first entry, checkpoint or lookup row that fails."""
        meta = self.store.meta()
        verifier = Verifier.parse(meta["verifier_key"])
        # One snapshot: appends running meanwhile land with their own checkpoints and are
        # neither verified nor mistaken for truncation or for rows added behind our back.
        count, notes = self.store.snapshot()
        covered = max((claimed_size(n) or 0 for n in notes), default=0)
        result = verify_log(
            self.store.entry_chunks(end=max(covered, 1)),
            verifier,
            [*notes, *extra_checkpoints],
            origin=meta["origin"],
            workers=default_workers(count) if workers is None else workers,
            progress=progress,
            stored_nodes=self._stored_nodes,
        )
        _check_all_covered(count, covered)
        self._check_decision_rows(covered)
        return result

    def _check_decision_rows(self, end: int) -> None:
        """The decision lookup table against the entries (just verified) below ``end``: each
        row's seq holds that model@version's decision with that leaf hash, and every decision
        entry has its row. Rows from ``end`` on (appends running meanwhile) are checked one by
        one. Raises VerificationError naming the first row, or entry, that disagrees."""
        rows: dict[int, DecisionRef] = {r.seq: r for r in self.store.decision_rows()}
        for first, blobs, _ in self.store.entry_chunks(end=max(end, 1)):
            for offset, data in enumerate(blobs):
                _check_decision_row(first + offset, data, rows.pop(first + offset, None))
        for ref in rows.values():
            stored = self.store.entry(ref.seq) if ref.seq >= end else None
            problem = row_disagreement(ref, None if stored is None else Entry.parse(stored))
            if problem is not None:
                raise row_error(ref, problem)

    def _stored_nodes(self, ids: set[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
        try:
            return self.store.nodes(ids)
        except StorageError as exc:
            raise VerificationError(f"stored Merkle subtree hashes are missing: {exc}") from None

    def verify_meaning(self) -> GovernanceState:
        """Replay every entry through the rules (naming the first not allowed), checking the derived rows."""
        return replay_and_compare(self.store, replay_meaning)


def _claims(verifier: CosignatureVerifier, line: str) -> bool:
    try:
        return verifier.matches(line)
    except LedgerError:
        return False


def _verifies(verifier: CosignatureVerifier, line: str, body: str) -> bool:
    """Whether ``line`` is a cosignature by ``verifier`` that verifies over ``body``."""
    try:
        if not verifier.matches(line):
            return False
        verifier.verify(line, body)
    except LedgerError:
        return False
    return True


def _check_decision_row(seq: int, data: bytes, ref: DecisionRef | None) -> None:
    """Entry ``seq`` against its lookup row (None: it has none)."""
    if ref is None and _DECISION_BYTES not in data:
        return
    entry = Entry.parse(data)
    if ref is not None:
        problem = row_disagreement(ref, entry)
        if problem is not None:
            raise row_error(ref, problem)
    elif entry.kind == DECISION_KIND:
        named = f"{entry.payload.get('model')}@{entry.payload.get('version')}"
        raise VerificationError(
            f"the decision for {named} has no row in the decision lookup table", index=seq
        )


def _check_all_covered(count: int, covered: int) -> None:
    """Every append writes its checkpoint in the same transaction, so an entry that no
    checkpoint covers was not written by the ledger."""
    if count > covered:
        raise VerificationError(
            f"{count - covered} entries follow the latest signed checkpoint; every append "
            "writes one, so they were added behind the ledger's back",
            index=covered,
            expected=str(covered),
            actual=str(count),
        )


def replay_meaning(
    chunks: Iterable[tuple[int, list[bytes], Any]], state: GovernanceState | None = None
) -> GovernanceState:
    """Every approval signature against the key registered at that point, roles, separation of
    duties, and every promotion against the policy it recorded: the log's meaning, re-checked.

    ``chunks`` are (position of the first entry, entry bytes, anything), folded into ``state``
    (a new one unless given). Raises VerificationError naming the first entry not allowed.
    """
    state = GovernanceState() if state is None else state
    for first, blobs, _ in chunks:
        for offset, data in enumerate(blobs):
            try:
                state.apply(Entry.parse(data))
            except LedgerError as exc:
                raise VerificationError(
                    f"not allowed by the ledger's rules: {exc}", index=first + offset
                ) from None
    return state


def verify_export_meaning(path: Path) -> GovernanceState:
    """replay_meaning over an export file; raises InputError when it cannot be read."""
    try:
        with path.open("rb") as source:
            return replay_meaning(read_export_chunks(source))
    except OSError as exc:
        raise InputError(f"cannot read export file {path}: {exc}") from None


def _check_genesis_key(path: Path, verifier_key: str) -> None:
    """The log names its own checkpoint key in its first entry; it must be the key given."""
    first = read_first_line(path)
    try:
        named = Entry.parse(first).payload.get("verifier_key")
    except LedgerError:
        return  # structural verification names the malformed entry
    if named is not None and str(named).strip() != verifier_key.strip():
        raise VerificationError(
            "the log's first entry names another checkpoint key",
            index=0,
            expected=verifier_key,
            actual=str(named),
        )


def verify_export_file(
    path: Path,
    checkpoint_notes: str | list[str],
    verifier_key: str,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifiedLog:
    """Offline verification: an export file, signed checkpoints and a verifier key; no database.

    Every checkpoint in ``checkpoint_notes`` (one note, or the export's own and those an
    auditor kept) must match the root of the export's entries at its size.

    Raises VerificationError (the first failure), FormatError (a bad note or key) or
    InputError (the file cannot be read).
    """
    notes = [checkpoint_notes] if isinstance(checkpoint_notes, str) else checkpoint_notes
    verifier = Verifier.parse(verifier_key)
    for note in notes:
        Checkpoint.open(note, verifier)  # fail early on a bad note
    _check_genesis_key(path, verifier_key)
    try:
        size_hint = path.stat().st_size // 1000
        with path.open("rb") as source:
            return verify_log(
                read_export_chunks(source),
                verifier,
                notes,
                origin=verifier.name,
                workers=default_workers(size_hint) if workers is None else workers,
                progress=progress,
            )
    except FileNotFoundError:
        raise InputError(f"export file {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read export file {path}: {exc}") from None
    except UnicodeDecodeError as exc:  # pragma: no cover - entries are bytes; defensive
        raise FormatError(str(exc)) from None
