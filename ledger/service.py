"""The application service: what the ledger can do, shared by the CLI and the HTTP API.

It wires the pure pieces (entries, tree, checkpoints, scoring) to storage, a clock and a
signer, and is the only place that decides *what* gets appended.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ledger.clock import Clock
from ledger.decisions.record import DECISION_KIND, decision_payload, parse_request
from ledger.decisions.rules import DEFAULT_RULES, ScoringRules
from ledger.errors import AmbiguousIdError, FormatError, InputError, NotFoundError
from ledger.store import AppendResult, DecisionRef, LedgerStore, PendingEntry
from ledger.tlog import merkle
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import Entry
from ledger.tlog.exportfile import read_export_chunks, write_export
from ledger.tlog.note import Signer, Verifier
from ledger.tlog.verify import VerifiedLog, verify_log

GENESIS_KIND = "ledger.init"
PARALLEL_VERIFY_FROM = 200_000
_HEX_PREFIX = re.compile(r"^[0-9a-f]{4,64}$")


@dataclass(frozen=True)
class RecordedDecision:
    ref: DecisionRef
    entry: Entry

    @property
    def assessment(self) -> dict[str, Any]:
        value: dict[str, Any] = self.entry.payload["assessment"]
        return value


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def default_workers(size: int) -> int:
    return 2 if size >= PARALLEL_VERIFY_FROM and (os.cpu_count() or 1) >= 2 else 1


class LedgerService:
    def __init__(
        self,
        store: LedgerStore,
        clock: Clock,
        signer: Signer | None = None,
        rules: ScoringRules = DEFAULT_RULES,
    ) -> None:
        self.store = store
        self.clock = clock
        self.signer = signer
        self.rules = rules

    def _signer(self) -> Signer:
        if self.signer is None:
            raise InputError("this operation writes to the ledger and needs its signing key")
        return self.signer

    # -- writing ----------------------------------------------------------------------------

    def initialize(self, origin: str) -> AppendResult:
        signer = self._signer()
        if signer.name != origin:
            raise InputError(f"the signing key is named {signer.name!r}, the origin is {origin!r}")
        genesis = PendingEntry(GENESIS_KIND, {"origin": origin, "verifier_key": signer.verifier_key})
        return self.store.initialize(origin, signer.verifier_key, genesis, self.clock.now(), signer)

    def submit_decision(self, data: Any) -> RecordedDecision:
        """Validate, score and record one decision. Bad input leaves the ledger untouched."""
        request = parse_request(data)
        payload = decision_payload(request, self.rules)
        result = self.store.append(
            [PendingEntry(DECISION_KIND, payload, (request.model, request.version))],
            self.clock.now(),
            self._signer(),
        )
        entry = result.entries[0]
        ref = DecisionRef(entry.seq, request.model, request.version, entry.leaf_hash.hex())
        return RecordedDecision(ref, entry)

    # -- reading ----------------------------------------------------------------------------

    def verifier(self) -> Verifier:
        return Verifier.parse(self.store.meta()["verifier_key"])

    def verifier_key(self) -> str:
        return self.store.meta()["verifier_key"]

    def latest_checkpoint(self) -> str:
        latest = self.store.latest_checkpoint()
        if latest is None:
            raise NotFoundError("the ledger has no checkpoint yet")
        return latest[1]

    def resolve(self, decision_id: str) -> DecisionRef:
        """Accept ``MODEL@VERSION``, a full leaf hash, or a unique prefix of one."""
        if "@" in decision_id:
            model, _, version = decision_id.rpartition("@")
            ref = self.store.decision_by_version(model, version)
            if ref is None:
                raise NotFoundError(f"no decision for {decision_id}")
            return ref
        prefix = decision_id.lower()
        if not _HEX_PREFIX.match(prefix):
            raise InputError(f"{decision_id!r} is neither MODEL@VERSION nor a hex hash prefix of 4+ digits")
        matches = self.store.decisions_by_prefix(prefix)
        if not matches:
            raise NotFoundError(f"no decision whose hash starts with {prefix}")
        if len(matches) > 1:
            raise AmbiguousIdError(prefix, len(matches))
        return matches[0]

    def decision(self, decision_id: str) -> RecordedDecision:
        ref = self.resolve(decision_id)
        data = self.store.entry(ref.seq)
        if data is None:
            raise NotFoundError(f"entry {ref.seq} is missing from storage")
        return RecordedDecision(ref, Entry.parse(data))

    def decisions(self, model: str | None = None) -> list[RecordedDecision]:
        out = []
        for ref in self.store.decisions(model=model, limit=100_000):
            data = self.store.entry(ref.seq)
            if data is not None:
                out.append(RecordedDecision(ref, Entry.parse(data)))
        return out

    def entry(self, index: int) -> bytes:
        data = self.store.entry(index)
        if data is None:
            raise NotFoundError(f"no entry {index}; the ledger has {self.store.size()}")
        return data

    # -- proofs -----------------------------------------------------------------------------

    def _tree_size(self, size: int | None) -> int:
        latest = self.store.latest_checkpoint()
        checkpointed = 0 if latest is None else latest[0]
        if size is None:
            return checkpointed
        if not 0 < size <= checkpointed:
            raise InputError(f"tree size {size} is not between 1 and the latest checkpoint's {checkpointed}")
        return size

    def inclusion_proof(self, index: int, size: int | None = None) -> dict[str, Any]:
        tree_size = self._tree_size(size)
        if not 0 <= index < tree_size:
            raise InputError(f"entry {index} is not in a tree of size {tree_size}")
        plan = merkle.inclusion_plan(index, tree_size)
        wanted = merkle.nodes_needed(plan) | set(merkle.frontier_ids(tree_size)) | {(0, index)}
        nodes = self.store.nodes(wanted)
        return {
            "leaf_index": index,
            "tree_size": tree_size,
            "leaf_hash": _b64(nodes[(0, index)]),
            "root_hash": _b64(merkle.root_from(tree_size, nodes)),
            "hashes": [_b64(h) for h in merkle.hashes_for(plan, nodes)],
        }

    def consistency_proof(self, old: int, new: int) -> dict[str, Any]:
        new_size = self._tree_size(new)
        if not 0 < old <= new_size:
            raise InputError(f"old size {old} must be between 1 and the new size {new_size}")
        plan = merkle.consistency_plan(old, new_size) if old < new_size else []
        wanted = (
            merkle.nodes_needed(plan) | set(merkle.frontier_ids(old)) | set(merkle.frontier_ids(new_size))
        )
        nodes = self.store.nodes(wanted)
        return {
            "old_size": old,
            "new_size": new_size,
            "old_root": _b64(merkle.root_from(old, nodes)),
            "new_root": _b64(merkle.root_from(new_size, nodes)),
            "hashes": [_b64(h) for h in merkle.hashes_for(plan, nodes)],
        }

    # -- verification and export ----------------------------------------------------------

    def verify(
        self,
        extra_checkpoints: Iterable[str] = (),
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> VerifiedLog:
        """Verify the database: every entry, every stored checkpoint, and any given from outside."""
        meta = self.store.meta()
        verifier = Verifier.parse(meta["verifier_key"])
        notes = [*self.store.checkpoint_notes(), *extra_checkpoints]
        size = self.store.size()
        return verify_log(
            self.store.entry_chunks(),
            verifier,
            notes,
            origin=meta["origin"],
            workers=default_workers(size) if workers is None else workers,
            progress=progress,
        )

    def export(self, out: BinaryIO) -> int:
        return write_export((blob for _, blobs, _ in self.store.entry_chunks() for blob in blobs), out)


def verify_export_file(
    path: Path,
    checkpoint_note: str,
    verifier_key: str,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifiedLog:
    """Offline verification: an export file, a signed checkpoint and a verifier key; no database."""
    verifier = Verifier.parse(verifier_key)
    checkpoint = Checkpoint.open(checkpoint_note, verifier)  # fail early on a bad note
    try:
        size_hint = path.stat().st_size // 1000
        with path.open("rb") as source:
            return verify_log(
                read_export_chunks(source),
                verifier,
                [checkpoint_note],
                origin=checkpoint.origin,
                workers=default_workers(size_hint) if workers is None else workers,
                progress=progress,
            )
    except FileNotFoundError:
        raise InputError(f"export file {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read export file {path}: {exc}") from None
    except UnicodeDecodeError as exc:  # pragma: no cover - entries are bytes; defensive
        raise FormatError(str(exc)) from None
