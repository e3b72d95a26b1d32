"""Auditors: download the three reports; upload a report, or an export with a checkpoint, and
see the result ``rledger report verify`` / ``rledger verify --export`` gives."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep
from governance.state import GovernanceState
from ledger.errors import InputError, LedgerError, VerificationError
from ledger.tlog.verify import VerifiedLog
from web.deps import PostViewerDep, ViewerDep
from web.outcomes import log_lines, meaning_lines, report_lines
from web.routes.pages import error_page
from web.routes.render import page

router = APIRouter(prefix="/auditors", include_in_schema=False)

MIB = 1024 * 1024


def upload_cap(request: Request) -> int:
    """The most an upload may be, in bytes: the server's one body cap (RLEDGER_MAX_BODY_BYTES,
    api.limits.BodyLimit), which a whole form post is already held to."""
    cap: int = request.app.state.max_body
    return cap


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
        request,
        "auditors.html",
        viewer,
        decisions=decisions,
        models=models,
        key=service.log.verifier_key(),
        cap_mib=f"{upload_cap(request) / MIB:.1f}",
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


async def _read(request: Request, upload: UploadFile) -> bytes:
    cap = upload_cap(request)
    data = await upload.read(cap + 1)
    if len(data) > cap:
        raise ValueError(f"{upload.filename} is larger than the server's cap of {cap / MIB:.1f} MiB")
    return data


def _text(data: bytes, name: str, what: str) -> str:
    """``data`` as UTF-8, or an InputError naming the file and the first bad byte's offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} is not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x}); "
            f"upload the {what} as written by rledger"
        ) from None


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
        data = await _read(request, report)
        # Verifying a report takes seconds: off the event loop, so /healthz and others answer.
        result = await run_in_threadpool(verify, data, key.strip() or service.log.verifier_key())
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
    cp_name = checkpoint.filename or "the checkpoint"
    vkey = key.strip() or service.log.verifier_key()

    def check(data: bytes, note: str) -> tuple[VerifiedLog, GovernanceState]:
        _text(data, name, "export")  # named here, before the export reader's own message
        with tempfile.TemporaryDirectory(prefix="rledger-web-") as folder:
            path = Path(folder) / "export.jsonl"
            path.write_bytes(data)
            return verify_export_file(path, [note], vkey, workers=1), verify_export_meaning(path)

    try:
        note = _text(await _read(request, checkpoint), cp_name, "checkpoint")
        # Seconds of hashing and replay: off the event loop, so /healthz and others answer.
        result, state = await run_in_threadpool(check, await _read(request, export), note)
    except (LedgerError, ValueError) as exc:
        return _result(request, viewer, service, f"{name} does not verify", [_failure(exc)], False)
    lines = log_lines(result, [note]) + meaning_lines(state)
    return _result(request, viewer, service, f"{name} verifies", lines, True)
