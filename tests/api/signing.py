"""Statements built and signed on the client's side, as an HTTP client of the API does: the
body of each state-changing route is the payload exactly as it will be recorded, with the
author's signature over the statement bytes of the ledger's format (docs/formats.md §4)."""

from __future__ import annotations

from typing import Any

import httpx

from governance import actions
from governance.actions import Release
from governance.authorship import release_subject
from governance.record import DECISION_KIND
from governance.statements import sign_statement
from ledger.scoring.input import parse_request, request_fields
from ledger.tlog.note import Ed25519Signer
from policies.loader import load_policy_text
from tests.api.conftest import Api
from tests.governance.conftest import ADMIN


def sign_decision(body: dict[str, Any], key: Ed25519Signer, origin: str | None) -> dict[str, Any]:
    """``body`` (a decision file as JSON) with its requester's ``signature``: over the decision's
    fields in normal form, which is what the server records and the ledger checks."""
    body = {k: v for k, v in body.items() if k != "signature"}  # a re-signed body: the old one goes
    fields = request_fields(parse_request(body))
    return {**body, "signature": sign_statement(DECISION_KIND, fields, key, origin=origin)["signature"]}


def sign_decision_over_http(client: httpx.Client, body: dict[str, Any], key: Ed25519Signer) -> dict[str, Any]:
    """As :func:`sign_decision`, for a client of a real server: the statement origin is the one
    ``GET /v1/statements/context`` gives (``client`` carries the requester's bearer token)."""
    context = client.get("/v1/statements/context")
    assert context.status_code == 200, context.text
    return sign_decision(body, key, context.json()["sign_over_origin"])


def origin(api: Api) -> str | None:
    return api.team.service.state().statement_origin()


def signed(api: Api, kind: str, payload: dict[str, Any], who: str) -> dict[str, Any]:
    return sign_statement(kind, payload, api.team.key(who), origin=origin(api))


def decision(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    return sign_decision(body, api.team.key(body["requested_by"]), origin(api))


def release(api: Api, decision_id: str) -> Release:
    state = api.team.service.state()
    return release_subject(state, state.decision(api.team.service.resolve(decision_id).leaf_hex))


def approval(
    api: Api, decision_id: str, who: str, role: str, verdict: str = "approve", comment: str = ""
) -> dict[str, Any]:
    payload = actions.approval(release(api, decision_id), who, role, verdict, comment)
    return signed(api, "release.approval", payload, who)


def canary_start(api: Api, decision_id: str, who: str) -> dict[str, Any]:
    return signed(api, "release.canary_started", actions.canary_started(release(api, decision_id), who), who)


def canary_result(
    api: Api, decision_id: str, who: str, verdict: str, summary: dict[str, Any]
) -> dict[str, Any]:
    payload = actions.canary_result(release(api, decision_id), verdict, summary, who)
    return signed(api, "release.canary_result", payload, who)


def promotion(
    api: Api, decision_id: str, who: str, *, break_glass: bool = False, reason: str = ""
) -> dict[str, Any]:
    """Supersedes what ``GET .../status`` says is in production now, as a client would."""
    state = api.team.service.state()
    d = state.decision(api.team.service.resolve(decision_id).leaf_hex)
    current = state.production.get(d.model)
    payload = actions.promoted(release(api, decision_id), who, d.policy_sha, current, break_glass, reason)
    return signed(api, "release.promoted", payload, who)


def rollback(api: Api, decision_id: str, who: str, to_version: str, reason: str) -> dict[str, Any]:
    payload = actions.rolled_back(release(api, decision_id), to_version, reason, who)
    return signed(api, "release.rolled_back", payload, who)


def new_identity(api: Api, name: str, roles: list[str], public_key: str, who: str = ADMIN) -> dict[str, Any]:
    return signed(api, "identity.added", actions.identity_added(name, roles, public_key, who), who)


def key_rotation(api: Api, name: str, public_key: str, who: str = ADMIN) -> dict[str, Any]:
    return signed(api, "identity.key_rotated", actions.identity_key_rotated(name, public_key, who), who)


def revocation(api: Api, name: str, who: str = ADMIN) -> dict[str, Any]:
    return signed(api, "identity.revoked", actions.identity_revoked(name, who), who)


def adoption(api: Api, text: str, who: str = ADMIN) -> dict[str, Any]:
    loaded = load_policy_text(text, source="test")
    p = loaded.policy
    payload = actions.policy_adopted(p.policy_id, p.version, loaded.sha256, text, who)
    return signed(api, "policy.adopted", payload, who)
