"""Health, readiness and Prometheus metrics. These need no token."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.body import ExactJsonRoute
from api.deps import ServiceDep
from api.schemas import Health
from ledger.errors import LedgerError

router = APIRouter(tags=["operations"], route_class=ExactJsonRoute)


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz", response_model=Health, responses={503: {"model": Health}}, summary="The ledger is reachable"
)
def readyz(service: ServiceDep) -> Response:
    try:
        size = service.store.size()
        service.store.meta()
    except LedgerError as exc:
        return JSONResponse(Health(status=f"unavailable: {exc}").model_dump(), status_code=503)
    return JSONResponse(Health(status="ready", size=size).model_dump())


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
    summary="Prometheus",
)
def metrics(request: Request, service: ServiceDep) -> Response:
    registry = request.app.state.metrics
    with contextlib.suppress(LedgerError):
        registry.size.set(service.store.size())
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
