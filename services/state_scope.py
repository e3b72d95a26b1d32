"""One governance state per scope (an HTTP request): ``GovernedLog.state()`` returns the same
state object to every caller inside ``with one_state():`` until that scope appends.

Each ``state()`` reads the ledger's size and the state's meta row, and then every row it is
asked for, each in a read transaction of its own. One API request used to take three or more
states (the token's check, the caller's identity, the route's own) and so read the same rows
several times: on PostgreSQL each read is several round trips. Inside a scope the rows one
caller loaded are there for the next. An append in the scope drops the scope's state, so
what a request reads after its own write includes it.

The scope is a context variable holding a dict: the request's sync dependencies and route run
in pool threads with a copy of the request's context, which still holds the same dict.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_SCOPE: ContextVar[dict[int, Any] | None] = ContextVar("rledger_state_scope", default=None)


@contextmanager
def one_state() -> Iterator[None]:
    """Share one state per GovernedLog among the calls made inside this block."""
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def scoped(owner: object) -> Any | None:
    """The state ``owner`` handed out in the current scope, or None (none yet, or no scope)."""
    scope = _SCOPE.get()
    return None if scope is None else scope.get(id(owner))


def keep(owner: object, state: Any) -> None:
    """Remember ``state`` as ``owner``'s for the rest of the current scope (if there is one)."""
    scope = _SCOPE.get()
    if scope is not None:
        scope[id(owner)] = state


def drop(owner: object) -> None:
    """Forget ``owner``'s state in the current scope: it appended, so the state is behind."""
    scope = _SCOPE.get()
    if scope is not None:
        scope.pop(id(owner), None)
