"""The Go sumdb/note reference key and note (../shared/vectors/signed-note.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import FormatError
from ledger.tlog.note import Ed25519Signer, SignatureError, Verifier, open_note, sign_note


@pytest.fixture(scope="module")
def vector(shared_vectors: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shared_vectors / "signed-note.json").read_text())
    return data


def test_signing_reproduces_the_published_note(vector: dict[str, Any]) -> None:
    signer = Ed25519Signer.parse(vector["signer_key"])
    assert signer.verifier_key == vector["verifier_key"]
    assert sign_note(vector["text"], signer) == vector["signed_note"]


def test_signer_key_round_trips(vector: dict[str, Any]) -> None:
    assert Ed25519Signer.parse(vector["signer_key"]).signer_key() == vector["signer_key"]


def test_published_note_verifies(vector: dict[str, Any]) -> None:
    verifier = Verifier.parse(vector["verifier_key"])
    assert open_note(vector["signed_note"], verifier) == vector["text"]


def test_every_changed_text_byte_fails(vector: dict[str, Any]) -> None:
    verifier = Verifier.parse(vector["verifier_key"])
    note: str = vector["signed_note"]
    text_len = len(vector["text"].encode())
    raw = note.encode()
    for position in range(text_len - 1):  # the last byte is the newline the format needs
        mutated = bytearray(raw)
        mutated[position] ^= 0x01
        try:
            candidate = mutated.decode()
        except UnicodeDecodeError:
            continue
        with pytest.raises((SignatureError, FormatError)):
            open_note(candidate, verifier)


def test_changed_signature_byte_fails(vector: dict[str, Any]) -> None:
    verifier = Verifier.parse(vector["verifier_key"])
    note: str = vector["signed_note"]
    head, sig = note.rsplit(" ", 1)
    flipped = ("A" if sig[10] != "A" else "B").join([sig[:10], sig[11:]])
    with pytest.raises(SignatureError):
        open_note(f"{head} {flipped}", verifier)


def test_other_key_is_not_accepted(vector: dict[str, Any]) -> None:
    other = Ed25519Signer.generate("PeterNeumann", bytes(range(32)))
    with pytest.raises(SignatureError):
        open_note(vector["signed_note"], Verifier.parse(other.verifier_key))


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "a+b+!!!",
    ],
)
def test_malformed_verifier_keys_are_rejected(bad: str) -> None:
    with pytest.raises(FormatError):
        Verifier.parse(bad)
