"""A re-entrant lock granted in arrival order.

The HTTP API runs each request in a pool thread, and every write in the process queues on
one lock (services.governed.GovernedLog) before the database's own. ``threading.RLock``
lets a releasing or newly arriving thread barge ahead of threads that have waited longer,
so under many concurrent writers a few wait many turns: the median is fine and the 99th
percentile is several times it. Granting the lock first come, first served bounds each
writer's wait by the writers ahead of it when it arrived.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class FairLock:
    """A re-entrant mutex whose waiters get it in the order they asked (FIFO).

    ``with lock:`` as with ``threading.RLock``; the owning thread may take it again and
    must release it as often. Releasing a lock the calling thread does not hold raises
    RuntimeError. A release hands the lock straight to the longest waiter and wakes only
    that thread: waking every waiter to re-check would cost the new owner the GIL.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()  # guards the fields below, held only briefly
        self._owner: int | None = None
        self._depth = 0
        self._queue: deque[tuple[int, threading.Lock]] = deque()  # (waiter, its locked gate)

    def acquire(self) -> bool:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None and not self._queue:
                self._owner, self._depth = me, 1
                return True
            gate = threading.Lock()
            gate.acquire()
            self._queue.append((me, gate))
        gate.acquire()  # released by the owner before us, which has made us the owner
        return True

    def release(self) -> None:
        with self._mutex:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a FairLock this thread does not hold")
            self._depth -= 1
            if self._depth:
                return
            if self._queue:
                waiter, gate = self._queue.popleft()
                self._owner, self._depth = waiter, 1
                gate.release()
            else:
                self._owner = None

    @property
    def waiting(self) -> int:
        """How many threads are queued for the lock now (for tests and diagnostics)."""
        with self._mutex:
            return len(self._queue)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
