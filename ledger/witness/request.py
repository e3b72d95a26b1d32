"""Parsing a C2SP tlog-witness ``add-checkpoint`` request body (https://c2sp.org/tlog-witness).

The body is, each line ending in U+000A:

    old <size>            decimal, no leading zeroes ("0" for zero)
    <base64 hash>         zero to 63 consistency proof lines, one 32-byte hash each
    <empty line>
    <checkpoint note>     a signed checkpoint, with one or more signatures

Anything else is a 400 (``BadRequest``). Whether the proof *verifies* is decided later (422).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from ledger.errors import FormatError
from ledger.tlog.merkle import HASH_SIZE

MAX_PROOF_LINES = 63
MAX_BODY_BYTES = 64 * 1024
_OLD = re.compile(r"^old (0|[1-9][0-9]{0,19})$")


class BadRequest(FormatError):
    """The body is not an add-checkpoint request (HTTP 400)."""


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    note: str


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse ``body`` strictly. Raises BadRequest naming the first problem."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"the request body is over {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise BadRequest("the request needs an empty line between the proof and the checkpoint")
    lines = head.split("\n")
    match = _OLD.match(lines[0])
    if not match:
        raise BadRequest(f"the first line must be 'old <size>' in decimal, not {lines[0][:40]!r}")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise BadRequest(f"at most {MAX_PROOF_LINES} consistency proof lines, not {len(proof_lines)}")
    return AddCheckpoint(int(match.group(1)), tuple(_hash(line) for line in proof_lines), note)


def _hash(line: str) -> bytes:
    try:
        raw = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"consistency proof line {line[:60]!r} is not standard base64") from None
    if len(raw) != HASH_SIZE:
        raise BadRequest(f"a consistency proof line is a {HASH_SIZE}-byte hash, not {len(raw)} bytes")
    return raw
