"""The governance state kept in derived tables: read a row at a time, never replayed per call.

A :class:`GovernanceState` normally holds plain dicts and lists (verification replays every
entry into those). :func:`backed_state` gives one whose collections are backed by rows of a
:class:`StateRows` port instead: ``(namespace, key) -> canonical JSON`` (governance/codec.py).
A row is loaded on first access and cached for the life of that state object; every row
looked at is encoded again by :func:`changes` and written back when its bytes changed, so a
handler that changes a value in place (``d.phase = ...``) needs no special care. Appending
runs the handlers on such a state inside the append transaction and writes the changes
there, so the rows land with the entries or not at all (services/governed.py).

The meta row (namespace ``meta``, key ``state``) holds the scalars, the policy history and
the number of entries the rows reflect. :func:`state_rows` encodes a whole in-memory state
the same way, and :func:`disagreement` names the first row where two such sets differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping, MutableSequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, overload

import orjson

from governance import codec
from governance.state import GovernanceState
from ledger.errors import FormatError, VerificationError
from ledger.tlog.entry import format_time, parse_time

K = TypeVar("K")
V = TypeVar("V")
META = ("meta", "state")
Row = tuple[str, str, bytes | None]
"""(namespace, key, new bytes, or None to delete the row)."""


class StateRows(Protocol):
    """Where derived state rows live (store/derived.py implements it over SQL)."""

    def get(self, namespace: str, key: str) -> bytes | None: ...

    def items(self, namespace: str) -> list[tuple[str, bytes]]:
        """Every row of ``namespace``, ordered by key."""
        ...

    def count(self, namespace: str) -> int: ...

    def write(self, changes: list[Row]) -> None:
        """Insert, replace or (value None) delete rows."""
        ...


@dataclass(frozen=True)
class Space:
    """One collection of GovernanceState and how its keys and values become rows."""

    name: str  # the namespace
    attr: str  # the GovernanceState field
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]
    key_text: Callable[[Any], str] = str
    key_back: Callable[[str], Any] = str
    order: Callable[[Any], Any] | None = None  # how an in-memory replay would have ordered them


def _pair_text(key: tuple[str, str]) -> str:
    return orjson.dumps(list(key)).decode()


def _pair_back(text: str) -> tuple[str, str]:
    model, version = orjson.loads(text)
    return (model, version)


SPACES = (
    Space(
        "identity", "identities", codec.encode_identity, codec.decode_identity, order=lambda i: i.added_seq
    ),
    Space("decision", "decisions", codec.encode_decision, codec.decode_decision, order=lambda d: d.seq),
    Space("by_version", "by_version", codec.encode_text, codec.decode_text, _pair_text, _pair_back),
    Space("production", "production", codec.encode_text, codec.decode_text),
    Space("production_decision", "production_decision", codec.encode_text, codec.decode_text),
    Space("promoted_versions", "promoted_versions", codec.encode_versions, codec.decode_versions),
    Space("token", "tokens", codec.encode_token, codec.decode_token, order=lambda t: t.issued_at),
    Space("key_holders", "key_holders", codec.encode_names, codec.decode_names, bytes.hex, bytes.fromhex),
    Space("policy", "policies", codec.encode_policy, codec.decode_policy),
)
LISTS = (
    Space("asserted", "asserted", codec.encode_asserted, codec.decode_asserted),
    Space("reset_key", "on_reset_keys", codec.encode_reset, codec.decode_reset),
)


def _decode(space: Space, key: str, data: bytes) -> Any:
    """A row's value; VerificationError naming the row when it is not one the codec wrote."""
    try:
        return space.decode(data)
    except (ValueError, KeyError, TypeError, IndexError, FormatError) as exc:
        raise VerificationError(
            f"the derived state table disagrees with the entries: {space.name} {key} cannot be read "
            f"({type(exc).__name__}: {exc}); it was altered behind the ledger's back (run `rledger verify`)"
        ) from None


