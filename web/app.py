"""The web app: the HTTP API's application with the pages added at ``/``.

The web package sits above ``api`` (pyproject's layers): it builds on the API's app, so the
API's routes, problem documents and authorisation stay one implementation, and the pages call
the same services. ``rledger serve`` runs ``web.app:app_from_environment``.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from api import problems
from api.app import create_app as create_api_app
from api.app import service_from_environment
from api.problems import ApiError
from ledger.errors import LedgerError
from ledger.scoring.input import first_problem
from services.ledger_service import LedgerService
from services.ports import WitnessTransport
from services.settings import DEFAULT_MAX_BODY_BYTES, Settings, max_body_bytes
from web.deps import SignedOut
from web.routes import act, audit, auth, pages
from web.routes.auth import cookie_options
from web.routes.render import page
from web.sessions import COOKIE, SECRET_FILE, SessionCodec, load_or_create_secret

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MIB = 1024 * 1024

HERE = Path(__file__).parent


def create_app(
    service: LedgerService,
    session_secret: bytes,
    max_body: int = DEFAULT_MAX_BODY_BYTES,
    witness_transport: WitnessTransport | None = None,
) -> FastAPI:
    """The API's app (``api.app.create_app``, its body cap ``max_body`` bytes covering uploads
    here too) plus the pages; ``session_secret`` (at least 32 bytes) signs the session cookies.
    ``witness_transport`` carries the Ledger page's questions to the witnesses (default: the
    service's own, HTTP under ``rledger serve`` as in ``rledger verify``)."""
    app = create_api_app(service, max_body)
    app.state.max_body = max_body
    app.state.witness_transport = witness_transport or service.witnessing.transport or _NoTransport()
    app.state.last_verification = None  # per server process: the Ledger page's last run
    app.state.sessions = SessionCodec(session_secret)
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.add_exception_handler(SignedOut, _signed_out)
    app.add_exception_handler(LedgerError, _ledger_error)
    # A browser's form post that is refused (CSRF, a missing file or field) gets a page naming
    # the problem; the API's routes and the pages' script requests keep the API's documents.
    for kind in (ApiError, RequestValidationError):
        app.add_exception_handler(kind, _form_page_or(app.exception_handlers[kind]))
    app.add_middleware(FormBodyLimit, limit=max_body)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (auth, pages, act, audit):
        app.include_router(module.router)
    return app


class _NoTransport:
    """For a service built without one: every witness is unreachable, and verification says so."""

    def post(self, url: str, body: bytes) -> tuple[int, str, str]:
        return 0, "", "no witness transport in this server"


def _form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith(FORM_TYPES)


def _for_a_page(request: Request) -> bool:
    """A page's GET or a browser form's POST, not the API's routes or a script's JSON request."""
    if request.url.path.startswith(("/v1/", "/static/")):
        return False
    return request.method == "GET" or _form(request)


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return page(request, "error.html", None, status, title=title, detail=detail)


async def _signed_out(request: Request, exc: Exception) -> Response:
    """A page asked for without a live session goes to the sign-in page, saying why."""
    assert isinstance(exc, SignedOut)
    if request.method != "GET" and not _form(request):  # the signing script's request: it shows the reason
        return problems.problem(401, "Signed out", exc.reason)
    answer = RedirectResponse(f"/signin?why={exc.code}", status_code=303)
    answer.delete_cookie(COOKIE, **cookie_options(request))
    return answer


async def _ledger_error(request: Request, exc: Exception) -> Response:
    """A page that fails gets an HTML page naming the error; the API's routes and the pages'
    script requests keep the API's problem documents (api.problems)."""
    assert isinstance(exc, LedgerError)
    if not _for_a_page(request):
        return await problems.ledger_problem(request, exc)
    status, title = problems.status_for(exc)
    return _error_page(request, status, title, str(exc))


def _form_page_or(api_handler: Any) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        if request.method == "GET" or not _for_a_page(request):
            answer: Response = await api_handler(request, exc)
            return answer
        if isinstance(exc, ApiError):
            return _error_page(request, exc.status, exc.title, exc.detail)
        assert isinstance(exc, RequestValidationError)
        field, message = first_problem(exc.errors())
        detail = f"the form's field {field!r}: {message}" if field else message
        return _error_page(request, 422, "The form is incomplete or invalid", detail)

    return handle


class FormBodyLimit:
    """A browser form post over the body cap gets an HTML page naming the cap (outside the API's
    BodyLimit, which answers everything else with a problem document). It goes by the declared
    Content-Length, which browsers always send with a form."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            request = Request(scope)
            declared = request.headers.get("content-length", "")
            if _for_a_page(request) and declared.isdigit() and int(declared) > self.limit:
                detail = (
                    f"the form's files are {int(declared) / MIB:.1f} MiB; this server takes at most "
                    f"{self.limit / MIB:.1f} MiB per request (RLEDGER_MAX_BODY_BYTES)"
                )
                html = (
                    self.app_templates(scope)
                    .get_template("error.html")
                    .render(
                        {"request": request, "viewer": None, "title": "Upload too large", "detail": detail}
                    )
                )
                await HTMLResponse(html, status_code=413)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def app_templates(scope: Scope) -> Jinja2Templates:
        templates: Jinja2Templates = scope["app"].state.templates
        return templates


def app_from_environment() -> FastAPI:
    service = service_from_environment()
    home = Settings.resolve(os.environ).home
    # The secret is made once, from the operating system's randomness, beside the ledger.
    secret = load_or_create_secret(home / SECRET_FILE, os.urandom)
    return create_app(service, secret, max_body_bytes(os.environ))
