"""Log entries: the canonical bytes that are stored, hashed and exported.

An entry is the RFC 8785 canonical JSON of::

    {"kind": str, "payload": {...}, "prev": <64 lowercase hex>, "seq": int, "time": <RFC 3339 UTC>}

``prev`` is the RFC 9162 leaf hash of the previous entry's bytes (64 zeros for seq 0),
so the entries form a hash chain as well as the leaves of the Merkle tree. The bytes
are built once, here, and from then on only ever hashed, stored and copied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

import orjson

from ledger.encoding.canonical import OutsideValueSpaceError, canonical_bytes
from ledger.errors import FormatError
from ledger.tlog.merkle import leaf_hash

GENESIS_PREV = "0" * 64
ENTRY_KEYS = frozenset({"kind", "payload", "prev", "seq", "time"})
_MEMBERS = itemgetter("seq", "prev", "time", "kind", "payload")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?Z")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``; microseconds only when there are any."""
    if moment.tzinfo is None:
        raise FormatError("entry times must carry a time zone")
    utc = moment.astimezone(UTC)
    # strftime drops the zeros of a year before 1000 on glibc; the format always has four digits
    text = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "Z"


def parse_time(text: str) -> datetime:
    """The moment an entry's ``time`` names; FormatError unless RFC 3339 UTC ending in Z."""
    if not isinstance(text, str):
        raise FormatError(f"time {text!r} is not RFC 3339 UTC ending in Z")
    return _parse_time(text)


@lru_cache(maxsize=1024)
def _parse_time(text: str) -> datetime:
    # Cached because every entry of one append shares its time: verification reads each
    # distinct time once. Only valid times are cached (an exception is not a result).
    if not _TIME.fullmatch(text):
        raise FormatError(f"time {text!r} is not RFC 3339 UTC ending in Z")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise FormatError(f"time {text!r} is not a valid date and time: {exc}") from None


_TIME_MEMBER = b',"time":"'


def time_of(data: bytes) -> str:
    """The ``time`` of an entry's bytes, read from where canonical bytes end (``,"time":"…"}``:
    members are sorted and ``time`` comes last; a ``"`` inside any string is escaped, so the
    last such member is the entry's own). Bytes that do not end so are parsed whole, which
    raises FormatError for anything that is not an entry."""
    at = data.rfind(_TIME_MEMBER)
    if at > 0 and data.endswith(b'"}'):
        text = data[at + len(_TIME_MEMBER) : -2].decode("ascii", "replace")
        if _TIME.fullmatch(text):
            return text
    return Entry.parse(data).time


@lru_cache(maxsize=256)
def _is_kind(text: str) -> bool:
    return _KIND.fullmatch(text) is not None  # a ledger has a handful of kinds: checked once each


@dataclass(frozen=True)
class Entry:
    """One entry: its canonical bytes and the fields read from them. Build with ``create`` or ``parse``."""

    data: bytes
    seq: int
    prev: str
    time: str
    kind: str
    payload: dict[str, Any] = field(hash=False, compare=False)

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.data)

    @classmethod
    def create(cls, seq: int, prev: str, moment: datetime, kind: str, payload: dict[str, Any]) -> Entry:
        if seq < 0:
            raise FormatError("seq cannot be negative")
        if not _HEX64.fullmatch(prev):
            raise FormatError("prev must be 64 lowercase hex digits")
        if not _KIND.fullmatch(kind):
            raise FormatError(f"kind {kind!r} must be dotted lowercase words, like release.decision")
        time = format_time(moment)
        value = {"kind": kind, "payload": payload, "prev": prev, "seq": seq, "time": time}
        try:
            data = canonical_bytes(value)
        except OutsideValueSpaceError as exc:
            raise FormatError(f"entry payload cannot be canonicalised: {exc}") from None
        return cls(data, seq, prev, time, kind, payload)

    @classmethod
    def parse(cls, data: bytes) -> Entry:
        """Read entry bytes, refusing anything that is not a canonical, well-formed entry."""
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise FormatError(f"entry is not JSON: {exc}") from None
        if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) != data:
            raise FormatError("entry bytes are not in canonical (RFC 8785) form")
        return cls.from_value(data, value)

    @classmethod
    def from_value(cls, data: bytes, value: Any) -> Entry:
        if not isinstance(value, dict) or value.keys() != ENTRY_KEYS:
            raise FormatError(f"an entry is an object with exactly the members {sorted(ENTRY_KEYS)}")
        seq, prev, time, kind, payload = _MEMBERS(value)
        if type(seq) is not int or seq < 0:  # not isinstance: a bool is an int there
            raise FormatError("seq must be a non-negative integer")
        if not isinstance(prev, str) or not _HEX64.fullmatch(prev):
            raise FormatError("prev must be 64 lowercase hex digits")
        parse_time(time)
        if not isinstance(kind, str) or not _is_kind(kind):
            raise FormatError("kind must be dotted lowercase words")
        if not isinstance(payload, dict):
            raise FormatError("payload must be an object")
        return cls(data, seq, prev, time, kind, payload)
