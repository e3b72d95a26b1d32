"""Verification workers that read their own ranges (ledger.tlog.verify.Ranges) reach the same
verdict, at the same entry, as one process reading the stored rows in order: rows deleted at a
range's end or inside it, moved, swapped, edited, or a log cut short."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ledger.errors import LedgerError
from ledger.tlog.chunks import Chunk, Ranges
from ledger.tlog.verify import verify_log
from tests.tlog.test_export_mutations import ORIGIN, VERIFIER, build, lines_of

STEP = 3  # entries a range: small, so that deletions land on range ends and inside ranges


@dataclass(frozen=True)
class RowSource:
    """A stored table: seq column -> entry bytes (picklable, for the worker processes)."""

    rows: tuple[tuple[int, bytes], ...]

    def read(self, first: int, count: int) -> tuple[list[bytes], list[bytes] | None]:
        return [body for seq, body in sorted(self.rows) if first <= seq < first + count], None

    def in_order(self) -> Iterator[Chunk]:
        """What one process reads: every row by seq order, numbered by position."""
        bodies = [body for _, body in sorted(self.rows)]
        for first in range(0, len(bodies), STEP):
            yield first, bodies[first : first + STEP], None


def _outcome(source: RowSource, notes: list[str], covered: int, ranges: bool, workers: int) -> object:
    count = max(seq for seq, _ in source.rows) + 1
    chunks = Ranges(source, min(count, covered), STEP) if ranges else source.in_order()
    try:
        result = verify_log(chunks, VERIFIER, notes, origin=ORIGIN, workers=workers)
    except LedgerError as exc:
        return type(exc).__name__, getattr(exc, "index", None)
    return result.size, result.root


LEDGER = build([{"n": n, "s": "x" * n} for n in range(20)])
LINES = lines_of(LEDGER)
STORED = tuple(enumerate(LINES))
SWAPPED = dict(STORED)
SWAPPED[7], SWAPPED[11] = SWAPPED[11], SWAPPED[7]
CASES = {
    "untouched": STORED,
    "deleted at a range end": tuple(r for r in STORED if r[0] != 5),
    "deleted inside a range": tuple(r for r in STORED if r[0] != 7),
    "deleted first of a range": tuple(r for r in STORED if r[0] != 9),
    "moved past the end": tuple((100 if s == 8 else s, b) for s, b in STORED),
    "swapped": tuple(SWAPPED.items()),
    "edited": tuple((s, b.replace(b'"s":"xxx"', b'"s":"xxy"') if s == 3 else b) for s, b in STORED),
    "cut short": STORED[:13],
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("workers", [1, 2])
def test_ranges_read_by_the_workers_give_the_verdict_of_one_ordered_read(case: str, workers: int) -> None:
    source = RowSource(CASES[case])
    notes = list(LEDGER.notes.values())
    covered = max(LEDGER.notes)
    expected = _outcome(source, notes, covered, ranges=False, workers=1)
    assert _outcome(source, notes, covered, ranges=True, workers=workers) == expected
    if case != "untouched":
        assert expected[0] == "VerificationError"
