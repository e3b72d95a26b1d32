"""Builders for statements: the payloads people sign (or the server attests) for each action.

Builders return unsigned payloads; ``statements.sign_statement`` signs one with the author's
key on their own machine. ``approval`` signs at once, because approvals are always signed.
"""

from __future__ import annotations

import base64
from typing import Any

from governance.statements import sign_statement
from ledger.encoding.numbers import decimal_text, to_decimal
from ledger.errors import InputError
from ledger.tlog.note import Ed25519Signer


def public_key_b64(signer: Ed25519Signer) -> str:
    return base64.b64encode(signer.public_key).decode()


def identity_added(name: str, roles: list[str], public_key: str, actor: str) -> dict[str, Any]:
    return {"name": name, "roles": roles, "public_key": public_key, "actor": actor}


def identity_key_rotated(name: str, public_key: str, actor: str) -> dict[str, Any]:
    return {"name": name, "public_key": public_key, "actor": actor}


def identity_revoked(name: str, actor: str) -> dict[str, Any]:
    return {"name": name, "actor": actor}


def policy_adopted(policy_id: str, version: str, sha256: str, text: str, actor: str) -> dict[str, Any]:
    return {"policy_id": policy_id, "version": version, "sha256": sha256, "text": text, "actor": actor}


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


def canary_started(decision: str, actor: str) -> dict[str, Any]:
    return {"decision": decision, "actor": actor}


def exact_summary(summary: dict[str, Any]) -> dict[str, str]:
    exact: dict[str, str] = {}
    for metric, value in summary.items():
        try:
            exact[str(metric)] = decimal_text(to_decimal(value))
        except ValueError as exc:
            raise InputError(f"canary summary: {metric}: {exc}") from None
    return exact


def canary_result(decision: str, verdict: str, summary: dict[str, Any], actor: str) -> dict[str, Any]:
    return {"decision": decision, "verdict": verdict, "summary": exact_summary(summary), "actor": actor}


def promoted(
    decision: str, actor: str, policy_sha256: str, supersedes: str | None, break_glass: bool, reason: str
) -> dict[str, Any]:
    return {
        "decision": decision,
        "actor": actor,
        "policy_sha256": policy_sha256,
        "supersedes": supersedes,
        "break_glass": break_glass,
        "reason": reason,
    }


def rolled_back(decision: str, to_version: str, reason: str, actor: str) -> dict[str, Any]:
    return {"decision": decision, "to_version": to_version, "reason": reason, "actor": actor}
