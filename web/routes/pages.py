"""My queue, a decision, and the ledger's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import ServiceDep
from api.problems import status_for
from ledger.errors import LedgerError
from ledger.tlog.witnessed import split_note
from services.online_verification import OnlineVerification, verify_online
from web.deps import PostViewerDep, Viewer, ViewerDep
from web.routes.render import page
from web.views import decision_view, queue

router = APIRouter(include_in_schema=False)

Filter = Annotated[str, Query(max_length=200)]


@router.get("/")
def my_queue(
    request: Request,
    viewer: ViewerDep,
    service: ServiceDep,
    model: Filter = "",
    band: Filter = "",
    tier: Filter = "",
) -> Response:
    rows = queue(service, viewer.name, model=model, band=band, tier=tier)
    every = sorted(service.state().decisions.values(), key=lambda d: -d.seq)
    return page(
        request,
        "queue.html",
        viewer,
        rows=rows,
        every=every,
        filters={"model": model, "band": band, "tier": tier},
    )


@router.get("/decisions/{decision_id}")
def decision(request: Request, decision_id: str, viewer: ViewerDep, service: ServiceDep) -> Response:
    try:
        d = service.state().decision(service.resolve(decision_id).leaf_hex)
    except LedgerError as exc:
        return error_page(request, viewer, exc)
    view = decision_view(service, d, viewer.name, viewer.identity.roles)
    return page(request, "decision.html", viewer, **view)


def error_page(request: Request, viewer: ViewerDep, exc: LedgerError) -> Response:
    status, title = status_for(exc)
    return page(request, "error.html", viewer, status, title=title, detail=str(exc))


@router.get("/ledger")
def ledger(request: Request, viewer: ViewerDep, service: ServiceDep) -> Response:
    """The latest checkpoint with its cosignatures, and the last verification run from this
    page (verifying reads every entry and asks the witnesses: it runs on request, not per view)."""
    return _ledger_page(request, viewer, service, request.app.state.last_verification)


@router.post("/ledger/verify")
def verify_ledger(request: Request, viewer: PostViewerDep, service: ServiceDep) -> Response:
    """``rledger verify``'s online verification (services.online_verification), run in the
    threadpool (a sync route), its result kept for the page until the next run."""
    now = service.clock.now()
    try:
        found = verify_online(service.verification, request.app.state.witness_transport)
        run = LastRun(now, viewer.name, found, "", 200)
    except LedgerError as exc:
        run = LastRun(now, viewer.name, None, str(exc), status_for(exc)[0])
    request.app.state.last_verification = run
    return _ledger_page(request, viewer, service, run, run.status)


@dataclass(frozen=True)
class LastRun:
    """One verification run from the Ledger page: when, by whom, and what it found."""

    at: datetime
    by: str
    found: OnlineVerification | None  # None: it failed, for ``problem``
    problem: str
    status: int


def _ledger_page(
    request: Request, viewer: Viewer, service: ServiceDep, run: LastRun | None, status: int = 200
) -> Response:
    note = service.log.latest_checkpoint()
    body, signatures = split_note(note)
    origin = service.state().origin
    return page(
        request,
        "ledger.html",
        viewer,
        status,
        note=note,
        body=body,
        signatures=[
            (line, "log" if line.startswith(f"\u2014 {origin} ") else "witness") for line in signatures
        ],
        run=run,
        witnesses_configured=service.verification.witnesses is not None,
        verifier_key=service.log.verifier_key(),
    )
