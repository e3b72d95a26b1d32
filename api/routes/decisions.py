"""Decisions: submit, list, read, status, approvals, lifecycle transitions, replay."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from api.body import ExactJsonRoute
from api.deps import SUBMITTERS, Caller, CallerDep, ServiceDep
from api.idempotency import ExactBody, request_digest
from api.problems import Forbidden, error_responses
from api.schemas import (
    DecisionBatch,
    DecisionBatchResult,
    DecisionDetail,
    DecisionList,
    DecisionStatus,
    DecisionSubmission,
    DecisionSummary,
    RecordedEntry,
)
from api.statement_bodies import (
    ApprovalStatement,
    CanaryResult,
    CanaryStart,
    Promotion,
    ReleaseStatement,
    Rollback,
)
from governance.state import DecisionState
from governance.verdict import release_verdict
from ledger.errors import DuplicateDecisionError, InputError
from ledger.tlog.entry import Entry, format_time
from services.decisions import BatchItem
from services.ledger_service import LedgerService

router = APIRouter(
    prefix="/v1/decisions",
    tags=["decisions"],
    responses=error_responses(400, 401, 403, 404, 409, 415, 422, 503),
    route_class=ExactJsonRoute,
)

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _summary(d: DecisionState) -> DecisionSummary:
    a = d.payload["assessment"]
    return DecisionSummary(
        seq=d.seq,
        hash=d.leaf_hex,
        model=d.model,
        version=d.version,
        time=format_time(d.time),
        index=a["index"],
        band=a["band"],
        tier=d.tier,
        phase=d.phase,
        verdict=release_verdict(d.phase, d.payload, d.rolled_back_to).text,
    )


def _entry(entry: Entry) -> RecordedEntry:
    return RecordedEntry(seq=entry.seq, hash=entry.leaf_hash.hex(), kind=entry.kind, time=entry.time)


def _decision(service: LedgerService, decision_id: str) -> DecisionState:
    return service.state().decision(service.resolve(decision_id).leaf_hex)


@router.post("", status_code=201, response_model=DecisionSummary, summary="Submit a decision")
def submit(
    body: DecisionSubmission,
    request: Request,
    service: ServiceDep,
    caller: CallerDep,
    sent: ExactBody,
    key: IdempotencyKey = None,
) -> Any:
    """Validate, score and record a decision, carrying its requester's ``signature``.
    ``requested_by`` must be the caller. With an ``Idempotency-Key``, a retry returns the
    first answer and writes nothing."""
    caller.require(*SUBMITTERS)
    caller.require_author(body.requested_by)
    replies = request.app.state.idempotency
    digest = request_digest(request, sent, caller.name) if key else ""
    if key:
        seen = replies.recall(caller.name, key, digest)
        if seen is not None:
            return JSONResponse(seen[1], status_code=seen[0])
    data = body.model_dump(exclude={"signature"}, exclude_none=True)
    try:
        recorded = service.decisions.submit(data, caller.name, None, signature=body.signature)
    except DuplicateDecisionError:
        if not key:
            raise
        seen = replies.recall(caller.name, key, digest)  # a concurrent twin of this retry won the race
        if seen is None:
            raise
        return JSONResponse(seen[1], status_code=seen[0])
    answer = _summary(service.state().decision(recorded.ref.leaf_hex)).model_dump()
    if key:
        replies.remember(caller.name, key, digest, 201, answer)
    return JSONResponse(answer, status_code=201)


@router.post(
    "/batch",
    status_code=201,
    response_model=DecisionBatchResult,
    summary="Submit many decisions in one transaction",
)
def submit_batch(body: DecisionBatch, service: ServiceDep, caller: CallerDep) -> Any:
    """Validate, score and record up to 500 decisions (``items``) in one append: all of them or
    none. Each carries its requester's ``signature``, and each ``requested_by`` must be the
    caller. A refusal names every refused item by its index (``items[3]``) in ``errors``, and
    nothing is recorded; more than 500 items is a 422 before any is checked."""
    caller.require(*SUBMITTERS)
    for index, item in enumerate(body.items):
        if item.requested_by != caller.name:
            raise Forbidden(f"items[{index}] is {item.requested_by}'s decision; you are {caller.name}")
    items = [
        BatchItem(f"items[{i}]", item.model_dump(exclude={"signature"}, exclude_none=True), item.signature)
        for i, item in enumerate(body.items)
    ]
    recorded = service.decisions.submit_many(items, caller.name, None)
    state = service.state()
    answer = DecisionBatchResult(items=[_summary(state.decision(r.ref.leaf_hex)) for r in recorded])
    return JSONResponse(answer.model_dump(), status_code=201)


@router.get("", response_model=DecisionList, summary="List decisions")
def list_decisions(
    service: ServiceDep,
    caller: CallerDep,
    model: Annotated[str | None, Query(max_length=200)] = None,
    state: Annotated[str | None, Query(max_length=50, description="phase, e.g. pending_approval")] = None,
    band: Literal["green", "yellow", "red"] | None = None,
    tier: Literal["low", "medium", "high"] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,15}$", description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DecisionList:
    for moment in (since, until):
        if moment is not None and moment.tzinfo is None:
            raise InputError("since/until must carry a time zone, e.g. 2026-11-20T00:00:00Z")
    after = int(cursor) if cursor is not None else -1
    rows = [
        d
        for d in sorted(service.state().decisions.values(), key=lambda d: d.seq)
        if d.seq > after
        and (model is None or d.model == model)
        and (state is None or d.phase == state)
        and (band is None or d.band == band)
        and (tier is None or d.tier == tier)
        and (since is None or d.time >= since)
        and (until is None or d.time < until)
    ]
    page = rows[:limit]
    more = len(rows) > limit
    return DecisionList(items=[_summary(d) for d in page], next_cursor=str(page[-1].seq) if more else None)


@router.get("/{decision_id}", response_model=DecisionDetail, summary="One decision, by MODEL@VERSION or hash")
def get_decision(decision_id: str, service: ServiceDep, caller: CallerDep) -> DecisionDetail:
    d = _decision(service, decision_id)
    return DecisionDetail(
        seq=d.seq,
        hash=d.leaf_hex,
        time=format_time(d.time),
        phase=d.phase,
        verdict=release_verdict(d.phase, d.payload, d.rolled_back_to).text,
        payload=d.payload,
    )


@router.get("/{decision_id}/status", response_model=DecisionStatus, summary="What is missing, and from whom")
def status(decision_id: str, service: ServiceDep, caller: CallerDep) -> Any:
    """``supersedes`` is what a promotion signed now must record: the model's version in production."""
    answer = service.decisions.status(decision_id)
    return {**answer, "supersedes": answer["production_version"]}


