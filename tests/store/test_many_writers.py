"""Many processes append to one ledger at once, on SQLite (one file) and on PostgreSQL.

8 writers x 250 appends, each append its own transaction with its own signed checkpoint,
serialised by BEGIN IMMEDIATE (SQLite) or the advisory lock (PostgreSQL). Afterwards: exactly
2,000 new entries, every one acknowledged, no gaps, no duplicate sequence numbers, one
checkpoint per append, and one history that verifies in structure and meaning.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ledger.clock import SystemClock
from services.ledger_service import LedgerService
from store.ledger_store import LedgerStore
from tests.store.writer_process import (
    ack_files,
    assert_one_whole_history,
    build_ledger,
    process_context,
    read_acks,
    run,
)

pytestmark = pytest.mark.slow

WRITERS = 8
APPENDS = 250


def test_many_writers_write_one_history(ledger_url: str, tmp_path: Path) -> None:
    base = build_ledger(ledger_url)
    context = process_context()
    paths = ack_files(tmp_path, [f"writer-{number}" for number in range(WRITERS)])
    writers = [
        context.Process(target=run, args=(ledger_url, f"w{number}", APPENDS, str(path)), name=f"w{number}")
        for number, path in enumerate(paths)
    ]
    started = time.monotonic()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=300)
    elapsed = time.monotonic() - started
    assert [w.exitcode for w in writers] == [0] * WRITERS

    acks = {path: read_acks(path) for path in paths}
    assert [len(a) for a in acks.values()] == [APPENDS] * WRITERS, "every append acknowledged"
    seqs = sorted(seq for a in acks.values() for seq, _ in a)
    assert seqs == list(range(base, base + WRITERS * APPENDS)), "no gaps, no duplicates"
    for own in acks.values():
        assert [seq for seq, _ in own] == sorted(seq for seq, _ in own)  # each writer's in its order

    result = assert_one_whole_history(ledger_url, base, [ack for a in acks.values() for ack in a])
    assert result.size == base + WRITERS * APPENDS
    assert result.checkpoints_checked == 1 + WRITERS * APPENDS
    store = LedgerStore.open(ledger_url)
    try:
        identities = LedgerService(store, SystemClock()).verification.verify_meaning().identities
        assert len(identities) == 1 + WRITERS * APPENDS
    finally:
        store.close()
    rate = WRITERS * APPENDS / elapsed
    print(
        f"\n{WRITERS} writers x {APPENDS} appends on {store.dialect}: {elapsed:.1f} s, {rate:.0f} appends/s"
    )
