"""The witness's state file: atomic check-and-record, and never a rollback (store.witness_state)."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import pytest

from ledger.clock import FixedClock
from ledger.errors import StorageError
from ledger.tlog.cosignature import Cosigner
from ledger.witness.decide import LogState, log_keys
from store.witness_state import WitnessState
from tests.witness.helpers import LOG_KEY, ORIGIN, WITNESS_KEY, Tree, leaves, request_for
from witness_server.app import Witness

TREE = Tree(leaves(64))
START = "2026-12-01T00:00:00+00:00"


def _state(size: int) -> LogState:
    return LogState(size, TREE.root(size))


def test_update_records_what_the_decision_returns(tmp_path: Path) -> None:
    state = WitnessState(tmp_path / "w.db")
    assert state.get(ORIGIN) is None
    assert state.update(ORIGIN, lambda current: ("first", _state(3))) == "first"
    assert state.update(ORIGIN, lambda current: (current, _state(5))) == _state(3)
    assert state.update(ORIGIN, lambda current: ("kept", None)) == "kept"
    assert WitnessState(tmp_path / "w.db").get(ORIGIN) == _state(5)  # reopened: durable


@pytest.mark.parametrize("new", [LogState(4, TREE.root(4)), LogState(5, Tree(leaves(5, "x")).root(5))])
def test_a_rollback_or_a_fork_is_refused_and_nothing_is_answered(tmp_path: Path, new: LogState) -> None:
    state = WitnessState(tmp_path / "w.db")
    state.update(ORIGIN, lambda current: (None, _state(5)))
    with pytest.raises(StorageError):
        state.update(ORIGIN, lambda current: ("must not be answered", new))
    assert state.get(ORIGIN) == _state(5)


def test_the_triggers_refuse_a_rollback_even_by_hand(tmp_path: Path) -> None:
    state = WitnessState(tmp_path / "w.db")
    state.update(ORIGIN, lambda current: (None, _state(5)))
    with sqlite3.connect(tmp_path / "w.db") as raw:
        for statement in (
            "UPDATE witness_log SET size = 4",
            "UPDATE witness_log SET root = zeroblob(32)",
            "DELETE FROM witness_log",
        ):
            with pytest.raises(sqlite3.IntegrityError):
                raw.execute(statement)
    assert state.get(ORIGIN) == _state(5)


def test_an_exception_in_the_decision_writes_nothing(tmp_path: Path) -> None:
    state = WitnessState(tmp_path / "w.db")

    def boom(current: LogState | None) -> tuple[None, LogState | None]:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        state.update(ORIGIN, boom)
    assert state.get(ORIGIN) is None


def test_a_state_file_that_cannot_be_opened_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StorageError):
        WitnessState(tmp_path / "dir.db")


def test_racing_requests_in_threads_never_both_succeed(tmp_path: Path) -> None:
    """The spec's race: many requests from the same old size; exactly one is cosigned each round."""
    witnesses = [  # two handles on one file, as two processes would have
        Witness(
            log_keys([LOG_KEY.verifier_key]),
            Cosigner(WITNESS_KEY),
            WitnessState(tmp_path / "w.db"),
            FixedClock(datetime.fromisoformat(START)),
        )
        for _ in range(2)
    ]
    size = 0
    for _ in range(6):
        targets = range(size + 1, size + 9)
        results: dict[int, int] = {}
        barrier = threading.Barrier(len(targets))

        def send(
            new: int, old: int = size, barrier: threading.Barrier = barrier, results: dict[int, int] = results
        ) -> None:
            barrier.wait()
            results[new] = witnesses[new % 2].add_checkpoint(request_for(TREE, old, new)).status

        threads = [threading.Thread(target=send, args=(new,)) for new in targets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == len(targets)  # no request failed with an exception
        winners = [new for new, status in results.items() if status == 200]
        assert len(winners) == 1 and sorted(set(results.values())) == [200, 409], results
        size = winners[0]
        assert witnesses[0].state.get(ORIGIN) == _state(size)