@router.get("/{decision_id}/replay", summary="Re-evaluate from the ledger alone")
def replay(decision_id: str, service: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return service.decisions.replay(decision_id)


def _signed(
    kind: str, decision_id: str, body: ReleaseStatement, author: str, service: LedgerService, caller: Caller
) -> RecordedEntry:
    """Append ``body``, a lifecycle statement signed on its author's machine, after the checks
    that are the API's own: the caller may write and is the statement's author (nobody relays
    another's signature), and the statement is about the decision the path names. The ledger
    checks the rest (signature, subject, roles, gates) exactly as for one signed locally."""
    caller.require_writer()
    caller.require_author(author)
    if body.decision != service.resolve(decision_id).leaf_hex:
        raise Forbidden(f"the statement was signed for another decision than {decision_id}")
    return _entry(service.lifecycle.append_signed(kind, body.payload()))


@router.post(
    "/{decision_id}/approvals",
    status_code=201,
    response_model=RecordedEntry,
    summary="Submit a signed approval",
)
def approve(
    decision_id: str, body: ApprovalStatement, service: ServiceDep, caller: CallerDep
) -> RecordedEntry:
    """``release.approval``, signed on the approver's machine (``rledger approve ID --server URL``)."""
    return _signed("release.approval", decision_id, body, body.approver, service, caller)


@router.post(
    "/{decision_id}/canary",
    status_code=201,
    response_model=RecordedEntry,
    summary="Start the canary (signed)",
)
def canary_start(
    decision_id: str, body: CanaryStart, service: ServiceDep, caller: CallerDep
) -> RecordedEntry:
    return _signed("release.canary_started", decision_id, body, body.actor, service, caller)


@router.post(
    "/{decision_id}/canary/result",
    status_code=201,
    response_model=RecordedEntry,
    summary="Canary result (signed)",
)
def canary_result(
    decision_id: str, body: CanaryResult, service: ServiceDep, caller: CallerDep
) -> RecordedEntry:
    return _signed("release.canary_result", decision_id, body, body.actor, service, caller)


@router.post(
    "/{decision_id}/promote", status_code=201, response_model=RecordedEntry, summary="Promote (signed)"
)
def promote(decision_id: str, body: Promotion, service: ServiceDep, caller: CallerDep) -> RecordedEntry:
    """``supersedes`` must be the model's version in production now (``supersedes`` of GET
    .../status) and ``policy_sha256`` the decision's recorded policy."""
    return _signed("release.promoted", decision_id, body, body.actor, service, caller)


@router.post(
    "/{decision_id}/rollback", status_code=201, response_model=RecordedEntry, summary="Roll back (signed)"
)
def rollback(decision_id: str, body: Rollback, service: ServiceDep, caller: CallerDep) -> RecordedEntry:
    return _signed("release.rolled_back", decision_id, body, body.actor, service, caller)
