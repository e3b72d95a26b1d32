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
    RuntimeError.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._queue: deque[int] = deque()  # idents of the threads waiting, in arrival order

    def acquire(self) -> bool:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return True
            self._queue.append(me)
            while self._owner is not None or self._queue[0] != me:
                self._cond.wait()
            self._queue.popleft()
            self._owner, self._depth = me, 1
            return True

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a FairLock this thread does not hold")
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()  # the head of the queue takes it; the others wait again

    @property
    def waiting(self) -> int:
        """How many threads are queued for the lock now (for tests and diagnostics)."""
        with self._cond:
            return len(self._queue)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
