"""Domain errors to RFC 9457 ``application/problem+json`` responses, in one place.

Every ``LedgerError`` subclass is listed explicitly (a test walks the hierarchy and fails
on any class missing here), so a new error can never fall through to a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger import errors as e
from ledger.encoding.reader import MalformedError, ReadError
from ledger.scoring.input import first_problem
from ledger.tlog.merkle import ProofError
from ledger.tlog.note import SignatureError
from ledger.tlog.witnessed import QuorumError
from ledger.witness.request import BadRequest
from policies.errors import PolicyCaseError, PolicyError, PolicyFileError
from reports.errors import ReportError, ReportInputError, ReportVerificationError
from services.keys import KeyFileError
from services.online_verification import QuorumUsageError
from store.database import UnreachableDatabaseError

PROBLEM_JSON = "application/problem+json"


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None
    rule: str | None = None
    index: int | None = None
    line: int | None = None
    column: int | None = None


class ApiError(Exception):
    """Root of errors the API raises itself (authentication, authorisation, idempotency)."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class Unauthenticated(ApiError):
    status = 401
    title = "Authentication required"


class Forbidden(ApiError):
    status = 403
    title = "Forbidden"


class UnsupportedMediaType(ApiError):
    status = 415
    title = "Unsupported media type"


class IdempotencyConflict(ApiError):
    status = 422
    title = "Idempotency-Key reused for a different request"


# (status, title) for every domain error class, most specific first where it matters.
STATUS_BY_ERROR: dict[type[Exception], tuple[int, str]] = {
    e.LedgerError: (400, "Request refused"),
    e.InputError: (422, "Invalid input"),
    ReadError: (422, "Invalid input"),
    MalformedError: (400, "Malformed request body"),
    e.DecisionInputError: (422, "Invalid decision"),
    e.DuplicateDecisionError: (409, "Decision already recorded"),
    e.BatchError: (422, "Invalid batch"),
    e.NotFoundError: (404, "Not found"),
    e.AmbiguousIdError: (409, "Ambiguous identifier"),
    e.RefusedError: (403, "Refused by the ledger's rules"),
    e.SignatureRefusedError: (403, "Signature or token not accepted"),
    e.FormatError: (422, "Malformed data"),
    e.VerificationError: (409, "The ledger does not verify"),
    e.StorageError: (503, "Storage unavailable"),
    e.NotInitializedError: (503, "Ledger not initialised"),
    e.AlreadyInitializedError: (409, "Ledger already initialised"),
    KeyFileError: (503, "Key unavailable"),
    ProofError: (409, "Proof does not verify"),
    SignatureError: (409, "Checkpoint signature does not verify"),
    UnreachableDatabaseError: (503, "Database unreachable"),
    ReportError: (422, "Report refused"),
    ReportInputError: (422, "Invalid report request"),
    ReportVerificationError: (409, "Report does not verify"),
    PolicyError: (422, "Invalid policy"),
    PolicyFileError: (422, "Invalid policy file"),
    PolicyCaseError: (422, "Invalid policy case"),
    QuorumError: (409, "Checkpoint lacks the witness quorum"),
    QuorumUsageError: (422, "A quorum needs witness keys"),
    BadRequest: (400, "Malformed add-checkpoint request"),  # the witness's; never raised by the API
}


def status_for(exc: Exception) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500, "Internal error"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": 'Bearer realm="rledger"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def ledger_problem(_: Request, exc: Exception) -> JSONResponse:
    """The problem document for a LedgerError (the web app hands its script requests here too)."""
    assert isinstance(exc, e.LedgerError)
    status, title = status_for(exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, e.DecisionInputError):
        extra["errors"] = [{"field": exc.field, "message": exc.problem}]
    if isinstance(exc, e.BatchError):
        # One line of detail, and each refused item in ``errors`` under its index (items[3]...).
        extra["errors"] = [_batch_problem(where, error) for where, error in exc.problems]
        lines = "; ".join(f"{where}: {error}" for where, error in exc.problems)
        return problem(status, title, f"{exc.summary}: {lines}", **extra)
    if isinstance(exc, ReadError):
        if exc.field:
            extra["errors"] = [{"field": exc.field, "message": exc.problem}]
        if exc.line is not None:
            extra["line"] = exc.line
        if exc.column is not None:
            extra["column"] = exc.column
    if isinstance(exc, e.RefusedError) and exc.rule:
        extra["rule"] = exc.rule
    if isinstance(exc, e.VerificationError) and exc.index is not None:
        extra["index"] = exc.index
    return problem(status, title, str(exc), **extra)


def _batch_problem(where: str, error: e.LedgerError) -> dict[str, str]:
    """A refused batch item as a field problem: ``items[3].scores.cost`` when a field is named."""
    if isinstance(error, e.DecisionInputError | ReadError) and error.field:
        return {"field": f"{where}.{error.field}", "message": error.problem}
    return {"field": where, "message": str(error)}


async def _api(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem(exc.status, exc.title, exc.detail)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = []
    for err in exc.errors():
        field, message = first_problem([err])
        fields.append({"field": field, "message": message})
    # The detail is worded exactly as the command line words the same refusal.
    field, message = first_problem(exc.errors())
    return problem(422, "Invalid request", f"{field}: {message}" if field else message, errors=fields)


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail), str(exc.detail))


async def _bug(_: Request, exc: Exception) -> JSONResponse:  # the tests hunt for these; none should happen
    return problem(500, "Internal error", f"{type(exc).__name__}: an unexpected error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.LedgerError, ledger_problem)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _bug)


# OpenAPI description of the error responses every route may give.
def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {
            "description": "A problem (RFC 9457)",
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
        }
        for code in codes
    }
