"""Sign in with an API token, sign out, and make a browser key (enrolment)."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import ServiceDep
from ledger.errors import SignatureRefusedError
from web.deps import REASONS, PostViewerDep, ViewerDep, codec
from web.routes.render import page
from web.sessions import COOKIE, Session, session_end

router = APIRouter(include_in_schema=False)

AFTER_SIGNIN = frozenset({"/", "/keys"})  # never an address from the request: no open redirect


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secure_cookie(request: Request) -> bool:
    """Cookies are Secure; plain http is allowed only from a loopback client (the tests, a
    reviewer on the server's own machine). Behind a TLS proxy, uvicorn's --proxy-headers makes
    the scheme https."""
    return request.url.scheme == "https" or not _loopback(request)


@router.get("/signin")
def signin_page(request: Request, why: str = "none") -> Response:
    return page(request, "signin.html", None, reason=REASONS.get(why, REASONS["none"]))


@router.post("/signin")
def signin(
    request: Request,
    service: ServiceDep,
    token: Annotated[str, Form(max_length=300)],
    after: Annotated[str, Form(max_length=20)] = "/",
) -> Response:
    """Start a session from an API token; ``after`` is ``/`` or, from an enrolment link, ``/keys``."""
    if request.url.scheme != "https" and not _loopback(request):
        return page(request, "signin.html", None, 400, error="Sign in over https.")
    try:
        record = service.tokens.authenticate(token.strip())
    except SignatureRefusedError as exc:
        return page(request, "signin.html", None, 401, error=f"Not signed in: {exc.problem}.")
    now = service.clock.now()
    csrf = service.governed.random(16).hex()
    session = Session(record.identity, record.token_id, csrf, session_end(now, record.expires_at))
    answer = RedirectResponse(after if after in AFTER_SIGNIN else "/", status_code=303)
    answer.set_cookie(
        COOKIE,
        codec(request).dump(session),
        max_age=int((session.expires - now).total_seconds()),
        path="/",
        secure=secure_cookie(request),
        httponly=True,
        samesite="strict",
    )
    return answer


@router.post("/signout")
def signout(viewer: PostViewerDep) -> Response:
    answer = RedirectResponse("/signin?why=bye", status_code=303)
    answer.delete_cookie(COOKIE, path="/")
    return answer


@router.get("/keys")
def keys_page(request: Request, viewer: ViewerDep, service: ServiceDep) -> Response:
    """Make or import the browser key, and see the public key to hand to an admin."""
    import base64

    registered = base64.b64encode(viewer.identity.public_key).decode()
    return page(request, "keys.html", viewer, registered=registered)
