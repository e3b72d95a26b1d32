"""My queue, a decision, and the ledger's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import ServiceDep
from api.problems import status_for
from ledger.errors import LedgerError
from web.deps import ViewerDep
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
    """The latest checkpoint with its cosignatures, and a full verification of the database."""
    from ledger.tlog.witnessed import split_note

    note = service.log.latest_checkpoint()
    body, signatures = split_note(note)
    origin = service.state().origin
    witnessed = "no witnesses are configured (HOME/witnesses.yaml)"
    try:
        result = service.verification.verify()
        service.verification.verify_meaning()
        check = service.verification.check_witnessed()
        if check is not None:
            witnessed = check.summary
        verified, problem = result, ""
    except LedgerError as exc:
        verified, problem = None, str(exc)
    return page(
        request,
        "ledger.html",
        viewer,
        note=note,
        body=body,
        signatures=[
            (line, "log" if line.startswith(f"\u2014 {origin} ") else "witness") for line in signatures
        ],
        verified=verified,
        problem=problem,
        witnessed=witnessed,
        verifier_key=service.log.verifier_key(),
    )
