"""The web app: the HTTP API's application with the pages added at ``/``.

The web package sits above ``api`` (pyproject's layers): it builds on the API's app, so the
API's routes, problem documents and authorisation stay one implementation, and the pages call
the same services. ``rledger serve`` runs ``web.app:app_from_environment``.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api import problems
from api.app import create_app as create_api_app
from api.app import service_from_environment
from ledger.errors import LedgerError
from services.ledger_service import LedgerService
from services.settings import DEFAULT_MAX_BODY_BYTES, Settings, max_body_bytes
from web.deps import SignedOut
from web.routes import act, audit, auth, pages
from web.sessions import SECRET_FILE, SessionCodec, load_or_create_secret

HERE = Path(__file__).parent


def create_app(
    service: LedgerService, session_secret: bytes, max_body: int = DEFAULT_MAX_BODY_BYTES
) -> FastAPI:
    """The API's app (``api.app.create_app``, its body cap ``max_body`` bytes covering uploads
    here too) plus the pages; ``session_secret`` (at least 32 bytes) signs the session cookies."""
    app = create_api_app(service, max_body)
    app.state.sessions = SessionCodec(session_secret)
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.add_exception_handler(SignedOut, _signed_out)
    app.add_exception_handler(LedgerError, _ledger_error)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (auth, pages, act, audit):
        app.include_router(module.router)
    return app


async def _signed_out(request: Request, exc: Exception) -> Response:
    """A page asked for without a live session goes to the sign-in page, saying why."""
    assert isinstance(exc, SignedOut)
    form = request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    )
    if request.method != "GET" and not form:  # the signing script's request: it shows the reason
        return problems.problem(401, "Signed out", exc.reason)
    answer = RedirectResponse(f"/signin?why={exc.code}", status_code=303)
    answer.delete_cookie("rledger_session", path="/")
    return answer


async def _ledger_error(request: Request, exc: Exception) -> Response:
    """A page that fails gets an HTML page naming the error; the API's routes and the pages'
    script requests keep the API's problem documents (api.problems)."""
    assert isinstance(exc, LedgerError)
    if request.method != "GET" or request.url.path.startswith(("/v1/", "/static/")):
        return await problems.ledger_problem(request, exc)
    status, title = problems.status_for(exc)
    answer: Response = request.app.state.templates.TemplateResponse(
        request, "error.html", {"viewer": None, "title": title, "detail": str(exc)}, status_code=status
    )
    return answer


def app_from_environment() -> FastAPI:
    service = service_from_environment()
    home = Settings.resolve(os.environ).home
    # The secret is made once, from the operating system's randomness, beside the ledger.
    secret = load_or_create_secret(home / SECRET_FILE, os.urandom)
    return create_app(service, secret, max_body_bytes(os.environ))