class RowMap(MutableMapping[K, V]):
    """A dict over one namespace's rows, loading each on first access."""

    def __init__(self, rows: StateRows, space: Space) -> None:
        self._rows, self._space = rows, space
        self._values: dict[K, V] = {}
        self._stored: dict[K, bytes | None] = {}  # the row as the table held it, for each key looked at
        self._complete = False

    def _load(self, key: K) -> None:
        if key in self._stored or self._complete:
            return
        data = self._rows.get(self._space.name, self._space.key_text(key))
        self._stored[key] = data
        if data is not None:
            self._values[key] = _decode(self._space, self._space.key_text(key), data)

    def _load_all(self) -> None:
        if self._complete:
            return
        for text, data in self._rows.items(self._space.name):
            key = self._space.key_back(text)
            if key not in self._stored:
                self._stored[key] = data
                self._values[key] = _decode(self._space, text, data)
        order = self._space.order
        if order is not None:
            self._values = dict(sorted(self._values.items(), key=lambda kv: order(kv[1])))
        self._complete = True

    def __getitem__(self, key: K) -> V:
        self._load(key)
        return self._values[key]

    def __setitem__(self, key: K, value: V) -> None:
        self._load(key)
        self._values[key] = value

    def __delitem__(self, key: K) -> None:
        self._load(key)
        del self._values[key]

    def __iter__(self) -> Iterator[K]:
        self._load_all()
        return iter(self._values)

    def __len__(self) -> int:
        if self._complete:
            return len(self._values)
        added = sum(1 for k, v in self._stored.items() if v is None and k in self._values)
        removed = sum(1 for k, v in self._stored.items() if v is not None and k not in self._values)
        return self._rows.count(self._space.name) + added - removed

    def changes(self) -> list[Row]:
        """The rows to write for what changed since loading; afterwards they count as stored."""
        out: list[Row] = []
        for key in [*self._stored, *(k for k in self._values if k not in self._stored)]:
            new = self._space.encode(self._values[key]) if key in self._values else None
            if new != self._stored.get(key):
                out.append((self._space.name, self._space.key_text(key), new))
                self._stored[key] = new
        return out


