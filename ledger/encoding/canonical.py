"""RFC 8785 (JSON Canonicalization Scheme) bytes.

``rfc8785.dumps`` is the reference. It is slow (hundreds of microseconds for a decision
entry), so hot paths use orjson with sorted keys, which produces identical bytes on the
value space entries are allowed to hold:

- objects with ASCII string keys (sorting by UTF-16 code units and by code points agree);
- strings with any Unicode content;
- integers of magnitude below 2**53;
- booleans and null; no floats (numbers that matter are decimal strings, see numbers.py).

``check_value_space`` enforces that domain before the fast encoder runs, and the property
tests in ``tests/encoding/test_canonical.py`` prove byte equality with the reference over it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1


class OutsideValueSpaceError(ValueError):
    """A value the canonical encoding of entries does not admit."""


def check_value_space(value: Any, path: str = "$") -> None:
    """Raise :class:`OutsideValueSpaceError` naming the first offending path."""
    if not _plainly_in_value_space(value):
        _check_value_space(value, path)


def _plainly_in_value_space(value: Any) -> bool:
    """Fast path, no paths built: True only for plain dict/list/str/int/bool/None trees.

    Anything else (floats, tuples, subclasses, big integers, non-ASCII keys, lone surrogates)
    returns False, and the exact check below then accepts it or names the offending path.
    """
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str:
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif kind is dict:
            for key in item:
                if type(key) is not str or not key.isascii():
                    return False
            extend(item.values())
        elif kind is list:
            extend(item)
        elif kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return False
        elif item is not None and kind is not bool:
            return False
    return True


_LEAVES = frozenset({str, bool, type(None)})


def _plain_tree(value: Any) -> bool:
    """The hot path's domain check: True only for plain dict/list trees of ASCII keys, str,
    bool, None and safe ints. Strings are not looked at: lone surrogates, the one string
    outside the domain, make ``orjson.dumps`` raise, and ``canonical_bytes`` names them then.

    About half the time of ``_plainly_in_value_space`` on a decision entry: keys are checked
    with one ``str.join`` per object, in C, and leaves by one set lookup of their type.
    """
    if type(value) is not dict and type(value) is not list:
        return _plainly_in_value_space(value)
    stack = [value]
    pop, push, leaves = stack.pop, stack.append, _LEAVES
    members: Iterable[Any]
    while stack:
        item = pop()
        if type(item) is dict:
            try:
                if not "".join(item).isascii():
                    return False
            except TypeError:  # a key that is not a string
                return False
            members = item.values()
        else:
            members = item
        for member in members:
            kind = type(member)
            if kind in leaves:
                continue
            if kind is dict or kind is list:
                push(member)
            elif kind is not int or not -MAX_SAFE_INTEGER <= member <= MAX_SAFE_INTEGER:
                return False
    return True


def _check_value_space(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | str):
        if isinstance(value, str):
            _check_string(value, path)
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise OutsideValueSpaceError(f"{path}: integer {value} is beyond 2**53-1")
        return
    if isinstance(value, float):
        raise OutsideValueSpaceError(f"{path}: floats are not allowed; use a decimal string")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise OutsideValueSpaceError(f"{path}: object keys must be ASCII strings")
            _check_value_space(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for number, item in enumerate(value):
            _check_value_space(item, f"{path}[{number}]")
        return
    raise OutsideValueSpaceError(f"{path}: {type(value).__name__} is not a JSON value")


def _check_string(text: str, path: str) -> None:
    # Lone surrogates cannot be encoded as UTF-8, so no canonical form exists for them.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise OutsideValueSpaceError(f"{path}: string holds a lone surrogate") from None


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 bytes of ``value``, by the fast encoder, after checking its domain.

    Raises OutsideValueSpaceError naming the first offending path (see check_value_space).
    """
    if not _plain_tree(value):
        _check_value_space(value, "$")
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        _check_value_space(value, "$")  # names the lone surrogate orjson refused
        raise OutsideValueSpaceError("$: the value cannot be encoded as JSON") from None


def reference_canonical_bytes(value: Any) -> bytes:
    """RFC 8785 bytes by the reference implementation (slow; tests and cross-checks)."""
    result: bytes = rfc8785.dumps(value)
    return result


def is_canonical(data: bytes) -> bool:
    """Whether ``data`` is the canonical encoding of the JSON value it holds.

    Parsing and re-encoding is the cheapest exact test we have; it is the hot loop of
    full verification.
    """
    try:
        value = orjson.loads(data)
        check_value_space(value)  # floats, big integers, non-ASCII keys: orjson is not RFC 8785 there
    except (orjson.JSONDecodeError, OutsideValueSpaceError):
        return False
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == data
