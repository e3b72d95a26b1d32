"""The application factory. ``create_app`` takes a ready service (tests pass their own);
``app_from_environment`` builds one from RLEDGER_HOME / RLEDGER_DATABASE_URL for ``rledger serve``."""

from __future__ import annotations

import os

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from api import docs_ui, problems
from api.idempotency import IdempotencyStore
from api.limits import BodyLimit
from api.metrics import Metrics
from api.routes import decisions, identities, ledger_routes, ops, policies_routes, reports
from ledger import __version__
from ledger.clock import clock_from_environment
from services.keys import ledger_signing_key
from services.ledger_service import LedgerService
from services.settings import DEFAULT_MAX_BODY_BYTES, Settings, max_body_bytes
from services.state_scope import one_state
from services.witness_config import load_witness_config
from store.ledger_store import LedgerStore
from store.witness_client import HttpWitnessTransport

DESCRIPTION = """
Release Ledger's HTTP API. Every `/v1` request needs `Authorization: Bearer <token>`
(`rledger token create NAME`). Errors are RFC 9457 problem documents. Writes are checked
against the caller's roles and the ledger's policy on the server. The token only says who is
calling: every write's body is a statement signed by its author, who must be the caller
(`GET /v1/statements/context` says what to sign over; `rledger ... --server URL` does it).
"""


def create_app(service: LedgerService, max_body: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    # /docs is served from the package (api/docs_ui.py), never a CDN; ReDoc would load from one.
    app = FastAPI(
        title="Release Ledger", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None
    )
    docs_ui.install(app)
    app.state.service = service
    app.state.metrics = Metrics()
    app.state.idempotency = IdempotencyStore(_sql_store(service).engine)
    app.middleware("http")(app.state.metrics.middleware)
    problems.install(app)
    app.add_middleware(BodyLimit, limit=max_body)
    app.add_middleware(OneStatePerRequest)
    for module in (decisions, ledger_routes, policies_routes, identities, reports, ops):
        app.include_router(module.router)
    return app


class OneStatePerRequest:
    """ASGI middleware: every ``service.state()`` of one request is the same state until the
    request appends (services.state_scope), so the token check, the caller's identity and the
    route read each derived state row once, not once each."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with one_state():
            await self.app(scope, receive, send)


def _sql_store(service: LedgerService) -> LedgerStore:
    """The service's store, which must be the SQL one: the API keeps its Idempotency-Key
    replies in a table beside the ledger's, in the same database."""
    store = service.store
    if not isinstance(store, LedgerStore):
        raise TypeError(f"the HTTP API needs a service over a LedgerStore, not {type(store).__name__}")
    return store


def app_from_environment() -> FastAPI:
    return create_app(service_from_environment(), max_body_bytes(os.environ))


def service_from_environment() -> LedgerService:
    """The service ``rledger serve`` runs: the ledger of RLEDGER_HOME / RLEDGER_DATABASE_URL,
    its checkpoint key and its witnesses (the web app builds on it too, web.app)."""
    settings = Settings.resolve(os.environ)
    signer = ledger_signing_key(os.environ, settings.signing_key_path)
    store = LedgerStore.open(settings.database_url)
    store.meta()  # refuse to start on a database that holds no ledger
    # Each write's checkpoint goes to HOME/witnesses.yaml's witnesses before its reply is sent.
    witnesses = load_witness_config(settings.witnesses_path)
    return LedgerService(
        store,
        clock_from_environment(os.environ),
        signer,
        witnesses=witnesses,
        transport=HttpWitnessTransport(),
    )
