"""People and their keys (admins only). Every change is a ledger entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.body import ExactJsonRoute
from api.deps import CallerDep, ServiceDep
from api.problems import error_responses
from api.schemas import KeyRotation, NewIdentity, RecordedEntry
from governance.state import ADMIN
from ledger.tlog.entry import Entry

router = APIRouter(
    prefix="/v1/identities",
    tags=["identities"],
    responses=error_responses(400, 401, 403, 404, 415, 422, 503),
    route_class=ExactJsonRoute,
)

Name = Annotated[str, Path(min_length=1, max_length=200)]


def _recorded(entry: Entry) -> RecordedEntry:
    return RecordedEntry(seq=entry.seq, hash=entry.leaf_hash.hex(), kind=entry.kind, time=entry.time)


@router.post("", status_code=201, response_model=RecordedEntry, summary="Add a person")
def add(body: NewIdentity, service: ServiceDep, caller: CallerDep) -> RecordedEntry:
    caller.require(ADMIN)
    return _recorded(
        service.identities.add(
            body.name, body.roles, body.public_key, caller.name, None, token_id=caller.token_id
        )
    )


@router.post(
    "/{name}/rotate", status_code=201, response_model=RecordedEntry, summary="Replace a person's key"
)
def rotate(name: Name, body: KeyRotation, service: ServiceDep, caller: CallerDep) -> RecordedEntry:
    caller.require(ADMIN)
    return _recorded(
        service.identities.rotate_key(name, body.public_key, caller.name, None, token_id=caller.token_id)
    )


@router.post("/{name}/revoke", status_code=201, response_model=RecordedEntry, summary="Revoke a person")
def revoke(name: Name, service: ServiceDep, caller: CallerDep) -> RecordedEntry:
    caller.require(ADMIN)
    return _recorded(service.identities.revoke(name, caller.name, None, token_id=caller.token_id))


@router.get("/me", summary="Who the token belongs to, and their roles")
def whoami(caller: CallerDep) -> dict[str, object]:
    return {"name": caller.name, "roles": sorted(caller.identity.roles), "token_id": caller.token_id}
