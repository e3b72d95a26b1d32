"""The log itself: checkpoint, entries as exact bytes, proofs, and a streaming export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from api.body import ExactJsonRoute
from api.deps import CallerDep, ServiceDep
from api.problems import error_responses
from api.schemas import ConsistencyProof, InclusionProof
from api.statement_bodies import StatementContext
from ledger.tlog.merkle import leaf_hash

router = APIRouter(
    prefix="/v1", tags=["ledger"], responses=error_responses(401, 404, 422, 503), route_class=ExactJsonRoute
)

Size = Annotated[int, Query(ge=1, le=2**40)]


@router.get(
    "/checkpoint", response_class=PlainTextResponse, summary="The latest signed checkpoint (C2SP note)"
)
def checkpoint(service: ServiceDep, caller: CallerDep) -> str:
    return service.log.latest_checkpoint()


@router.get(
    "/statements/context", response_model=StatementContext, summary="What a signed statement signs over"
)
def statement_context(service: ServiceDep, caller: CallerDep) -> StatementContext:
    """The origin and format a client needs to build the statement bytes it signs
    (docs/formats.md §4). A careful client checks ``origin`` against the log key it holds."""
    state = service.state()
    return StatementContext(
        origin=state.origin, format=state.format, sign_over_origin=state.statement_origin()
    )


@router.get(
    "/entries/{index}",
    summary="One entry's exact bytes",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "the entry bytes"},
        304: {"description": "unchanged"},
    },
)
def entry(
    service: ServiceDep,
    caller: CallerDep,
    index: Annotated[int, Path(ge=0, le=2**40)],
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=200)] = None,
) -> Response:
    """Entries never change, so the ETag (the entry's leaf hash) is valid forever."""
    data = service.log.entry(index)
    etag = f'"{leaf_hash(data).hex()}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable"}
    if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(content=data, media_type="application/json", headers=headers)


@router.get("/proofs/inclusion", response_model=InclusionProof, summary="Inclusion proof (RFC 9162)")
def inclusion(
    service: ServiceDep,
    caller: CallerDep,
    index: Annotated[int, Query(ge=0, le=2**40)],
    size: Size | None = None,
) -> InclusionProof:
    return InclusionProof.model_validate(service.log.inclusion_proof(index, size))


@router.get("/proofs/consistency", response_model=ConsistencyProof, summary="Consistency proof (RFC 9162)")
def consistency(service: ServiceDep, caller: CallerDep, old: Size, new: Size) -> ConsistencyProof:
    return ConsistencyProof.model_validate(service.log.consistency_proof(old, new))


@router.get(
    "/export",
    summary="Every entry, one per line, as exact bytes (JSON Lines)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/jsonl": {}}, "description": "JSON Lines"}},
)
def export(service: ServiceDep, caller: CallerDep) -> StreamingResponse:
    def lines() -> Iterator[bytes]:
        for data in service.store.bodies_from(0):
            yield data + b"\n"

    return StreamingResponse(lines(), media_type="application/jsonl")
