"""Streaming verification of a whole log against its signed checkpoints.

What is checked, entry by entry, in seq order:

- the bytes are JSON in canonical form and have the entry shape (entry.py);
- ``seq`` equals the entry's position (catches deletion, insertion and reordering);
- ``prev`` equals the leaf hash of the entry before (the hash chain);
- where storage recorded a leaf hash, the bytes still hash to it (names an edited entry);

and, as the Merkle tree grows leaf by leaf:

- every checkpoint's signature verifies under the verifier key, and its origin matches;
- every checkpoint's root equals the root recomputed from the entries at its size, so
  successive checkpoints are consistent by construction;
- no checkpoint covers more entries than are present (catches truncation).

Memory is O(log n): a compact range of the tree, the checkpoint list, and a bounded
window of entry chunks. The checks of single entries are ledger.tlog.chunks'; work on
chunks can be spread over processes.
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from ledger.errors import LedgerError, VerificationError
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.chunks import (
    Chunk,
    ChunkResult,
    Collect,
    Ranges,
    broken_link,
    check_chunk,
    check_range,
)
from ledger.tlog.entry import GENESIS_PREV
from ledger.tlog.merkle import CompactRange, NodeId
from ledger.tlog.note import Verifier

NodeReader = Callable[[set[NodeId]], dict[NodeId, bytes]]


@dataclass(frozen=True)
class VerifiedLog:
    size: int
    root: bytes
    checkpoints_checked: int
    latest_checkpoint: Checkpoint | None

    @property
    def uncovered(self) -> int:
        """Entries after the latest checkpoint (zero for a ledger that is fully checkpointed)."""
        return self.size - (self.latest_checkpoint.size if self.latest_checkpoint else 0)


class LogChecker:
    """Consumes chunk results in order, growing the tree and checking checkpoints."""

    def __init__(
        self,
        verifier: Verifier,
        checkpoint_notes: Iterable[str],
        origin: str | None = None,
        stored_nodes: NodeReader | None = None,
    ) -> None:
        self._stored_nodes = stored_nodes
        self._tree = CompactRange()
        self._last_leaf = GENESIS_PREV
        self._pending = _open_checkpoints(verifier, checkpoint_notes, origin or verifier.name)
        self._checked = 0
        self._latest: Checkpoint | None = None
        while self._pending and self._pending[0].size == 0:
            self._check_root(self._pending.popleft())  # the empty tree's checkpoint

    @property
    def size(self) -> int:
        return self._tree.size

    def absorb(self, result: ChunkResult) -> None:
        if result.first_seq != self._tree.size:
            raise VerificationError("chunks arrived out of order", index=result.first_seq)
        if result.leaves and result.first_prev != self._last_leaf:
            problem, index, expected, actual = broken_link(
                result.first_seq, self._last_leaf, str(result.first_prev)
            )
            raise VerificationError(problem, index=index, expected=expected, actual=actual)
        leaves = result.leaves
        flagged = result.problem[1] if result.problem is not None else None
        created: dict[NodeId, bytes] = {}
        for start in range(0, len(leaves), 32):
            for node_id, value in self._tree.append(leaves[start : start + 32]):
                if node_id[0] > 0:
                    created[node_id] = value
            if self._pending and self._pending[0].size == self._tree.size:
                if flagged is not None and self._tree.size > flagged:
                    break  # the chunk already named an entry this checkpoint covers: report that
                self._check_root(self._pending.popleft())
        if leaves:
            self._last_leaf = leaves[-32:].hex()
        if self._stored_nodes is not None and created and result.problem is None:
            self._compare_stored(created)
        if result.problem is not None:
            problem, index, expected, actual = result.problem
            raise VerificationError(problem, index=index, expected=expected, actual=actual)

    def _compare_stored(self, created: dict[NodeId, bytes]) -> None:
        """Proofs are served from stored subtree hashes; they must be the ones the entries give."""
        assert self._stored_nodes is not None
        stored = self._stored_nodes(set(created))
        if stored == created:
            return  # the usual case; the sort below only finds the first difference
        for (level, index), value in sorted(created.items(), key=lambda item: item[0][1] << item[0][0]):
            if stored.get((level, index)) != value:
                raise VerificationError(
                    f"the stored Merkle subtree hash ({level}, {index}) disagrees with the entries; "
                    "proofs served from it would be wrong",
                    index=index << level,
                    expected=value.hex(),
                    actual=stored[(level, index)].hex() if (level, index) in stored else "missing",
                )

    def _check_root(self, checkpoint: Checkpoint) -> None:
        root = self._tree.root()
        if root != checkpoint.root:
            # Entries before the last verified checkpoint are proven; the first one after it is
            # the first that can be wrong (and, with a checkpoint per append, the one that is).
            first = self._latest.size if self._latest is not None else 0
            raise VerificationError(
                f"the root of the first {checkpoint.size} entries differs from the signed checkpoint "
                f"of that size; an entry in [{first}, {checkpoint.size}) was altered",
                index=first,
                expected=b64_root(checkpoint.root),
                actual=b64_root(root),
            )
        self._checked += 1
        self._latest = checkpoint

    def finish(self) -> VerifiedLog:
        if self._pending:
            missing = self._pending[-1]
            raise VerificationError(
                f"a signed checkpoint covers {missing.size} entries but only {self._tree.size} are "
                "present (the log was truncated)",
                index=self._tree.size,
                expected=str(missing.size),
                actual=str(self._tree.size),
            )
        return VerifiedLog(self._tree.size, self._tree.root(), self._checked, self._latest)


def b64_root(root: bytes) -> str:
    """A root hash as checkpoint notes write it (standard base64), so that messages can be
    compared with the notes people hold (C2SP tlog-checkpoint)."""
    return base64.b64encode(root).decode()


def _open_checkpoints(verifier: Verifier, notes: Iterable[str], origin: str) -> deque[Checkpoint]:
    by_size: dict[int, Checkpoint] = {}
    for note in notes:
        try:
            checkpoint = Checkpoint.open(note, verifier)
        except LedgerError as exc:
            raise VerificationError(f"checkpoint does not verify: {exc}", index=claimed_size(note)) from None
        if checkpoint.origin != origin:
            raise VerificationError(
                "checkpoint is for another log", expected=origin, actual=checkpoint.origin
            )
        seen = by_size.get(checkpoint.size)
        if seen is not None and seen.root != checkpoint.root:
            raise VerificationError(
                f"two signed checkpoints of size {checkpoint.size} have different roots (a fork)",
                expected=b64_root(seen.root),
                actual=b64_root(checkpoint.root),
            )
        by_size[checkpoint.size] = checkpoint
    return deque(by_size[size] for size in sorted(by_size))


def claimed_size(note: str) -> int | None:
    """The tree size a (possibly forged) checkpoint note claims, to name it in an error."""
    try:
        return Checkpoint.parse_body(note[: note.rfind("\n\n") + 1]).size
    except (LedgerError, ValueError):
        return None


def checkpoint_size_and_root(note: str) -> tuple[int, str]:
    """A checkpoint note's size and its root in base64, as the note writes it. Raises
    FormatError for a note whose body is not a checkpoint."""
    checkpoint = Checkpoint.parse_body(note[: note.rfind("\n\n") + 1])
    return checkpoint.size, b64_root(checkpoint.root)


def verify_log(
    chunks: Iterable[Chunk] | Ranges,
    verifier: Verifier,
    checkpoint_notes: Iterable[str],
    *,
    origin: str | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    stored_nodes: NodeReader | None = None,
    collect: Collect | None = None,
    on_chunk: Callable[[ChunkResult], None] | None = None,
    integrity_only: bool = False,
) -> VerifiedLog:
    """Verify a whole log streamed as chunks; raise :class:`VerificationError` at the first problem.

    With ``stored_nodes``, the stored perfect-subtree hashes (which proofs are built from) are
    compared with the ones the entries give, chunk by chunk, in the same pass. Given
    ``Ranges``, each worker reads its own chunks (check_range). ``on_chunk``
    is called with each chunk's result once its entries have passed every check (in order),
    with the members ``collect`` asks for (see check_chunk); whatever it raises stops the pass.
    ``integrity_only`` parses no entry (see check_chunk).
    """
    checker = LogChecker(verifier, checkpoint_notes, origin, stored_nodes)
    for result in _check_chunks(chunks, workers, collect, integrity_only):
        checker.absorb(result)
        if on_chunk is not None:
            on_chunk(result)
        if progress is not None:
            progress(checker.size)
    return checker.finish()


def _check_chunks(
    chunks: Iterable[Chunk] | Ranges, workers: int, collect: Collect | None, integrity_only: bool
) -> Iterable[ChunkResult]:
    if isinstance(chunks, Ranges):
        yield from _check_ranges(chunks, workers, collect, integrity_only)
        return
    if workers <= 1:
        for first, blobs, recorded in chunks:
            yield check_chunk(first, blobs, recorded, collect, integrity_only)
        return
    # A bounded window keeps memory flat however long the log is.
    with ProcessPoolExecutor(max_workers=workers) as pool:
        window: deque[Future[ChunkResult]] = deque()
        for first, blobs, recorded in chunks:
            window.append(pool.submit(check_chunk, first, blobs, recorded, collect, integrity_only))
            if len(window) > workers:  # one chunk in hand per worker, plus the one being read
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def _check_ranges(
    ranges: Ranges, workers: int, collect: Collect | None, integrity_only: bool
) -> Iterable[ChunkResult]:
    starts = range(0, ranges.end, ranges.step)
    if workers <= 1:
        for first in starts:
            yield check_range(
                ranges.source, first, min(ranges.step, ranges.end - first), collect, integrity_only
            )
        return
    # Each task is a few numbers; the worker reads and checks, and sends back 32 bytes an entry.
    with ProcessPoolExecutor(max_workers=workers) as pool:
        window: deque[Future[ChunkResult]] = deque()
        for first in starts:
            count = min(ranges.step, ranges.end - first)
            window.append(pool.submit(check_range, ranges.source, first, count, collect, integrity_only))
            if len(window) > 2 * workers:  # keep every worker busy while the parent absorbs
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
