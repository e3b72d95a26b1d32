"""Auditors' own checkpoints (``rledger report verify --checkpoint KEPT.txt``): is the report's
history the one the auditor saw?

A report carries its own signed checkpoint (size n, root r) and, for an audit report built with
``--since-checkpoint``, an earlier one (size o) with a consistency proof from o to n. For every
checkpoint the auditor kept (size m, root k), verified under the log's key, this module proves
offline that (m, k) and (n, r) are two states of one append-only tree, by the first of:

1. m is the size of a checkpoint the report carries: the roots must be equal;
2. the report embeds every entry 0..n-1 (a full audit): the root at size m < n is recomputed
   from their leaf hashes and must equal k;
3. a consistency proof given with ``--proof FILE`` (the JSON of ``rledger proof consistency``,
   from any copy of the log) between m and n, or from m to the earlier carried size o > m: it is
   checked against the two signed roots only, never against the roots the file states.

Otherwise the check fails and says which proof to ask for: a report can only carry proofs for
checkpoints known when it was rendered, and a proof from an earlier or to a later size is
O(log n) hashes that any holder of the log can produce later (a forger cannot). Consistency
with the report's checkpoint implies consistency with every checkpoint the report proves
consistent with it (both are prefixes of one tree), so one proof per kept checkpoint suffices.

A failure names both sizes and both roots, in standard base64 as in checkpoint notes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ledger.errors import FormatError, LedgerError
from ledger.tlog import merkle
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.note import Verifier
from reports.errors import ReportInputError, ReportVerificationError
from reports.evidence import CheckedEvidence


def b64(root: bytes) -> str:
    """A root as checkpoint notes print it (standard base64)."""
    return base64.b64encode(root).decode()


def describe(size: int, root: bytes) -> str:
    return f"size {size}, root {b64(root)}"


@dataclass(frozen=True)
class KeptCheckpoint:
    """A checkpoint note the auditor kept, read from ``source`` (a file name, for messages)."""

    source: str
    note: str


@dataclass(frozen=True)
class ConsistencyProof:
    """Sizes and hashes of a consistency proof; the roots it states are never trusted."""

    source: str
    old_size: int
    new_size: int
    hashes: list[bytes]


@dataclass(frozen=True)
class KeptCheck:
    """One kept checkpoint shown consistent with every checkpoint the report carries."""

    source: str
    size: int
    root: bytes
    how: str


def read_kept(path: Path) -> KeptCheckpoint:
    """A kept checkpoint file; ReportInputError if it cannot be read."""
    try:
        return KeptCheckpoint(str(path), path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportInputError(f"checkpoint {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportInputError(f"cannot read checkpoint {path}: {exc}") from None


def read_proof(path: Path) -> ConsistencyProof:
    """The JSON of ``rledger proof consistency OLD NEW`` (or the API's); ReportInputError if it
    is not one."""
    try:
        data: Any = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ReportInputError(f"proof {path} does not exist") from None
    except OSError as exc:
        raise ReportInputError(f"cannot read proof {path}: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError:
        raise ReportInputError(
            f"proof {path} is not JSON (expected `rledger proof consistency` output)"
        ) from None
    if not isinstance(data, dict):
        raise ReportInputError(f"proof {path} is not a consistency proof object")
    old, new, hashes = data.get("old_size"), data.get("new_size"), data.get("hashes")
    if not (isinstance(old, int) and isinstance(new, int) and 0 < old <= new and isinstance(hashes, list)):
        raise ReportInputError(f"proof {path} has no valid old_size, new_size and hashes")
    try:
        decoded = [base64.b64decode(h, validate=True) for h in hashes]
    except (binascii.Error, ValueError, TypeError):
        raise ReportInputError(f"proof {path} has a hash that is not standard base64") from None
    return ConsistencyProof(str(path), old, new, decoded)


def _open_kept(kept: KeptCheckpoint, verifier: Verifier) -> Checkpoint:
    try:
        checkpoint = Checkpoint.open(kept.note, verifier)
    except FormatError as exc:  # the auditor's own file: bad input, not a failed verification
        what = f"kept checkpoint {kept.source}"
        raise ReportInputError(f"{what} is not a signed checkpoint note: {exc}") from None
    except LedgerError as exc:
        raise ReportVerificationError(
            f"kept checkpoint {kept.source} does not verify under the log's key {verifier.name}: {exc}"
        ) from None
    if checkpoint.origin != verifier.name:
        raise ReportVerificationError(
            f"kept checkpoint {kept.source} is for origin {checkpoint.origin!r}, the log is {verifier.name!r}"
        )
    return checkpoint


FORK = "the report was built against another history"


def _fork(
    kept: KeptCheckpoint, mine: Checkpoint, theirs: Checkpoint, what: str, why: str, verdict: str = FORK
) -> ReportVerificationError:
    return ReportVerificationError(
        f"kept checkpoint {kept.source} ({describe(mine.size, mine.root)}) is not consistent with "
        f"{what} ({describe(theirs.size, theirs.root)}): {why}; {verdict}"
    )


def _full_leaves(checked: CheckedEvidence) -> list[bytes] | None:
    """Every leaf hash 0..n-1 if the report embeds every entry its checkpoint covers."""
    entries = checked.entries
    if len(entries) != checked.checkpoint.size or any(e.seq != i for i, e in enumerate(entries)):
        return None
    return [e.leaf_hash for e in entries]


def _root_of(leaves: Sequence[bytes]) -> bytes:
    compact = merkle.CompactRange()
    for leaf in leaves:
        compact.append(leaf)
    return compact.root()


def _by_proof(
    kept: KeptCheckpoint, mine: Checkpoint, carried: Checkpoint, what: str, proofs: Sequence[ConsistencyProof]
) -> str | None:
    """Check ``mine`` against ``carried`` with a given proof between their sizes, if there is one."""
    old, new = sorted((mine, carried), key=lambda c: c.size)
    for proof in proofs:
        if (proof.old_size, proof.new_size) != (old.size, new.size):
            continue
        try:
            merkle.verify_consistency(old.size, new.size, old.root, new.root, proof.hashes)
        except LedgerError as exc:
            why = f"the consistency proof {proof.source} fails ({exc})"
            verdict = f"{FORK}, or the proof is not one of this log"  # a bad proof proves nothing
            raise _fork(kept, mine, carried, what, why, verdict) from None
        return f"by the consistency proof {proof.source} with {what}"
    return None


def check_kept(
    checked: CheckedEvidence,
    verifier: Verifier,
    kept: KeptCheckpoint,
    proofs: Sequence[ConsistencyProof] = (),
) -> KeptCheck:
    """Prove one kept checkpoint consistent with the report's checkpoints (see the module
    docstring); ReportVerificationError naming both roots if it is not, or cannot be, proven."""
    mine = _open_kept(kept, verifier)
    report = checked.checkpoint
    carried = [(report, "the report's checkpoint")]
    if checked.old_checkpoint is not None:
        carried.append((checked.old_checkpoint, "the report's earlier checkpoint"))
    for theirs, what in carried:  # (1) a carried checkpoint of the same size
        if theirs.size == mine.size:
            if theirs.root != mine.root:
                raise _fork(kept, mine, theirs, what, "same size, different roots")
            return KeptCheck(kept.source, mine.size, mine.root, f"the same as {what}")
    leaves = _full_leaves(checked)
    if leaves is not None and mine.size < report.size:  # (2) recomputed from the embedded entries
        root = _root_of(leaves[: mine.size])
        if root != mine.root:
            raise _fork(
                kept, mine, report, "the report's checkpoint",
                f"its embedded entries give root {b64(root)} at size {mine.size}",
            )  # fmt: skip
        return KeptCheck(kept.source, mine.size, mine.root, "recomputed from the report's embedded entries")
    for theirs, what in carried:  # (3) a consistency proof given by the auditor
        if theirs is not report and mine.size > theirs.size:
            continue  # both extending the earlier checkpoint says nothing about each other
        how = _by_proof(kept, mine, theirs, what, proofs)
        if how is not None:
            return KeptCheck(kept.source, mine.size, mine.root, how)
    old, new = sorted((mine.size, report.size))
    raise ReportVerificationError(
        f"kept checkpoint {kept.source} ({describe(mine.size, mine.root)}) cannot be checked offline "
        f"against the report's checkpoint ({describe(report.size, report.root)}): give --proof FILE with "
        f"the output of `rledger proof consistency {old} {new}`"
    )
