"""Who is signed in, checked on every request exactly as the API checks a bearer token.

The session cookie names a token id; each request looks it up in the ledger's state as of
now, so a revoked or expired token, or a revoked identity, signs the session out. POSTs must
carry the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.deps import ServiceDep
from api.problems import Forbidden
from governance.state import AUDITOR, Identity
from ledger.errors import RefusedError
from web.sessions import COOKIE, Session, SessionCodec

REASONS = {
    "none": "Sign in with your API token.",
    "expired": "Your session expired. Sign in again.",
    "revoked": "Your token is no longer valid (revoked or expired). Sign in with a current one.",
    "bye": "You are signed out.",
}


class SignedOut(Exception):
    """No live session: pages redirect to the sign-in page, POSTs answer 401."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.reason = REASONS[code]
        super().__init__(self.reason)


@dataclass(frozen=True)
class Viewer:
    session: Session
    identity: Identity

    @property
    def name(self) -> str:
        return self.identity.name

    @property
    def roles(self) -> list[str]:
        return sorted(self.identity.roles)

    @property
    def writes(self) -> bool:
        return bool(self.identity.roles - {AUDITOR})


def codec(request: Request) -> SessionCodec:
    found: SessionCodec = request.app.state.sessions
    return found


def current_viewer(request: Request, service: ServiceDep) -> Viewer:
    cookie = request.cookies.get(COOKIE)
    session = codec(request).load(cookie) if cookie else None
    if session is None:
        raise SignedOut("none")
    now = service.clock.now()
    if not session.live_at(now):
        raise SignedOut("expired")
    state = service.state()
    record = state.tokens.get(session.token_id)
    if record is None or record.identity != session.who or not record.valid_at(now):
        raise SignedOut("revoked")
    try:
        identity = state.identity(session.who, rule="token")
    except RefusedError:
        raise SignedOut("revoked") from None
    return Viewer(session, identity)


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


async def checked_viewer(request: Request, viewer: ViewerDep) -> Viewer:
    """The viewer of a POST whose CSRF token matches their session's."""
    sent = request.headers.get("X-CSRF-Token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf")
        sent = value if isinstance(value, str) else None
    if sent is None or not hmac.compare_digest(sent.encode(), viewer.session.csrf.encode()):
        raise Forbidden("the form's CSRF token does not match your session; reload the page and try again")
    return viewer


PostViewerDep = Annotated[Viewer, Depends(checked_viewer)]
