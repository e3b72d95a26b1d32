"""Checking the entries of one chunk of a log: what needs nothing outside the chunk.

Full checks parse each entry: canonical RFC 8785 bytes, the entry shape (entry.py), ``seq``
equal to its position, ``prev`` equal to the leaf hash before it, and the bytes hashing to
any recorded leaf hash. Integrity-only checks do the same without parsing: seq and prev are
read from where the bytes end. ledger.tlog.verify links chunks and checks the checkpoints.
Results are plain data, so chunks can be checked in other processes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from ledger.errors import FormatError
from ledger.tlog.entry import Entry

Chunk = tuple[int, list[bytes], list[bytes] | None]
"""(seq of the first entry, entry bytes, recorded leaf hashes or None)."""

Problem = tuple[str, int | None, str | None, str | None]
"""(message, entry index, expected, actual)."""
Collect = Mapping[str, tuple[str, ...]]
"""kind -> payload members to report for every entry of that kind (ChunkResult.collected)."""
Collected = tuple[int, bytes, tuple[Any, ...]]
"""(seq, leaf hash, the payload members asked for, None where absent)."""


@dataclass(frozen=True)
class ChunkResult:
    first_seq: int
    leaves: bytes
    first_prev: str | None
    problem: Problem | None
    collected: tuple[Collected, ...] = ()

    @property
    def count(self) -> int:
        """Entries checked and hashed (up to the first problem, if any)."""
        return len(self.leaves) // 32


def check_chunk(
    first_seq: int,
    blobs: Sequence[bytes],
    recorded: Sequence[bytes] | None,
    collect: Collect | None = None,
    integrity_only: bool = False,
) -> ChunkResult:
    """Check entries that need nothing outside the chunk; the caller links chunks together.

    With ``collect``, the payload members it names are reported for the entries of its
    kinds, from the same parse (so a caller checking derived tables reads no entry twice).
    ``integrity_only`` parses nothing: seq and prev are read from where canonical bytes end
    (see _tail_fields), so the entries are hashed and linked but not shown to be canonical
    JSON or well-formed (docs/formats.md, "Integrity-only verification").
    Returns plain data (no exception objects) so it can cross a process boundary.
    """
    read = _tail_fields if integrity_only else _entry_fields
    collected: list[Collected] = []
    leaves = bytearray()
    first_prev: str | None = None
    prev_leaf = ""
    sha256 = hashlib.sha256
    for offset, data in enumerate(blobs):
        position = first_seq + offset
        try:
            seq, prev, entry = read(data)
        except (orjson.JSONDecodeError, FormatError) as exc:
            return _stop(first_seq, leaves, first_prev, (f"malformed entry: {exc}", position, None, None))
        if seq != position:
            problem = (
                f"seq {seq} found where seq {position} belongs (an entry was deleted, inserted or moved)"
            )
            return _stop(first_seq, leaves, first_prev, (problem, position, str(position), str(seq)))
        leaf = sha256(b"\x00" + data).digest()
        if recorded is not None and recorded[offset] != leaf:
            problem = "bytes do not hash to the recorded leaf hash (the entry was edited)"
            return _stop(
                first_seq, leaves, first_prev, (problem, position, recorded[offset].hex(), leaf.hex())
            )
        if offset == 0:
            first_prev = prev
        elif prev != prev_leaf:
            return _stop(first_seq, leaves, first_prev, broken_link(position, prev_leaf, prev))
        prev_leaf = leaf.hex()
        leaves += leaf
        if collect is not None and entry is not None and entry.kind in collect:
            payload = entry.payload
            collected.append((position, leaf, tuple(payload.get(name) for name in collect[entry.kind])))
    return ChunkResult(first_seq, bytes(leaves), first_prev, None, tuple(collected))


def _entry_fields(data: bytes) -> tuple[int, str, Entry | None]:
    """(seq, prev, the entry) of canonical, well-formed entry bytes; FormatError otherwise."""
    value = orjson.loads(data)
    if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) != data:
        raise FormatError("bytes are not in canonical (RFC 8785) form")
    entry = Entry.from_value(data, value)
    return entry.seq, entry.prev, entry


_PREV = b'"prev":"'
_SEQ = b'","seq":'


def _tail_fields(data: bytes) -> tuple[int, str, Entry | None]:
    """(seq, prev, None) read without parsing from the end of an entry's bytes.

    RFC 8785 sorts the members, so canonical entry bytes end ``"prev":"<64 hex>","seq":<n>,
    "time":...}``. A ``"prev":"`` inside a string would be escaped, and the payload (sorted
    before prev) cannot hold one later, so the last ``"prev":"`` is the entry's own.
    """
    at = data.rfind(_PREV)
    start = at + len(_PREV)
    comma = data.find(b",", start + 64 + len(_SEQ))
    digits = data[start + 64 + len(_SEQ) : comma]
    if at < 0 or data[start + 64 : start + 64 + len(_SEQ)] != _SEQ or comma < 0 or not digits.isdigit():
        raise FormatError("its bytes do not end with an entry's prev, seq and time")
    return int(digits), data[start : start + 64].decode("ascii", "replace"), None


class ChunkSource(Protocol):
    """Stored entries read by position, from inside a worker process (so it must pickle and
    open its own connection there): the parent then ships no entry bytes to its workers."""

    def read(self, first: int, count: int) -> tuple[list[bytes], list[bytes] | None]:
        """The entries stored at seq ``first`` .. ``first + count - 1`` that exist, in seq
        order, and their recorded leaf hashes (None if none are recorded)."""
        ...


@dataclass(frozen=True)
class Ranges:
    """A stored log of ``end`` entries, read by the workers themselves, ``step`` at a time."""

    source: ChunkSource
    end: int
    step: int = 4096


def check_range(
    source: ChunkSource, first: int, count: int, collect: Collect | None = None, integrity_only: bool = False
) -> ChunkResult:
    """check_chunk over the ``count`` entries from ``first`` that ``source`` reads. Rows missing
    inside the range show as an entry whose seq is not its position; missing at its end, here."""
    blobs, recorded = source.read(first, count)
    result = check_chunk(first, blobs, recorded, collect, integrity_only)
    if result.problem is None and len(blobs) < count:
        at = first + len(blobs)
        problem = (f"no entry where seq {at} belongs (an entry was deleted)", at, str(at), None)
        return ChunkResult(first, result.leaves, result.first_prev, problem, result.collected)
    return result


def _stop(first_seq: int, leaves: bytearray, first_prev: str | None, problem: Problem) -> ChunkResult:
    return ChunkResult(first_seq, bytes(leaves), first_prev, problem)


def broken_link(position: int, expected: str, actual: str) -> Problem:
    if position == 0:
        return ("the first entry's prev must be 64 zeros", 0, expected, actual)
    problem = (
        f"hash does not match the prev link of entry {position} "
        f"(entry {position - 1} or {position} was altered)"
    )
    return (problem, position - 1, actual, expected)
