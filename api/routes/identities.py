"""People and their keys (admins only). Every change is a ledger entry, signed by the admin
making it on their own machine; the bearer token only says who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.body import ExactJsonRoute
from api.deps import Caller, CallerDep, ServiceDep
from api.problems import error_responses
from api.schemas import RecordedEntry
from api.statement_bodies import IdentityRevocation, KeyRotation, NewIdentity, Statement
from governance.state import ADMIN
from ledger.errors import InputError
from ledger.tlog.entry import Entry
from services.ledger_service import LedgerService

router = APIRouter(
    prefix="/v1/identities",
    tags=["identities"],
    responses=error_responses(400, 401, 403, 404, 415, 422, 503),
    route_class=ExactJsonRoute,
)

Name = Annotated[str, Path(min_length=1, max_length=200)]


def _recorded(entry: Entry) -> RecordedEntry:
    return RecordedEntry(seq=entry.seq, hash=entry.leaf_hash.hex(), kind=entry.kind, time=entry.time)


def _signed(
    kind: str,
    body: Statement,
    author: str,
    service: LedgerService,
    caller: Caller,
    path_name: str | None = None,
) -> RecordedEntry:
    """Append an identity statement its admin signed on their own machine: the caller must be
    an admin and the statement's author, and the statement must name the person the path
    names (422). The ledger checks the signature and the rules."""
    caller.require(ADMIN)
    caller.require_author(author)
    named = getattr(body, "name", None)
    if path_name is not None and path_name != named:
        raise InputError(f"name: the path names {path_name!r} but the statement names {named!r}")
    return _recorded(service.identities.append_signed(kind, body.payload()))


@router.post("", status_code=201, response_model=RecordedEntry, summary="Add a person (signed)")
def add(body: NewIdentity, service: ServiceDep, caller: CallerDep) -> RecordedEntry:
    return _signed("identity.added", body, body.actor, service, caller)


@router.post(
    "/{name}/rotate", status_code=201, response_model=RecordedEntry, summary="Replace a person's key (signed)"
)
def rotate(name: Name, body: KeyRotation, service: ServiceDep, caller: CallerDep) -> RecordedEntry:
    return _signed("identity.key_rotated", body, body.actor, service, caller, name)


@router.post(
    "/{name}/revoke", status_code=201, response_model=RecordedEntry, summary="Revoke a person (signed)"
)
def revoke(name: Name, body: IdentityRevocation, service: ServiceDep, caller: CallerDep) -> RecordedEntry:
    return _signed("identity.revoked", body, body.actor, service, caller, name)


@router.get("/me", summary="Who the token belongs to, and their roles")
def whoami(caller: CallerDep) -> dict[str, object]:
    return {"name": caller.name, "roles": sorted(caller.identity.roles), "token_id": caller.token_id}
