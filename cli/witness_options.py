"""``--witness KEY`` (repeatable) and ``--quorum K``: one definition for every command that
checks witnesses' cosignatures (``verify``, ``report verify``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ledger.errors import FormatError, InputError
from ledger.tlog.cosignature import CosignatureVerifier
from services.keys import read_text_argument

F = TypeVar("F", bound=Callable[..., Any])


def witness_options(witness_help: str) -> Callable[[F], F]:
    """Add ``witness_keys`` (a tuple of texts) and ``quorum`` (an int or None) to a command."""

    def decorate(command: F) -> F:
        command = click.option(
            "--quorum",
            type=click.IntRange(min=1),
            help="Cosignatures from this many distinct --witness keys are required (default: all given).",
        )(command)
        return click.option("--witness", "witness_keys", multiple=True, help=witness_help)(command)

    return decorate


def witness_key(value: str) -> CosignatureVerifier:
    """A ``--witness`` value: a cosignature verifier key, or a file holding one. Raises
    InputError naming the value."""
    text = read_text_argument(value, "witness key").strip()
    try:
        return CosignatureVerifier.parse(text)
    except FormatError as exc:
        raise InputError(f"--witness {value!r}: {exc}") from None
