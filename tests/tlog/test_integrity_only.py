"""Integrity-only verification (check_chunk integrity_only=True): hashes, chain and Merkle tree
against the signed checkpoints, with no entry parsed. It must catch every change to the bytes,
their order or their number at the same entry as the full pass, and read seq and prev exactly
as parsing does; what it does not check (canonical, well-formed JSON) the full pass does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import LedgerError
from ledger.tlog.chunks import _entry_fields, _tail_fields, check_chunk
from ledger.tlog.entry import leaf_hash
from ledger.tlog.verify import verify_log
from tests.tlog.test_export_mutations import (
    GENESIS_PREV,
    ORIGIN,
    VERIFIER,
    build,
    chain,
    lines_of,
    payloads,
    sign_all,
)
from tests.tlog.test_ranges import CASES, LEDGER, RowSource


def _verdict(chunks: Any, notes: list[str], integrity_only: bool) -> object:
    try:
        result = verify_log(chunks, VERIFIER, notes, origin=ORIGIN, integrity_only=integrity_only)
    except LedgerError as exc:
        return type(exc).__name__, getattr(exc, "index", None)
    return result.size, result.root


@pytest.mark.parametrize("case", CASES)
def test_integrity_only_names_the_entry_the_full_pass_names(case: str) -> None:
    notes = list(LEDGER.notes.values())
    full = _verdict(RowSource(CASES[case]).in_order(), notes, integrity_only=False)
    fast = _verdict(RowSource(CASES[case]).in_order(), notes, integrity_only=True)
    assert fast == full


@given(st.lists(payloads, max_size=5))
def test_seq_and_prev_read_from_the_end_equal_the_parsed_ones(items: list[dict[str, Any]]) -> None:
    for entry in chain([("test.event", p) for p in items], first_seq=7):
        seq, prev, _ = _tail_fields(entry.data)
        assert (seq, prev) == _entry_fields(entry.data)[:2] == (entry.seq, entry.prev)


def test_a_nested_prev_member_in_the_payload_does_not_fool_the_tail_reader() -> None:
    entry = chain([("test.event", {"prev": "f" * 64, "z": {"prev": "e" * 64, "seq": 99}})], first_seq=3)[0]
    assert _tail_fields(entry.data)[:2] == (3, GENESIS_PREV)


@pytest.mark.parametrize(
    "data", [b"", b"{}", b'{"prev":"abc"}', b'{"prev":"' + b"0" * 64 + b'","seq":x,"time":""}']
)
def test_bytes_that_do_not_end_like_an_entry_are_a_malformed_entry(data: bytes) -> None:
    result = check_chunk(0, [data], None, integrity_only=True)
    assert result.problem is not None
    assert result.problem[0].startswith(
        "malformed entry: its bytes do not end with an entry's prev, seq and time"
    )


def test_non_canonical_bytes_the_log_signed_pass_integrity_only_and_fail_the_full_pass() -> None:
    """What integrity-only does not check, by design (docs/formats.md): the shape of the JSON."""
    ledger = build([{"n": n} for n in range(4)])
    lines = lines_of(ledger)
    escaped = lines[1].replace(b'"kind":"test.event"', b'"kind":"test\\u002eevent"')
    assert json.loads(escaped) == json.loads(lines[1]) and escaped != lines[1]  # same value, not canonical
    forged = [lines[0], escaped]
    notes = list(sign_all([_Raw(b) for b in forged]).values())  # the operator signs them anyway
    chunks = [(0, forged, None)]
    assert _verdict(iter(chunks), notes, integrity_only=True)[0] == 2
    assert _verdict(iter(chunks), notes, integrity_only=False) == ("VerificationError", 1)


class _Raw:
    """Bytes standing in for an entry when signing a tree over them (sign_all reads leaf_hash)."""

    def __init__(self, data: bytes) -> None:
        self.leaf_hash = leaf_hash(data)
