"""Writers killed with SIGKILL at random moments, round after round, on SQLite and PostgreSQL.

Each round starts a few writers, waits until they are appending, and kills each at a random
moment (seeded, so a failure can be replayed). The writers append admin-signed statements
without re-running the governance check (this is about storage, and it keeps rounds short);
the last round replays the whole log through the governance rules all the same.

After every round: the ledger verifies, every append acknowledged before the kill is there
exactly as acknowledged, and nothing half-written is left (one checkpoint per append, every
stored subtree hash of the tree and no other, no entry beyond the latest checkpoint).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from pathlib import Path

import pytest

from tests.store.writer_process import (
    ack_files,
    assert_one_whole_history,
    build_ledger,
    process_context,
    read_acks,
    run,
    wait_until_ready,
)

pytestmark = pytest.mark.slow

ROUNDS = 20
WRITERS_PER_ROUND = 3
SEED = 20261124
KILL_WINDOW = (0.02, 0.35)  # seconds after the writers are ready


def test_writers_killed_at_random_moments_lose_nothing_acknowledged(ledger_url: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    base = build_ledger(ledger_url)
    context = process_context()
    acks: list[tuple[int, str]] = []
    kills = torn = 0
    for number in range(ROUNDS):
        paths = ack_files(tmp_path, [f"round-{number}-writer-{k}" for k in range(WRITERS_PER_ROUND)])
        writers = [
            context.Process(
                target=run,
                args=(ledger_url, f"r{number}w{k}", 10**9, str(path)),
                kwargs={"governed": False},
                name=f"r{number}w{k}",
            )
            for k, path in enumerate(paths)
        ]
        for writer in writers:
            writer.start()
        try:
            wait_until_ready(paths, writers)
            started = time.monotonic()
            for writer, at in sorted(
                zip(writers, (rng.uniform(*KILL_WINDOW) for _ in writers), strict=True), key=lambda w: w[1]
            ):
                time.sleep(max(0.0, started + at - time.monotonic()))
                assert writer.is_alive(), (
                    f"writer {writer.name} stopped before it was killed: {writer.exitcode}"
                )
                assert writer.pid is not None
                os.kill(writer.pid, signal.SIGKILL)
                kills += 1
        finally:
            for writer in writers:
                # A writer killed above may still look alive until its parent (the forkserver)
                # reaps it, after which its pid is gone: killing it again is not an error. The
                # exit codes are checked below, so a writer that stopped on its own still fails.
                if writer.is_alive() and writer.pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(writer.pid, signal.SIGKILL)
                writer.join(timeout=30)
        assert [w.exitcode for w in writers] == [-signal.SIGKILL] * WRITERS_PER_ROUND
        for path in paths:
            text = path.read_text()
            torn += not text.endswith("\n")
            acks.extend(read_acks(path))
        # The entries' meaning cannot be half-written in ways structure misses; replay it at the end.
        result = assert_one_whole_history(ledger_url, base, acks, meaning=number == ROUNDS - 1)
        assert result.size >= base + len(acks)  # appends that committed but were killed before the ack
    print(
        f"\n{ROUNDS} rounds, {kills} writers killed with SIGKILL, {len(acks)} acknowledged appends kept, "
        f"{result.size - base - len(acks)} committed but unacknowledged; ledger of {result.size} verifies"
    )