class RowList(MutableSequence[V]):
    """An append-only list over one namespace's rows (keyed by entry seq, so in log order).

    Appending loads nothing; reading loads every row."""

    def __init__(self, rows: StateRows, space: Space) -> None:
        self._rows, self._space = rows, space
        self._loaded: list[V] | None = None
        self._added: list[V] = []
        self._written = 0

    def _all(self) -> list[V]:
        if self._loaded is None:
            self._loaded = [_decode(self._space, k, data) for k, data in self._rows.items(self._space.name)]
        return self._loaded + self._added

    @overload
    def __getitem__(self, index: int) -> V: ...
    @overload
    def __getitem__(self, index: slice) -> MutableSequence[V]: ...
    def __getitem__(self, index: int | slice) -> V | MutableSequence[V]:
        return self._all()[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError("derived state lists are append-only")

    def __delitem__(self, index: Any) -> None:
        raise TypeError("derived state lists are append-only")

    def __len__(self) -> int:
        return len(self._all())

    def insert(self, index: int, value: V) -> None:
        if index != len(self):
            raise TypeError("derived state lists are append-only")
        self.append(value)

    def append(self, value: V) -> None:
        self._added.append(value)

    def changes(self) -> list[Row]:
        new = self._added[self._written :]
        self._written = len(self._added)
        return list(_list_rows(self._space, new))


def _list_rows(space: Space, items: list[Any]) -> Iterator[tuple[str, str, bytes]]:
    """Keys ``<seq, 12 digits>.<n>``: the n-th item one entry added (they sort in log order)."""
    per_entry: dict[int, int] = {}
    for item in items:
        n = per_entry.get(item.seq, 0)
        per_entry[item.seq] = n + 1
        yield space.name, f"{item.seq:012d}.{n}", space.encode(item)


def encode_meta(state: GovernanceState) -> bytes:
    return codec.dumps(
        {
            "size": state.size,
            "last_time": None if state.last_time is None else format_time(state.last_time),
            "format": state.format,
            "origin": state.origin,
            "policy_history": [list(item) for item in state.policy_history],
        }
    )


def _decode_meta(data: bytes) -> GovernanceState:
    v = codec.loads(data)
    state = GovernanceState(size=int(v["size"]), format=int(v["format"]), origin=str(v["origin"]))
    state.last_time = None if v["last_time"] is None else parse_time(v["last_time"])
    state.policy_history = [(int(seq), str(sha)) for seq, sha in v["policy_history"]]
    return state


_META_SPACE = Space("meta", "", encode_meta, _decode_meta)


def backed_state(rows: StateRows) -> GovernanceState:
    """The state as the rows hold it: the meta row read now, every other row when needed."""
    meta = rows.get(*META)
    state = GovernanceState() if meta is None else _decode(_META_SPACE, META[1], meta)
    for space in SPACES:
        setattr(state, space.attr, RowMap(rows, space))
    for space in LISTS:
        setattr(state, space.attr, RowList(rows, space))
    state.stored_meta = meta
    return state


def changes(state: GovernanceState) -> list[Row]:
    """The rows to write for everything ``state`` (from backed_state) changed."""
    out: list[Row] = []
    for space in (*SPACES, *LISTS):
        collection = getattr(state, space.attr)
        if not isinstance(collection, RowMap | RowList):
            raise TypeError(f"{space.attr} is not backed by rows")
        out.extend(collection.changes())
    meta = encode_meta(state)
    if meta != state.stored_meta:
        out.append((*META, meta))
        state.stored_meta = meta
    return out


def state_rows(state: GovernanceState) -> dict[tuple[str, str], bytes]:
    """Every row a state (a plain in-memory one, say) comes to, by (namespace, key)."""
    out = {META: encode_meta(state)}
    for space in SPACES:
        for key, value in getattr(state, space.attr).items():
            out[(space.name, space.key_text(key))] = space.encode(value)
    for space in LISTS:
        for name, key, data in _list_rows(space, list(getattr(state, space.attr))):
            out[(name, key)] = data
    return out


def stored_size(rows: dict[tuple[str, str], bytes]) -> int:
    """The number of entries a set of stored rows says it reflects (0 without a meta row)."""
    meta = rows.get(META)
    return 0 if meta is None else int(codec.loads(meta)["size"])


def disagreement(expected: dict[tuple[str, str], bytes], stored: dict[tuple[str, str], bytes]) -> str | None:
    """The first row (in namespace, key order) where ``stored`` differs from ``expected``,
    described for a VerificationError; None when they are the same rows with the same bytes."""
    for where in sorted(expected.keys() | stored.keys()):
        want, have = expected.get(where), stored.get(where)
        if want == have:
            continue
        name = f"{where[0]} {where[1]}"
        if have is None:
            problem = "is missing from the table"
        elif want is None:
            problem = "is in the table but follows from no entry (an extra row)"
        else:
            problem = _differs(want, have)
        return f"the derived state table disagrees with the entries: {name} {problem}"
    return None


def _differs(want: bytes, have: bytes) -> str:
    try:
        a, b = codec.loads(want), codec.loads(have)
    except orjson.JSONDecodeError:
        return "is not valid JSON"
    if isinstance(a, dict) and isinstance(b, dict):
        fields = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        shown = "; ".join(
            f"{k} is {_short(b.get(k))} in the table, {_short(a.get(k))} from the entries" for k in fields
        )
        return f"differs: {shown}"
    return f"differs: {_short(b)} in the table, {_short(a)} from the entries"


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 80 else text[:77] + "..."
