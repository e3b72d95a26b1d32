"""Signed statements: entries that carry their author's Ed25519 signature (docs/formats.md §4).

The *signed part* is the payload without ``signature`` (and ``attestation``) and, for a
decision, without the members the ledger computes (``policy``, ``assessment``,
``requirements``, ``rules_fired``). The signer is named by the payload: ``approver`` for
approvals, ``requested_by`` for decisions, ``actor`` otherwise.

What is signed depends on the ledger's format:

- formats 1 to 3: the RFC 8785 bytes of the signed part alone;
- format 4: the RFC 8785 bytes of the *statement envelope*
  ``{"context": "release-ledger/statement", "kind": <kind>, "origin": <log origin>,
  "payload": <signed part>}``, so a signature names the action and the ledger, and can be
  replayed neither as another kind nor into another log.

Callers pass ``origin=None`` for formats 1 to 3 and the log's origin from format 4
(:meth:`governance.state.GovernanceState.statement_origin`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.encoding.canonical import canonical_bytes
from ledger.errors import FormatError, SignatureRefusedError
from ledger.tlog.note import Ed25519Signer

COMPUTED_MEMBERS = {
    "release.decision": frozenset({"policy", "assessment", "requirements", "rules_fired"}),
}
SIGNER_MEMBER = {"release.approval": "approver", "release.decision": "requested_by"}


def signer_member(kind: str) -> str:
    return SIGNER_MEMBER.get(kind, "actor")


def signed_part(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    skip = COMPUTED_MEMBERS.get(kind, frozenset()) | {"signature", "attestation"}
    return {k: v for k, v in payload.items() if k not in skip}


STATEMENT_CONTEXT = "release-ledger/statement"


def statement_bytes(kind: str, payload: dict[str, Any], *, origin: str | None) -> bytes:
    """The exact message a statement's author signs: the envelope from format 4 (``origin``
    given), the bare signed part before it (``origin`` None)."""
    part = signed_part(kind, payload)
    if origin is None:
        return canonical_bytes(part)
    return canonical_bytes({"context": STATEMENT_CONTEXT, "kind": kind, "origin": origin, "payload": part})


def sign_statement(
    kind: str, payload: dict[str, Any], signer: Ed25519Signer, *, origin: str | None
) -> dict[str, Any]:
    """Return ``payload`` with its ``signature`` member added (any old one replaced)."""
    payload = {k: v for k, v in payload.items() if k != "signature"}
    signature = signer.sign(statement_bytes(kind, payload, origin=origin))
    return {**payload, "signature": base64.b64encode(signature).decode()}


def public_key_from_b64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError("public_key is not standard base64") from None
    if len(raw) != 32:
        raise FormatError("public_key must be a raw 32-byte Ed25519 key")
    return raw


def check_statement(
    kind: str, payload: dict[str, Any], public_key: bytes, signer_name: str, *, origin: str | None
) -> None:
    """Raise SignatureRefusedError unless ``payload['signature']`` verifies under ``public_key``."""
    encoded = payload.get("signature")
    if not isinstance(encoded, str):
        raise SignatureRefusedError(f"the {kind} statement carries no signature", rule="signature")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRefusedError("signature is not standard base64", rule="signature") from None
    if base64.b64encode(signature).decode() != encoded:
        # The signature sits outside the bytes it signs: only one spelling of it is allowed, or
        # whoever holds the database could change an entry's hash without breaking anything.
        raise SignatureRefusedError(
            "signature is not in canonical base64 (padding bits set)", rule="signature"
        )
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            signature, statement_bytes(kind, payload, origin=origin)
        )
    except (InvalidSignature, ValueError):
        raise SignatureRefusedError(
            f"signature does not verify under {signer_name}'s registered key", rule="signature"
        ) from None
