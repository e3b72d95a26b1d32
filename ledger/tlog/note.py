"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys (signature type 0x01).

A note is UTF-8 text ending in a newline, then a blank line, then one line per signature:
``— <key name> <base64(4-byte key ID || 64-byte signature)>``. The signature covers the
text bytes including their final newline. The key ID is the first four bytes of
``SHA-256(name || 0x0A || 0x01 || public key)``.

Keys are written the way the Go ``sumdb/note`` package writes them:

- verifier key: ``<name>+<key ID as 8 hex>+<base64(0x01 || 32-byte public key)>``
- signer key:   ``PRIVATE+KEY+<name>+<key ID as 8 hex>+<base64(0x01 || 32-byte seed)>``
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.errors import FormatError, VerificationError

ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "
MAX_SIGNATURES = 100


class SignatureError(VerificationError):
    """A note's signature is missing, malformed or wrong."""


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name) or not name.isprintable():
        raise FormatError(f"key name {name!r} must be non-empty, printable, without spaces or '+'")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{what} is not standard base64") from None


class Signer(Protocol):
    """What a checkpoint signer must do. A KMS-backed signer can implement this later."""

    @property
    def name(self) -> str: ...

    @property
    def verifier_key(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise FormatError("a verifier key is name+keyid+base64key")
        name, hex_id, encoded = parts
        _check_name(name)
        raw = _b64decode(encoded, "verifier key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise FormatError("verifier key is not an Ed25519 (type 0x01) key")
        if hex_id != key_id(name, raw[1:]).hex():
            raise FormatError("verifier key's key ID does not match its name and key")
        return cls(name, bytes.fromhex(hex_id), Ed25519PublicKey.from_public_bytes(raw[1:]))

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Ed25519Signer:
    """A signer holding its private key in memory. Never prints or logs it."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self._name = name
        self._key = private_key
        self._public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @classmethod
    def generate(cls, name: str, seed: bytes) -> Ed25519Signer:
        """A new key from 32 bytes of randomness the caller provides (tests pass fixed ones)."""
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def parse(cls, text: str) -> Ed25519Signer:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise FormatError("a signer key is PRIVATE+KEY+name+keyid+base64key")
        _, _, name, hex_id, encoded = parts
        _check_name(name)
        raw = _b64decode(encoded, "signer key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise FormatError("signer key is not an Ed25519 (type 0x01) key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.key_id.hex() != hex_id:
            raise FormatError("signer key's key ID does not match its name and key")
        return signer

    @property
    def name(self) -> str:
        return self._name

    @property
    def public_key(self) -> bytes:
        return self._public

    @property
    def key_id(self) -> bytes:
        return key_id(self._name, self._public)

    @property
    def verifier_key(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self._public).decode()
        return f"{self._name}+{self.key_id.hex()}+{encoded}"

    def signer_key(self) -> str:
        """The private key in signer-key form, for writing to a 0600 file. Handle with care."""
        seed = self._key.private_bytes_raw()
        encoded = base64.b64encode(bytes([ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self._name}+{self.key_id.hex()}+{encoded}"

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def sign_note(text: str, signer: Signer) -> str:
    """Sign ``text`` (which must end in a newline) and return the whole note."""
    _check_text(text)
    verifier = Verifier.parse(signer.verifier_key)
    signature = signer.sign(text.encode())
    encoded = base64.b64encode(verifier.key_id + signature).decode()
    return f"{text}\n{SIGNATURE_PREFIX}{signer.name} {encoded}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise FormatError("note text must end with a newline")
    if "\n\n" in text:
        raise FormatError("note text must not contain a blank line")


def open_note(note: str, verifier: Verifier) -> str:
    """Return the note's text if ``verifier`` signed it; raise otherwise.

    Signatures by other keys are allowed and ignored, as the spec says; a signature that
    claims to be by ``verifier`` but does not verify is an error, never skipped.
    """
    split = note.rfind("\n\n")
    if split < 0:
        raise FormatError("a signed note needs a blank line between text and signatures")
    text, block = note[: split + 1], note[split + 2 :]
    _check_text(text)
    if not block.endswith("\n"):
        raise FormatError("the signature block must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise FormatError(f"a note may carry at most {MAX_SIGNATURES} signatures")
    found = False
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise FormatError(f"signature line {line!r} does not start with an em dash")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        raw = _b64decode(encoded, "signature")
        if len(raw) < 5:
            raise FormatError("signature is too short to hold a key ID")
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue
        if not verifier.verify(text.encode(), raw[4:]):
            raise SignatureError(f"signature by {name} does not verify")
        found = True
    if not found:
        raise SignatureError(f"the note carries no signature by {verifier.name}+{verifier.key_id.hex()}")
    return text
