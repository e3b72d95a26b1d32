"""A progress bar on a terminal, nothing otherwise (so logs and pipes stay clean)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    if not sys.stderr.isatty() or total <= 0:
        yield lambda _done: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        seen = 0

        def update(done: int) -> None:
            nonlocal seen
            bar.update(done - seen)
            seen = done

        yield update
