"""Builders for statements: the payloads people sign for each action (docs/formats.md §5).

Builders return unsigned payloads; ``statements.sign_statement`` signs one with the author's
key on their own machine. A statement about a release names it by :class:`Release`: the
decision's entry hash and, from ledger format 4, its model and version too.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from ledger.encoding.numbers import decimal_text, to_decimal
from ledger.errors import InputError
from ledger.tlog.note import Ed25519Signer


@dataclass(frozen=True)
class Release:
    """The subject of a lifecycle statement: ``decision`` is the hex leaf hash of its
    ``release.decision`` entry; ``model`` and ``version`` are given from format 4 (None before)."""

    decision: str
    model: str | None = None
    version: str | None = None

    def members(self) -> dict[str, Any]:
        named = {"model": self.model, "version": self.version} if self.model is not None else {}
        return {"decision": self.decision, **named}


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


def approval(release: Release, approver: str, role: str, verdict: str, comment: str) -> dict[str, Any]:
    return {**release.members(), "approver": approver, "role": role, "verdict": verdict, "comment": comment}


def canary_started(release: Release, actor: str) -> dict[str, Any]:
    return {**release.members(), "actor": actor}


def exact_summary(summary: dict[str, Any]) -> dict[str, str]:
    exact: dict[str, str] = {}
    for metric, value in summary.items():
        try:
            exact[str(metric)] = decimal_text(to_decimal(value))
        except ValueError as exc:
            raise InputError(f"canary summary: {metric}: {exc}") from None
    return exact


def canary_result(release: Release, verdict: str, summary: dict[str, Any], actor: str) -> dict[str, Any]:
    return {**release.members(), "verdict": verdict, "summary": exact_summary(summary), "actor": actor}


def promoted(
    release: Release, actor: str, policy_sha256: str, supersedes: str | None, break_glass: bool, reason: str
) -> dict[str, Any]:
    return {
        **release.members(),
        "actor": actor,
        "policy_sha256": policy_sha256,
        "supersedes": supersedes,
        "break_glass": break_glass,
        "reason": reason,
    }


def rolled_back(release: Release, to_version: str, reason: str, actor: str) -> dict[str, Any]:
    return {**release.members(), "to_version": to_version, "reason": reason, "actor": actor}
