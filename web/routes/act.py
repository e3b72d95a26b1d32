"""Act on a decision: the server prepares the statement, the browser signs it, the ledger decides.

``prepare`` builds the unsigned statement with the same builders the CLI uses
(``governance.actions``) and shows it; the page's script signs its statement bytes
(docs/formats.md §4) with the reviewer's browser key and posts it to ``sign``, which hands it
to the very route functions of the HTTP API (``api.routes.decisions``), so the checks, the
refusals and the recorded entry are the API's and the CLI's, byte for byte.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from api.deps import Caller, ServiceDep
from api.problems import Forbidden
from api.routes import decisions as api_decisions
from api.schemas import RecordedEntry
from api.statement_bodies import ApprovalStatement, Promotion, ReleaseStatement, Rollback
from governance import actions
from governance.authorship import release_subject
from ledger.errors import InputError, LedgerError
from services.lifecycle import approval_role
from web.deps import PostViewerDep
from web.routes.pages import error_page
from web.routes.render import page

router = APIRouter(include_in_schema=False)

Route = Callable[[str, Any, Any, Caller], RecordedEntry]
# kind -> (the API's body model, the API's route function)
SIGNED: dict[str, tuple[type[ReleaseStatement], Route]] = {
    "release.approval": (ApprovalStatement, api_decisions.approve),
    "release.promoted": (Promotion, api_decisions.promote),
    "release.rolled_back": (Rollback, api_decisions.rollback),
}
ACTIONS = {
    "approve": "Approve",
    "reject": "Reject",
    "promote": "Promote to production",
    "break-glass": "EMERGENCY break-glass promotion",
    "rollback": "Roll back",
}


def _statement(
    service: ServiceDep, decision_id: str, who: str, action: str, text: str, to_version: str
) -> tuple[str, dict[str, Any]]:
    """(kind, unsigned payload) for ``action``, as ``rledger approve/promote/rollback`` build it."""
    state = service.state()
    d = state.decision(service.resolve(decision_id).leaf_hex)
    release = release_subject(state, d)
    if action in ("approve", "reject"):
        role = approval_role(state, d, who, reject=action == "reject")
        return "release.approval", actions.approval(release, who, role, action, text)
    if action in ("promote", "break-glass"):
        current = state.production.get(d.model)
        glass = action == "break-glass"
        return "release.promoted", actions.promoted(release, who, d.policy_sha, current, glass, text)
    if action == "rollback":
        return "release.rolled_back", actions.rolled_back(release, to_version, text, who)
    raise InputError(f"unknown action {action!r}; expected one of {sorted(ACTIONS)}")


@router.post("/decisions/{decision_id}/prepare")
def prepare(
    request: Request,
    decision_id: str,
    viewer: PostViewerDep,
    service: ServiceDep,
    action: Annotated[str, Form(max_length=20)],
    comment: Annotated[str, Form(max_length=2000)] = "",
    to_version: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The statement to sign, shown before signing (model@version, entry hash, role, action)."""
    try:
        kind, payload = _statement(service, decision_id, viewer.name, action, comment, to_version)
        origin = service.state().statement_origin()
    except LedgerError as exc:
        return error_page(request, viewer, exc)
    return page(
        request,
        "sign.html",
        viewer,
        kind=kind,
        action=action,
        action_label=ACTIONS[action],
        statement=payload,
        statement_json=json.dumps(
            {"kind": kind, "origin": origin, "payload": payload}, ensure_ascii=True, sort_keys=True
        ).replace("<", "\\u003c"),
        decision_id=payload["decision"],
        registered=base64.b64encode(viewer.identity.public_key).decode(),
    )


class SignedStatement(BaseModel):
    kind: str
    statement: dict[str, Any]


@router.post("/decisions/{decision_id}/sign", status_code=201)
def sign(
    decision_id: str, body: Annotated[SignedStatement, Body()], viewer: PostViewerDep, service: ServiceDep
) -> RecordedEntry:
    """Append a statement signed in the browser, through the API's own route for its kind."""
    if body.kind not in SIGNED:
        raise Forbidden(f"the web app records only {sorted(SIGNED)}, not {body.kind!r}")
    model, route = SIGNED[body.kind]
    try:
        statement = model.model_validate(body.statement)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    return route(decision_id, statement, service, Caller(viewer.identity, viewer.session.token_id))
