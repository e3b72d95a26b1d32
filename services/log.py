"""The log as a transparency log serves it: the verifier key, the latest signed checkpoint,
entry bytes, inclusion and consistency proofs (RFC 9162 §2.1.3-2.1.4), and the export file.

Proof hashes are standard base64, as in the C2SP tlog-checkpoint note's root hash.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from ledger.errors import InputError, NotFoundError
from ledger.tlog import merkle
from ledger.tlog.exportfile import write_export
from ledger.tlog.note import Verifier
from ledger.tlog.witnessed import with_cosignatures
from services.ports import LogStore


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class TransparencyLog:
    """Read-only: what auditors and clients fetch to check the log for themselves."""

    def __init__(self, store: LogStore) -> None:
        self.store = store

    def verifier(self) -> Verifier:
        return Verifier.parse(self.verifier_key())

    def verifier_key(self) -> str:
        """The note verifier key (``origin+keyid+base64``) the ledger signs checkpoints with."""
        return self.store.meta()["verifier_key"]

    def latest_checkpoint(self) -> str:
        """The newest signed checkpoint note, with the witnesses' stored cosignature lines
        appended after the log's signature (ledger.tlog.witnessed); NotFoundError before genesis."""
        latest = self.store.latest_checkpoint()
        if latest is None:
            raise NotFoundError("the ledger has no checkpoint yet")
        size, note = latest
        return with_cosignatures(note, [row.line for row in self.store.cosignatures(size)])

    def entry(self, index: int) -> bytes:
        """The exact bytes of entry ``index``; raises NotFoundError past the end."""
        data = self.store.entry(index)
        if data is None:
            raise NotFoundError(f"no entry {index}; the ledger has {self.store.size()}")
        return data

    def tree_size(self, size: int | None) -> int:
        """``size``, checked to be 1..the latest checkpoint's size; that size when None."""
        latest = self.store.latest_checkpoint()
        checkpointed = 0 if latest is None else latest[0]
        if size is None:
            return checkpointed
        if not 0 < size <= checkpointed:
            raise InputError(f"tree size {size} is not between 1 and the latest checkpoint's {checkpointed}")
        return size

    def inclusion_proof(self, index: int, size: int | None = None) -> dict[str, Any]:
        """Entry ``index`` in the tree of ``size`` (default: the latest checkpoint's):
        ``leaf_index``, ``tree_size``, ``leaf_hash``, ``root_hash`` and ``hashes``.
        Raises InputError for an index or size outside the checkpointed tree."""
        tree_size = self.tree_size(size)
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
        """The tree of size ``old`` is a prefix of the tree of size ``new``: ``old_size``,
        ``new_size``, ``old_root``, ``new_root`` and ``hashes``. Raises InputError unless
        1 <= old <= new <= the latest checkpoint's size."""
        new_size = self.tree_size(new)
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

    def export(self, out: BinaryIO, progress: Callable[[int], None] | None = None) -> int:
        """Write every entry, one per line, to ``out`` (docs/formats.md); returns the count.
        ``progress`` is called with the number written so far after each chunk."""

        def entries() -> Iterable[bytes]:
            done = 0
            for _, blobs, _ in self.store.entry_chunks():
                yield from blobs
                done += len(blobs)
                if progress is not None:
                    progress(done)

        return write_export(entries(), out)
