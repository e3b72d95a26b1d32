"""C2SP tlog-cosignature, Ed25519 cosignature/v1 (https://c2sp.org/tlog-cosignature).

A cosignature is a signed-note signature line (https://c2sp.org/signed-note) on a checkpoint:

    — <cosigner name> base64(key ID (4) || timestamp (8, big-endian) || Ed25519 signature (64))

- key ID: ``SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4]`` (signature type 0x04,
  not the 0x01 of a plain Ed25519 note signature, so the two can never be confused);
- signed message: ``cosignature/v1\\ntime <timestamp in decimal>\\n`` followed by the whole
  checkpoint body, extension lines included, with its final newline;
- the timestamp is POSIX seconds, at most 2^63 - 1.

Verifier keys use the vkey form of signed-note with type 0x04:
``<name>+<key ID as 8 hex>+base64(0x04 || 32-byte public key)``. The private key is an ordinary
signer key (``PRIVATE+KEY+...``, type 0x01), as the Go ``note`` package and
transparency-dev/formats ``NewSignerForCosignatureV1`` take it: the same Ed25519 key, used
only with the cosignature/v1 prefix, which gives the domain separation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.errors import FormatError
from ledger.tlog.note import SIGNATURE_PREFIX, Ed25519Signer, SignatureError

COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1
_BLOB_SIZE = 4 + 8 + 64


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_V1]) + public_key).digest()[:4]


def signed_message(body: str, timestamp: int) -> bytes:
    """The bytes a cosignature/v1 signs: header line, time line, then the checkpoint body."""
    if not body.endswith("\n"):
        raise FormatError("a checkpoint body ends with a newline")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise FormatError(f"cosignature timestamp {timestamp} is outside 0..2^63-1")
    return f"{HEADER}time {timestamp}\n{body}".encode()


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{what} is not standard base64") from None


@dataclass(frozen=True)
class CosignatureVerifier:
    """A witness's public key, as a relying party configures it."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, text: str) -> CosignatureVerifier:
        """``name+keyid+base64(0x04||key)``. Raises FormatError on anything else."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise FormatError("a witness verifier key is name+keyid+base64key")
        name, hex_id, encoded = parts
        if not name or any(ch.isspace() for ch in name) or not name.isprintable():
            raise FormatError(f"witness key name {name!r} must be non-empty, printable, without spaces")
        raw = _b64decode(encoded, "witness verifier key")
        if len(raw) != 33 or raw[0] != COSIGNATURE_V1:
            raise FormatError("witness verifier key is not an Ed25519 cosignature/v1 (type 0x04) key")
        if hex_id != cosigner_key_id(name, raw[1:]).hex():
            raise FormatError("witness verifier key's key ID does not match its name and key")
        return cls(name, bytes.fromhex(hex_id), raw[1:])

    @property
    def text(self) -> str:
        encoded = base64.b64encode(bytes([COSIGNATURE_V1]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def matches(self, line: str) -> bool:
        """Whether a signature line claims to be by this key (name and key ID)."""
        name, raw = parse_signature_line(line)
        return name == self.name and raw[:4] == self.key_id

    def verify(self, line: str, body: str) -> int:
        """Check a cosignature line on checkpoint ``body``; return its timestamp.

        Raises SignatureError when the line is not by this key or does not verify, and
        FormatError when it is not a cosignature/v1 line at all.
        """
        name, raw = parse_signature_line(line)
        if name != self.name or raw[:4] != self.key_id:
            raise SignatureError(f"the line is not a cosignature by {self.name}+{self.key_id.hex()}")
        if len(raw) != _BLOB_SIZE:
            raise FormatError(f"a cosignature/v1 is {_BLOB_SIZE} bytes, this one {len(raw)}")
        timestamp = int.from_bytes(raw[4:12], "big")
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                raw[12:], signed_message(body, timestamp)
            )
        except InvalidSignature:
            raise SignatureError(f"cosignature by {self.name} does not verify") from None
        return timestamp


def parse_signature_line(line: str) -> tuple[str, bytes]:
    """``— <name> <base64>`` (with or without its newline) -> (name, decoded bytes)."""
    line = line.removesuffix("\n")
    if not line.startswith(SIGNATURE_PREFIX) or "\n" in line:
        raise FormatError("a signature line starts with an em dash and a space")
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    raw = _b64decode(encoded, "signature")
    if not name or len(raw) < 5:
        raise FormatError("a signature line names its key and carries a key ID and a signature")
    return name, raw


class Cosigner:
    """A witness key that makes cosignature/v1 lines. Never prints or logs the private key."""

    def __init__(self, signer: Ed25519Signer) -> None:
        self._signer = signer
        self.verifier = CosignatureVerifier(
            signer.name, cosigner_key_id(signer.name, signer.public_key), signer.public_key
        )

    @property
    def name(self) -> str:
        return self._signer.name

    def cosign(self, body: str, timestamp: int) -> str:
        """The cosignature line (ending in a newline) on checkpoint ``body`` at ``timestamp``."""
        signature = self._signer.sign(signed_message(body, timestamp))
        blob = self.verifier.key_id + timestamp.to_bytes(8, "big") + signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"
