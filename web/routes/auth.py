"""Sign in with an API token, sign out, and make a browser key (enrolment)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import ServiceDep
from ledger.errors import SignatureRefusedError
from web.deps import REASONS, PostViewerDep, ViewerDep, codec
from web.routes.render import page
from web.sessions import COOKIE, SIGNIN_COOKIE, SIGNIN_MINUTES, Session, session_end

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


def cookie_options(request: Request, path: str = "/") -> dict[str, Any]:
    """The attributes every Set-Cookie of the app carries, deleting ones included (a deleting
    header without them may be refused, or leave a Secure cookie standing)."""
    return {"path": path, "secure": secure_cookie(request), "httponly": True, "samesite": "strict"}


def _signin_form(request: Request, service: ServiceDep, status: int = 200, **values: Any) -> Response:
    """The sign-in page with a fresh pre-session CSRF nonce: in an HttpOnly cookie, and its
    HMAC in the form (login CSRF: another site cannot sign a victim in as its own account)."""
    nonce = service.governed.random(16).hex()
    proof = codec(request).signin_proof(nonce)
    answer = page(request, "signin.html", None, status, signin_csrf=proof, **values)
    answer.set_cookie(SIGNIN_COOKIE, nonce, max_age=SIGNIN_MINUTES * 60, **cookie_options(request, "/signin"))
    return answer


@router.get("/signin")
def signin_page(request: Request, service: ServiceDep, why: str = "none") -> Response:
    return _signin_form(request, service, reason=REASONS.get(why, REASONS["none"]))


@router.post("/signin")
def signin(
    request: Request,
    service: ServiceDep,
    token: Annotated[str, Form(max_length=300)],
    after: Annotated[str, Form(max_length=20)] = "/",
    signin_csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Start a session from an API token; ``after`` is ``/`` or, from an enrolment link, ``/keys``.
    The form must carry the proof of its sign-in cookie's nonce (``_signin_form``)."""
    if request.url.scheme != "https" and not _loopback(request):
        return _signin_form(request, service, 400, error="Sign in over https.")
    if not codec(request).signin_matches(request.cookies.get(SIGNIN_COOKIE), signin_csrf):
        error = (
            "Not signed in: the sign-in form did not come from this page or has expired "
            "(its CSRF check failed). Sign in again from this form."
        )
        return _signin_form(request, service, 403, error=error)
    try:
        record = service.tokens.authenticate(token.strip())
    except SignatureRefusedError as exc:
        return _signin_form(request, service, 401, error=f"Not signed in: {exc.problem}.")
    now = service.clock.now()
    csrf = service.governed.random(16).hex()
    session = Session(record.identity, record.token_id, csrf, session_end(now, record.expires_at))
    answer = RedirectResponse(after if after in AFTER_SIGNIN else "/", status_code=303)
    answer.set_cookie(
        COOKIE,
        codec(request).dump(session),
        max_age=int((session.expires - now).total_seconds()),
        **cookie_options(request),
    )
    answer.delete_cookie(SIGNIN_COOKIE, **cookie_options(request, "/signin"))
    return answer


@router.post("/signout")
def signout(request: Request, viewer: PostViewerDep) -> Response:
    """Delete the cookie. Sessions are stateless: a copy of the cookie taken before stays
    valid until it expires or its token is revoked (docs/operations.md, "Web sessions")."""
    answer = RedirectResponse("/signin?why=bye", status_code=303)
    answer.delete_cookie(COOKIE, **cookie_options(request))
    return answer


@router.get("/keys")
def keys_page(request: Request, viewer: ViewerDep, service: ServiceDep) -> Response:
    """Make or import the browser key, and see the public key to hand to an admin."""
    import base64

    registered = base64.b64encode(viewer.identity.public_key).decode()
    return page(request, "keys.html", viewer, registered=registered)
