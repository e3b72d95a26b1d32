"""Request and response bodies. Decision files use the ledger's own model, so the CLI and the
API accept exactly the same thing. The other writes' bodies, signed statements, are in
:mod:`api.statement_bodies`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.statement_bodies import SIGNATURE_EXAMPLE, SIGNATURE_HELP
from ledger.scoring.request import DecisionRequest


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_DIGEST = "sha256:" + "ab" * 32
DECISION_EXAMPLE: dict[str, Any] = {
    "model": "support-summarizer",
    "version": "1.1",
    "artifact_digest": _DIGEST,
    "workload": "customer-support",
    "weights": "default",
    "baseline": {
        "version": "1.0",
        "scores": {"performance": 80, "reliability": 78, "cost": 72, "safety": 85},
    },
    "scores": {"performance": 86, "reliability": 82, "cost": 68, "safety": 84},
    "gates": [
        {"name": "jailbreak_resistance", "observed": 0.97, "min": 0.95},
        {"name": "severe_hallucination_rate", "observed": 0.004, "max": 0.01},
    ],
    "risk": {
        "change_size": 40,
        "regression_surface": 35,
        "test_coverage": 85,
        "incident_history": 10,
        "observability_gaps": 20,
    },
    "data_sensitivity": {"classification": "confidential", "categories": ["pii"]},
    "rollback": {
        "target_version": "1.0",
        "mechanism": "alias-swap",
        "runbook": "https://runbooks.example/s",
        "rehearsed_at": "2026-11-01T00:00:00Z",
    },
    "evidence": {"eval_suite": "support-v7", "evaluated_at": "2026-11-20T12:00:00Z"},
    "requested_by": "alice@example.com",
}


class DecisionSubmission(DecisionRequest):
    """A decision file as JSON, with its requester's own ``signature`` over the decision's
    fields in normal form (the recorded payload without the members the ledger computes)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**DECISION_EXAMPLE, "signature": SIGNATURE_EXAMPLE}]}
    )

    signature: str = Field(description=SIGNATURE_HELP)


MAX_BATCH = 500  # decisions per POST /v1/decisions/batch: one transaction, bounded time and memory


class DecisionBatch(Strict):
    """Many decisions recorded in one transaction: all of them, or none."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [{**DECISION_EXAMPLE, "signature": SIGNATURE_EXAMPLE}]}]}
    )

    items: list[DecisionSubmission] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"1 to {MAX_BATCH} decisions, each signed by its requester, who must be the caller",
    )


class RecordedEntry(BaseModel):
    seq: int
    hash: str
    kind: str
    time: str


VERDICT_HELP = (
    "what to show people: 'blocked: <why>' for a release that failed a blocking gate or is red, "
    "'auto-approved (no approval required), ...' when its tier needs no approval, else the phase in words"
)


class DecisionSummary(BaseModel):
    seq: int
    hash: str
    model: str
    version: str
    time: str
    index: str
    band: str
    tier: str
    phase: str
    verdict: str = Field(description=VERDICT_HELP)


class DecisionBatchResult(BaseModel):
    """The recorded decisions, in the order they were sent."""

    items: list[DecisionSummary]


class DecisionList(BaseModel):
    items: list[DecisionSummary]
    next_cursor: str | None = None


class DecisionDetail(BaseModel):
    seq: int
    hash: str
    time: str
    phase: str
    verdict: str = Field(description=VERDICT_HELP)
    payload: dict[str, Any]


class MissingApproval(BaseModel):
    role: str
    count: int
    who: list[str]


class DecisionStatus(BaseModel):
    decision: str
    hash: str
    phase: str
    verdict: str = Field(description=VERDICT_HELP)
    blocked: bool = Field(description="a blocking gate failed or the band is red: it may never ship")
    band: str
    tier: str
    rollout: str
    requested_by: str
    approvals: list[dict[str, str]]
    missing_approvals: list[MissingApproval]
    canary: str
    break_glass: bool
    may_promote_now: bool
    blockers: list[str]
    checks: list[dict[str, Any]]
    open_items: list[str]
    caveats: list[str] = Field(
        description="the ledger's own caveats (custom weights), then the recorded ones"
    )
    production_version: str | None
    supersedes: str | None = Field(
        description="what a promotion signed now must record as superseded: the model's version in production"
    )
    timeline: list[dict[str, Any]]


class DryRun(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"decision": DECISION_EXAMPLE}]}
    )

    decision: dict[str, Any]
    policy_text: str | None = Field(
        default=None, max_length=200_000, description="default: the active policy"
    )


class Evaluation(BaseModel):
    policy: dict[str, str]
    assessment: dict[str, Any]
    requirements: dict[str, Any]
    rules_fired: list[dict[str, Any]]


class PolicyView(BaseModel):
    policy_id: str
    version: str
    sha256: str
    adopted_at_seq: int
    text: str


class InclusionProof(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    hashes: list[str]


class ConsistencyProof(BaseModel):
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    hashes: list[str]


class Health(BaseModel):
    status: str
    size: int | None = None
