"""The one module of ``reports`` that reads a ledger: a snapshot as of its latest checkpoint.

Everything else in the package works on the snapshot's entries (or on the evidence embedded
in a PDF), so reports never see storage and can be recomputed offline.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.errors import LedgerError, NotFoundError
from ledger.tlog import merkle
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import Entry
from reports.errors import ReportError
from services.ledger_service import LedgerService
from services.verification import replay_meaning


@dataclass(frozen=True)
class Snapshot:
    """Every entry a signed checkpoint covers, with that checkpoint and the verifier key."""

    note: str
    checkpoint: Checkpoint
    verifier_key: str
    entries: list[Entry]

    @property
    def size(self) -> int:
        return self.checkpoint.size

    @property
    def as_of(self) -> str:
        """The time of the latest entry the checkpoint covers: the report's date."""
        return self.entries[-1].time


def take_snapshot(service: LedgerService, progress: Callable[[int], None] | None = None) -> Snapshot:
    note = service.log.latest_checkpoint()
    verifier_key = service.log.verifier_key()
    checkpoint = Checkpoint.open(note, service.log.verifier())
    if checkpoint.size == 0:
        raise NotFoundError("the ledger's latest checkpoint covers no entries")
    entries: list[Entry] = []
    for _first, blobs, _leaves in service.store.entry_chunks(end=checkpoint.size):
        entries.extend(Entry.parse(b) for b in blobs)
        if progress is not None:
            progress(len(entries))
    if len(entries) != checkpoint.size:
        raise ReportError(
            f"the checkpoint covers {checkpoint.size} entries but storage returned {len(entries)}; "
            "run `rledger verify`"
        )
    return Snapshot(note, checkpoint, verifier_key, entries)


def inclusion_proofs(
    service: LedgerService,
    snapshot: Snapshot,
    seqs: Sequence[int],
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """RFC 9162 inclusion proofs from storage, each checked against the checkpoint at once."""
    out = []
    for done, seq in enumerate(seqs, 1):
        proof = service.log.inclusion_proof(seq, snapshot.size)
        leaf = snapshot.entries[seq].leaf_hash
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        try:
            merkle.verify_inclusion(seq, snapshot.size, leaf, hashes, snapshot.checkpoint.root)
        except LedgerError as exc:
            raise ReportError(f"storage returned a bad inclusion proof for entry {seq}: {exc}") from None
        out.append(
            {
                "leaf_index": seq,
                "tree_size": snapshot.size,
                "leaf_hash": base64.b64encode(leaf).decode(),
                "hashes": list(proof["hashes"]),
            }
        )
        if progress is not None:
            progress(done)
    return out


def consistency_proof(service: LedgerService, old_size: int, new_size: int) -> list[str]:
    if old_size == new_size:
        return []
    hashes: list[str] = service.log.consistency_proof(old_size, new_size)["hashes"]
    return hashes


def verified_snapshot(service: LedgerService) -> tuple[Snapshot, dict[str, Any]]:
    """A snapshot and the whole-ledger verification of exactly its entries: an append landing
    between the two is retried, as the export's verify checks ``entries`` against its checkpoint."""
    for _attempt in range(3):
        verification = ledger_verification(service)
        snapshot = take_snapshot(service)
        if verification["entries"] == snapshot.size:
            return snapshot, verification
    raise ReportError("the ledger kept growing while it was being verified; make the export again")


def ledger_verification(service: LedgerService) -> dict[str, Any]:
    """Verify the whole ledger (entries, chain, tree, checkpoints, then every rule) and summarise:
    ``entries`` and ``root_hex`` are those of the latest checkpoint verified, and the rules are
    replayed over exactly those entries."""
    result = service.verification.verify()
    state = replay_meaning(service.store.entry_chunks(end=result.size))
    return {
        "entries": result.size,
        "root_hex": result.root.hex(),
        "checkpoints_checked": result.checkpoints_checked,
        "decisions_rechecked": len(state.decisions),
        "approvals_rechecked": sum(len(d.approvals) for d in state.decisions.values()),
    }
