"""C2SP tlog-checkpoint bodies (https://c2sp.org/tlog-checkpoint).

A checkpoint is the text ``<origin>\\n<tree size in decimal>\\n<base64 root hash>\\n``,
published as a signed note. We write no extension lines and reject none when reading.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from ledger.errors import FormatError
from ledger.tlog.merkle import HASH_SIZE
from ledger.tlog.note import Signer, Verifier, open_note, sign_note

_SIZE = re.compile(r"^(0|[1-9][0-9]{0,19})$")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise FormatError("checkpoint origin must be one non-empty line")
        if self.size < 0:
            raise FormatError("checkpoint size cannot be negative")
        if len(self.root) != HASH_SIZE:
            raise FormatError(f"checkpoint root must be {HASH_SIZE} bytes")

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    def sign(self, signer: Signer) -> str:
        return sign_note(self.body(), signer)

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise FormatError("a checkpoint has an origin, a size and a root hash, one per line")
        origin, size, root = lines[0], lines[1], lines[2]
        if not _SIZE.match(size):
            raise FormatError(f"checkpoint size {size!r} is not a decimal number")
        try:
            raw = base64.b64decode(root, validate=True)
        except ValueError:
            raise FormatError("checkpoint root is not standard base64") from None
        return cls(origin, int(size), raw)

    @classmethod
    def open(cls, note: str, verifier: Verifier) -> Checkpoint:
        """Verify a signed checkpoint note and return its contents."""
        return cls.parse_body(open_note(note, verifier))
