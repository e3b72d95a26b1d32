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
from ledger.tlog.chunks import Ranges
from ledger.tlog.cosignature import CosignatureVerifier
from ledger.tlog.entry import Entry
from ledger.tlog.exportfile import read_export_chunks, read_first_line
from ledger.tlog.note import Verifier
from ledger.tlog.verify import VerifiedLog, claimed_size, verify_log
from ledger.tlog.witnessed import QuorumError, Witnessed, cosigners, distinct, split_note
from services.decision_rows import MEMBERS, DecisionRowCheck
from services.derived_check import replay_and_compare
from services.log import TransparencyLog
from services.ports import LogStore, StoredCosignature, WitnessTransport
from services.witness_config import WitnessConfig
from services.witness_probe import WitnessProbe, probe_witnesses

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
        """What each configured witness holds for this log (services.witness_probe, which
        documents the questions asked and the errors raised)."""

        def hashes(old: int, new: int) -> list[str]:
            proof: list[str] = TransparencyLog(self.store).consistency_proof(old, new)["hashes"]
            return proof

        return probe_witnesses(self.store, self.witnesses, transport, hashes, quorum)

    def verify(
        self,
        extra_checkpoints: Iterable[str] = (),
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
        integrity_only: bool = False,
    ) -> VerifiedLog:
        """Verify the database: every entry, every stored checkpoint and subtree hash, and any
        checkpoints given from outside (an auditor's last one, say), then every row of the
        decision lookup table against the entries (a derived table is never trusted). Raises
        VerificationError naming the first entry, checkpoint or lookup row that fails.

        ``integrity_only`` parses no entry: hashes, chain, subtree hashes and checkpoints only,
        and no lookup rows (docs/formats.md, "Integrity-only verification")."""
        meta = self.store.meta()
        verifier = Verifier.parse(meta["verifier_key"])
        # One snapshot: appends running meanwhile land with their own checkpoints and are
        # neither verified nor mistaken for truncation or for rows added behind our back.
        count, notes = self.store.snapshot()
        covered = max((claimed_size(n) or 0 for n in notes), default=0)
        rows = DecisionRowCheck(self.store)
        workers = default_workers(count) if workers is None else workers
        # Workers read their own ranges by seq (a truncated log ends at `count`, and is named
        # so by the checker); one process reads by position, so a moved row shows too.
        chunks = (
            Ranges(self.store.chunk_source(), min(count, covered))
            if workers > 1 and covered > 0
            else self.store.entry_chunks(end=max(covered, 1))
        )
        result = verify_log(
            chunks,
            verifier,
            [*notes, *extra_checkpoints],
            origin=meta["origin"],
            workers=workers,
            progress=progress,
            stored_nodes=self._stored_nodes,
            collect=None if integrity_only else MEMBERS,
            on_chunk=None if integrity_only else rows.chunk,
            integrity_only=integrity_only,
        )
        _check_all_covered(count, covered)
        if not integrity_only:
            rows.rest(max(covered, 1))
        return result

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
    integrity_only: bool = False,
) -> VerifiedLog:
    """Offline verification: an export file, signed checkpoints and a verifier key; no database.
    ``integrity_only`` parses no entry (see Verification.verify).

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
                integrity_only=integrity_only,
            )
    except FileNotFoundError:
        raise InputError(f"export file {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read export file {path}: {exc}") from None
    except UnicodeDecodeError as exc:  # pragma: no cover - entries are bytes; defensive
        raise FormatError(str(exc)) from None
