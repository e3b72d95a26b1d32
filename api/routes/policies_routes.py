"""The policy in force, adopting a new one (admins), and dry-run evaluation."""

from __future__ import annotations

from fastapi import APIRouter

from api.body import ExactJsonRoute
from api.deps import CallerDep, ServiceDep
from api.problems import error_responses
from api.schemas import DryRun, Evaluation, PolicyView, RecordedEntry
from api.statement_bodies import PolicyAdoption
from governance.record import decision_record
from governance.state import ADMIN
from ledger.scoring.input import parse_request
from policies.evaluate import evaluate_request
from policies.loader import load_policy_text

router = APIRouter(
    prefix="/v1/policy",
    tags=["policy"],
    responses=error_responses(400, 401, 403, 415, 422, 503),
    route_class=ExactJsonRoute,
)


@router.get("", response_model=PolicyView, summary="The active policy")
def active(service: ServiceDep, caller: CallerDep) -> PolicyView:
    state = service.state()
    seq, sha = state.policy_history[-1]
    loaded = state.policies[sha]
    return PolicyView(
        policy_id=loaded.policy.policy_id,
        version=loaded.policy.version,
        sha256=sha,
        adopted_at_seq=seq,
        text=loaded.text,
    )


@router.post("", status_code=201, response_model=RecordedEntry, summary="Adopt a policy (admins, signed)")
def adopt(body: PolicyAdoption, service: ServiceDep, caller: CallerDep) -> RecordedEntry:
    """``policy.adopted``, signed by the adopting admin on their own machine; the ledger checks
    the signature, that ``sha256`` is the text's and that the text is a valid policy."""
    caller.require(ADMIN)
    caller.require_author(body.actor)
    load_policy_text(body.text, source="request")  # an invalid policy is a 422 naming the problem, as before
    entry = service.policies.append_signed(body.payload())
    return RecordedEntry(seq=entry.seq, hash=entry.leaf_hash.hex(), kind=entry.kind, time=entry.time)


@router.post(
    "/evaluate", response_model=Evaluation, summary="Dry run: evaluate a decision; nothing is written"
)
def dry_run(body: DryRun, service: ServiceDep, caller: CallerDep) -> Evaluation:
    loaded = (
        load_policy_text(body.policy_text, source="request")
        if body.policy_text
        else service.state().active_policy
    )
    request = parse_request(body.decision)
    record = decision_record(loaded, request, evaluate_request(loaded, request))
    return Evaluation(
        policy=record["policy"],
        assessment=record["assessment"],
        requirements=record["requirements"],
        rules_fired=record["rules_fired"],
    )
