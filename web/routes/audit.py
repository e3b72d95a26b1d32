"""Auditors: download the three reports; upload a report, or an export with a checkpoint, and
see the result ``rledger report verify`` / ``rledger verify --export`` gives."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from api.deps import ServiceDep
from ledger.errors import LedgerError, VerificationError
from web.deps import PostViewerDep, ViewerDep
from web.outcomes import log_lines, meaning_lines, report_lines
from web.routes.pages import error_page
from web.routes.render import page

router = APIRouter(prefix="/auditors", include_in_schema=False)

MAX_UPLOAD = 200 * 1024 * 1024


def _failure(exc: Exception) -> str:
    """The line the command line prints for the same failure (cli.main)."""
    return f"verification FAILED: {exc}" if isinstance(exc, VerificationError) else f"error: {exc}"


def _pdf(data: bytes, name: str) -> Response:
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("")
def auditors(request: Request, viewer: ViewerDep, service: ServiceDep) -> Response:
    state = service.state()
    decisions = sorted(state.decisions.values(), key=lambda d: -d.seq)
    models = sorted({d.model for d in decisions})
    return page(
        request, "auditors.html", viewer, decisions=decisions, models=models, key=service.log.verifier_key()
    )


@router.get("/reports/release")
def release_report(
    request: Request, viewer: ViewerDep, service: ServiceDep, decision: Annotated[str, Query(max_length=300)]
) -> Response:
    from reports.generate import prepare_release, render

    try:
        return _pdf(render(prepare_release(service, decision)).data, "release-report.pdf")
    except LedgerError as exc:
        return error_page(request, viewer, exc)


@router.get("/reports/audit")
def audit_report(
    request: Request,
    viewer: ViewerDep,
    service: ServiceDep,
    start: Annotated[str, Query(alias="from", min_length=10, max_length=40)],
    end: Annotated[str, Query(alias="to", min_length=10, max_length=40)],
) -> Response:
    from reports.generate import prepare_audit, render
    from reports.period import parse_period

    try:
        period = parse_period(start, end, names=("from", "to"))
        return _pdf(render(prepare_audit(service, period, None)).data, "audit-export.pdf")
    except LedgerError as exc:
        return error_page(request, viewer, exc)


@router.get("/reports/scorecard")
def scorecard_report(
    request: Request,
    viewer: ViewerDep,
    service: ServiceDep,
    model: Annotated[str, Query(min_length=1, max_length=200)],
) -> Response:
    from reports.contract import ContractTerms
    from reports.generate import prepare_scorecard, render

    try:
        return _pdf(render(prepare_scorecard(service, model, [], ContractTerms())).data, "scorecard.pdf")
    except LedgerError as exc:
        return error_page(request, viewer, exc)


async def _read(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValueError(f"{upload.filename} is larger than {MAX_UPLOAD // (1024 * 1024)} MiB")
    return data


def _result(
    request: Request, viewer: PostViewerDep, service: ServiceDep, title: str, lines: list[str], ok: bool
) -> Response:
    return page(request, "verified.html", viewer, 200 if ok else 422, title=title, lines=lines, ok=ok)


@router.post("/verify-report")
async def verify_report(
    request: Request,
    viewer: PostViewerDep,
    service: ServiceDep,
    report: Annotated[UploadFile, File()],
    key: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The checks of ``rledger report verify REPORT --key KEY`` (the ledger's key by default)."""
    from reports.verify import verify_report as verify

    name = report.filename or "the report"
    try:
        result = verify(await _read(report), key.strip() or service.log.verifier_key())
    except (LedgerError, ValueError) as exc:
        return _result(request, viewer, service, f"{name} does not verify", [_failure(exc)], False)
    return _result(request, viewer, service, f"{name} verifies", report_lines(name, result), True)


@router.post("/verify-export")
async def verify_export(
    request: Request,
    viewer: PostViewerDep,
    service: ServiceDep,
    export: Annotated[UploadFile, File()],
    checkpoint: Annotated[UploadFile, File()],
    key: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The checks of ``rledger verify --export FILE --checkpoint CHECKPOINT --key KEY``."""
    from services.verification import verify_export_file, verify_export_meaning

    name = export.filename or "the export"
    try:
        note = (await _read(checkpoint)).decode("utf-8")
        with tempfile.TemporaryDirectory(prefix="rledger-web-") as folder:
            path = Path(folder) / "export.jsonl"
            path.write_bytes(await _read(export))
            result = verify_export_file(path, [note], key.strip() or service.log.verifier_key(), workers=1)
            state = verify_export_meaning(path)
    except (LedgerError, ValueError) as exc:
        return _result(request, viewer, service, f"{name} does not verify", [_failure(exc)], False)
    lines = log_lines(result, [note]) + meaning_lines(state)
    return _result(request, viewer, service, f"{name} verifies", lines, True)
