"""The export file: JSON Lines, one entry's exact bytes per line, in seq order.

Canonical JSON never holds a raw newline byte (RFC 8785 escapes control characters in
strings), so a line is always exactly one entry. The file ends with a newline.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from ledger.errors import FormatError, InputError, VerificationError
from ledger.tlog.chunks import Chunk

CHUNK_ENTRIES = 4096


def write_export(entries: Iterable[bytes], out: BinaryIO) -> int:
    count = 0
    for data in entries:
        if b"\n" in data:
            raise FormatError(f"entry {count} holds a newline byte and cannot be exported")
        out.write(data)
        out.write(b"\n")
        count += 1
    return count


def read_export_chunks(source: BinaryIO, chunk_entries: int = CHUNK_ENTRIES) -> Iterator[Chunk]:
    """Yield the file's entries in chunks for :func:`ledger.tlog.verify.verify_log`."""
    first = 0
    blobs: list[bytes] = []
    for number, line in enumerate(source):
        if not line.endswith(b"\n"):
            raise VerificationError(
                "the export's last line is cut short (no newline): the file was truncated", index=number
            )
        blobs.append(line[:-1])
        if len(blobs) == chunk_entries:
            yield first, blobs, None
            first += len(blobs)
            blobs = []
    if blobs:
        yield first, blobs, None


def read_first_line(path: Path) -> bytes:
    """The first entry's bytes of an export file (for the genesis checks), without its newline."""
    try:
        with path.open("rb") as source:
            first = source.readline()
    except FileNotFoundError:
        raise InputError(f"export file {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read export file {path}: {exc}") from None
    if not first:
        raise InputError(f"export file {path} is empty")
    return first.rstrip(b"\n")
