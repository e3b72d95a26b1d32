"""Builders for signed statements: what a person signs on their own machine.

Each returns a complete payload, signature included. The server or the CLI appends it; the
ledger re-checks everything in ``GovernanceState.apply`` before it lands.
"""

from __future__ import annotations

import base64
from typing import Any

from ledger.encoding.numbers import decimal_text, to_decimal
from ledger.errors import InputError
from ledger.governance.statements import sign_statement
from ledger.tlog.note import Ed25519Signer


def public_key_b64(signer: Ed25519Signer) -> str:
    return base64.b64encode(signer.public_key).decode()


def identity_added(
    name: str, roles: list[str], public_key: str, actor: str, key: Ed25519Signer
) -> dict[str, Any]:
    payload = {"name": name, "roles": roles, "public_key": public_key, "actor": actor}
    return sign_statement("identity.added", payload, key)


def identity_key_rotated(name: str, public_key: str, actor: str, key: Ed25519Signer) -> dict[str, Any]:
    return sign_statement(
        "identity.key_rotated", {"name": name, "public_key": public_key, "actor": actor}, key
    )


def identity_revoked(name: str, actor: str, key: Ed25519Signer) -> dict[str, Any]:
    return sign_statement("identity.revoked", {"name": name, "actor": actor}, key)


def policy_adopted(
    policy_id: str, version: str, sha256: str, text: str, actor: str, key: Ed25519Signer
) -> dict[str, Any]:
    payload = {"policy_id": policy_id, "version": version, "sha256": sha256, "text": text, "actor": actor}
    return sign_statement("policy.adopted", payload, key)


def approval(
    decision: str, approver: str, role: str, verdict: str, comment: str, key: Ed25519Signer
) -> dict[str, Any]:
    payload = {
        "decision": decision,
        "approver": approver,
        "role": role,
        "verdict": verdict,
        "comment": comment,
    }
    return sign_statement("release.approval", payload, key)


def canary_started(decision: str, actor: str, key: Ed25519Signer) -> dict[str, Any]:
    return sign_statement("release.canary_started", {"decision": decision, "actor": actor}, key)


def canary_result(
    decision: str, verdict: str, summary: dict[str, Any], actor: str, key: Ed25519Signer
) -> dict[str, Any]:
    exact: dict[str, str] = {}
    for metric, value in summary.items():
        try:
            exact[str(metric)] = decimal_text(to_decimal(value))
        except ValueError as exc:
            raise InputError(f"canary summary: {metric}: {exc}") from None
    payload = {"decision": decision, "verdict": verdict, "summary": exact, "actor": actor}
    return sign_statement("release.canary_result", payload, key)


def promoted(
    decision: str,
    actor: str,
    policy_sha256: str,
    supersedes: str | None,
    break_glass: bool,
    reason: str,
    key: Ed25519Signer,
) -> dict[str, Any]:
    payload = {
        "decision": decision,
        "actor": actor,
        "policy_sha256": policy_sha256,
        "supersedes": supersedes,
        "break_glass": break_glass,
        "reason": reason,
    }
    return sign_statement("release.promoted", payload, key)


def rolled_back(
    decision: str, to_version: str, reason: str, actor: str, key: Ed25519Signer
) -> dict[str, Any]:
    payload = {"decision": decision, "to_version": to_version, "reason": reason, "actor": actor}
    return sign_statement("release.rolled_back", payload, key)
