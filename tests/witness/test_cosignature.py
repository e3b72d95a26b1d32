"""cosignature/v1 (https://c2sp.org/tlog-cosignature): a published vector, and ours checked by
an independent implementation written here from the spec (hashlib and cryptography only)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.errors import FormatError
from ledger.tlog.cosignature import CosignatureVerifier, Cosigner, cosigner_key_id, signed_message
from ledger.tlog.note import SignatureError
from tests.witness.helpers import LOG_KEY, WITNESS_KEY, Tree, leaves

# A checkpoint of transparency-dev's staging CT log arche2025h1.staging.ct.transparency.dev,
# with the cosignatures of two public witnesses, as the log served it. The witnesses' verifier
# keys are published by their operators: transparency.dev lists little-garden's, and
# transparency-dev/formats note/note_cosigv1_test.go uses remora's as its native 0x04 key.
VECTOR_BODY = (
    "arche2025h1.staging.ct.transparency.dev\n1432088532\nU7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
)
VECTOR = [
    (
        "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
        "\u2014 transparency.dev/DEV:witness-little-garden "
        "2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==",
    ),
    (
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
        "\u2014 remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTy"
        "nk5XeU/zZ0WBxtqB0DrAWfBw==",
    ),
]
VECTOR_TIME = 1779573024


@pytest.mark.parametrize(("vkey", "line"), VECTOR)
def test_the_published_cosignatures_verify(vkey: str, line: str) -> None:
    verifier = CosignatureVerifier.parse(vkey)
    assert verifier.text == vkey
    assert verifier.matches(line)
    assert verifier.verify(line, VECTOR_BODY) == VECTOR_TIME


@pytest.mark.parametrize(("vkey", "line"), VECTOR)
def test_the_published_cosignatures_do_not_cover_another_checkpoint(vkey: str, line: str) -> None:
    verifier = CosignatureVerifier.parse(vkey)
    with pytest.raises(SignatureError):
        verifier.verify(line, VECTOR_BODY.replace("1432088532", "1432088533"))


def test_a_cosignature_by_another_witness_is_not_taken_for_this_one() -> None:
    (_, little_garden), (remora_key, _) = VECTOR
    remora = CosignatureVerifier.parse(remora_key)
    assert not remora.matches(little_garden)
    with pytest.raises(SignatureError):
        remora.verify(little_garden, VECTOR_BODY)


# -- an independent implementation, from the spec's text alone ------------------------------


def _independent_verify(vkey: str, line: str, body: str) -> int:
    name, key_hex, key_b64 = vkey.split("+", 2)
    key = base64.b64decode(key_b64)
    assert key[0] == 0x04 and len(key) == 33
    assert hashlib.sha256(name.encode() + b"\n" + b"\x04" + key[1:]).digest()[:4].hex() == key_hex
    assert line.startswith("\u2014 " + name + " ")
    blob = base64.b64decode(line.rstrip("\n").rsplit(" ", 1)[1])
    assert len(blob) == 76 and blob[:4].hex() == key_hex
    timestamp = int.from_bytes(blob[4:12], "big")
    message = b"cosignature/v1\n" + b"time " + str(timestamp).encode() + b"\n" + body.encode()
    Ed25519PublicKey.from_public_bytes(key[1:]).verify(blob[12:], message)  # raises if wrong
    return timestamp


def test_the_independent_implementation_accepts_the_published_vector() -> None:
    for vkey, line in VECTOR:
        assert _independent_verify(vkey, line, VECTOR_BODY) == VECTOR_TIME


@pytest.mark.parametrize("timestamp", [0, 1, 1764547200, 2**63 - 1])
def test_ours_verify_with_the_independent_implementation(timestamp: int) -> None:
    cosigner = Cosigner(WITNESS_KEY)
    body = "log.example/x\n7\n" + base64.b64encode(bytes(range(32))).decode() + "\nextension line\n"
    line = cosigner.cosign(body, timestamp)
    assert line.endswith("\n") and line.count("\n") == 1
    assert _independent_verify(cosigner.verifier.text, line, body) == timestamp
    assert cosigner.verifier.verify(line, body) == timestamp


def test_a_cosignature_on_our_checkpoint_sits_beside_the_log_signature() -> None:
    note = Tree(leaves(5)).checkpoint(5)
    body = note[: note.index("\n\n") + 1]
    cosigned = note + Cosigner(WITNESS_KEY).cosign(body, 1764547200)
    line = cosigned.rstrip("\n").rsplit("\n", 1)[1]
    assert _independent_verify(Cosigner(WITNESS_KEY).verifier.text, line, body) == 1764547200


def test_the_key_id_is_of_type_0x04_not_0x01() -> None:
    cosigner = Cosigner(WITNESS_KEY)
    assert cosigner.verifier.key_id == cosigner_key_id(WITNESS_KEY.name, WITNESS_KEY.public_key)
    assert cosigner.verifier.key_id != WITNESS_KEY.key_id
    assert cosigner.verifier.text.split("+")[2].startswith("B")  # base64 of a 0x04 first byte


def test_a_plain_note_signature_is_not_a_cosignature() -> None:
    note = Tree(leaves(3)).checkpoint(3, WITNESS_KEY)  # a 0x01 signature by the witness's key
    line = note.rstrip("\n").rsplit("\n", 1)[1]
    verifier = Cosigner(WITNESS_KEY).verifier
    assert not verifier.matches(line)
    with pytest.raises(SignatureError):
        verifier.verify(line, note[: note.index("\n\n") + 1])


@pytest.mark.parametrize(
    "text",
    [
        LOG_KEY.verifier_key,  # type 0x01
        "remora.n621.de+da77ade8+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",  # key ID off by one
        "remora.n621.de+da77ade7",
        "remora.n621.de+da77ade7+not base64!",
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw=",  # 31-byte key
    ],
)
def test_bad_witness_keys_are_refused(text: str) -> None:
    with pytest.raises(FormatError):
        CosignatureVerifier.parse(text)


def test_a_tampered_cosignature_fails() -> None:
    cosigner = Cosigner(WITNESS_KEY)
    body = Tree(leaves(2)).checkpoint(2).split("\n\n")[0] + "\n"
    line = cosigner.cosign(body, 100)
    name, encoded = line.rstrip("\n").rsplit(" ", 1)
    blob = bytearray(base64.b64decode(encoded))
    blob[11] ^= 1  # the timestamp: the signature covers it
    with pytest.raises(SignatureError):
        cosigner.verifier.verify(f"{name} {base64.b64encode(bytes(blob)).decode()}\n", body)


def test_timestamps_outside_the_spec_range_are_refused() -> None:
    with pytest.raises(FormatError):
        signed_message("a\n1\nroot\n", 2**63)
    with pytest.raises(FormatError):
        signed_message("a\n1\nroot\n", -1)
