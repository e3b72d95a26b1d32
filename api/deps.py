"""Dependencies shared by the routes: the service, and who is calling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import Forbidden, Unauthenticated
from governance.state import ADMIN, AUDITOR, SUBMITTER, Identity
from ledger.errors import SignatureRefusedError
from services.ledger_service import LedgerService

_bearer = HTTPBearer(auto_error=False, description="rlt_<id>_<secret>, from `rledger token create`")


def get_service(request: Request) -> LedgerService:
    service: LedgerService = request.app.state.service
    return service


ServiceDep = Annotated[LedgerService, Depends(get_service)]


@dataclass(frozen=True)
class Caller:
    identity: Identity
    token_id: str

    @property
    def name(self) -> str:
        return self.identity.name

    def require(self, *roles: str) -> None:
        if not self.identity.roles & set(roles):
            raise Forbidden(
                f"{self.name} holds {sorted(self.identity.roles)}; this needs one of {sorted(roles)}"
            )

    def require_author(self, author: str) -> None:
        """The token authenticates the caller; only their own signature authorises. So a
        statement is accepted only from its author: nobody relays another's signature."""
        if author != self.name:
            raise Forbidden(f"the statement is {author}'s; you are {self.name}")

    def require_writer(self) -> None:
        """Auditors read, export and fetch reports; they write nothing."""
        if not self.identity.roles - {AUDITOR}:
            raise Forbidden(f"{self.name} is an auditor; auditors may only read")


def get_caller(
    service: ServiceDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send `Authorization: Bearer <token>`; create one with `rledger token create`")
    try:
        record = service.tokens.authenticate(credentials.credentials)
    except SignatureRefusedError as exc:
        raise Unauthenticated(exc.problem) from None
    return Caller(service.state().identity(record.identity), record.token_id)


CallerDep = Annotated[Caller, Depends(get_caller)]

SUBMITTERS = (SUBMITTER, ADMIN)
