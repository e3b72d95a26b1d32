"""A progress bar on a terminal, nothing otherwise (so logs and pipes stay clean)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click


def shows_progress(total: int) -> bool:
    """Whether :func:`progress_bar` draws a bar for ``total`` steps (only on a terminal)."""
    return sys.stderr.isatty() and total > 0


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A bar on stderr when it is a terminal; yields ``update(done)`` (steps done so far)."""
    if not shows_progress(total):
        yield lambda _done: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        seen = 0

        def update(done: int) -> None:
            nonlocal seen
            bar.update(done - seen)
            seen = done

        yield update
