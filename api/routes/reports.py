"""PDF downloads of the three reports. Auditors may fetch them; the PDFs verify themselves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.body import ExactJsonRoute
from api.deps import CallerDep, ServiceDep
from api.problems import error_responses

router = APIRouter(
    prefix="/v1/reports",
    tags=["reports"],
    responses=error_responses(401, 404, 409, 422, 503),
    route_class=ExactJsonRoute,
)

PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "a PDF/A-3b report with evidence.json attached"}
}


def _pdf(data: bytes, name: str) -> Response:
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/release/{decision_id}", response_class=Response, responses=PDF, summary="Release report")
def release(
    decision_id: Annotated[str, Path(max_length=300)], service: ServiceDep, caller: CallerDep
) -> Response:
    from reports.generate import prepare_release, render

    return _pdf(render(prepare_release(service, decision_id)).data, "release-report.pdf")


@router.get("/audit", response_class=Response, responses=PDF, summary="Auditor export for a period")
def audit(
    service: ServiceDep,
    caller: CallerDep,
    start: Annotated[str, Query(alias="from", min_length=10, max_length=40)],
    end: Annotated[str, Query(alias="to", min_length=10, max_length=40)],
    model: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    from reports.generate import prepare_audit, render
    from reports.period import parse_period

    period = parse_period(start, end, names=("from", "to"))
    return _pdf(render(prepare_audit(service, period, model)).data, "audit-export.pdf")


@router.get("/scorecard", response_class=Response, responses=PDF, summary="Procurement scorecard")
def scorecard(
    service: ServiceDep,
    caller: CallerDep,
    model: Annotated[str, Query(min_length=1, max_length=200)],
    versions: Annotated[
        str | None, Query(max_length=2000, description="comma-separated; default: all")
    ] = None,
) -> Response:
    from reports.contract import ContractTerms
    from reports.generate import prepare_scorecard, render

    chosen = [v.strip() for v in versions.split(",") if v.strip()] if versions else []
    return _pdf(render(prepare_scorecard(service, model, chosen, ContractTerms())).data, "scorecard.pdf")
