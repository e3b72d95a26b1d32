"""The lock the API's request threads queue on to write (services.fair_lock.FairLock, held by
GovernedLog.append): first come, first served, re-entrant, and refused to a non-owner."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from services.fair_lock import FairLock
from services.governed import GovernedLog


def _until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (a thread reaching the queue); a guard against a hang, not a timing."""
    for _ in range(20_000):
        if condition():
            return
        time.sleep(0.001)
    raise AssertionError("the condition never held")


def test_waiters_get_the_lock_in_arrival_order_and_a_newcomer_waits_behind_them() -> None:
    lock = FairLock()
    order: list[str] = []

    def take(name: str) -> None:
        with lock:
            order.append(name)

    lock.acquire()
    threads = []
    for n in range(5):
        thread = threading.Thread(target=take, args=(f"t{n}",))
        thread.start()
        _until(lambda n=n: lock.waiting == n + 1)
        threads.append(thread)
    lock.release()
    take("newcomer")  # arrives after all five: with threading.RLock it would usually barge in
    for thread in threads:
        thread.join(timeout=60)
    assert order == ["t0", "t1", "t2", "t3", "t4", "newcomer"]
    assert lock.waiting == 0


def test_the_owner_may_take_it_again_and_must_release_it_as_often() -> None:
    lock = FairLock()
    got: list[bool] = []
    with lock, lock:
        other = threading.Thread(target=lambda: got.append(lock.acquire()))
        other.start()
        _until(lambda: lock.waiting == 1)
    other.join(timeout=60)
    assert got == [True]  # only once the outer block released it
    with pytest.raises(RuntimeError, match="does not hold"):
        lock.release()  # the other thread holds it, not this one


def test_release_without_holding_is_refused() -> None:
    with pytest.raises(RuntimeError, match="does not hold"):
        FairLock().release()


def test_the_governed_log_queues_writers_on_a_fair_lock() -> None:
    log = GovernedLog(store=None, clock=None)  # type: ignore[arg-type]  # only the lock is looked at
    assert isinstance(log._lock, FairLock)
