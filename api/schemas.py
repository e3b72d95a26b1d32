"""Request and response bodies. Decision files use the ledger's own model, so the CLI and the
API accept exactly the same thing."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ledger.decisions.request import DecisionRequest


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionSubmission(DecisionRequest):
    """A decision file as JSON; ``signature`` is the requester's own, if they signed it."""

    signature: str | None = Field(default=None, description="requester's Ed25519 signature (standard base64)")


class RecordedEntry(BaseModel):
    seq: int
    hash: str
    kind: str
    time: str


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


class DecisionList(BaseModel):
    items: list[DecisionSummary]
    next_cursor: str | None = None


class DecisionDetail(BaseModel):
    seq: int
    hash: str
    time: str
    phase: str
    payload: dict[str, Any]


class MissingApproval(BaseModel):
    role: str
    count: int
    who: list[str]


class DecisionStatus(BaseModel):
    decision: str
    hash: str
    phase: str
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
    production_version: str | None
    timeline: list[dict[str, Any]]


class ApprovalStatement(Strict):
    """Signed on the approver's own machine (``rledger approve ID --server URL``)."""

    decision: str = Field(description="lowercase hex leaf hash of the decision entry")
    approver: str
    role: str
    verdict: Literal["approve", "reject"]
    comment: str = ""
    signature: str


class CanaryResult(Strict):
    verdict: Literal["pass", "fail"]
    summary: dict[str, float | int | str] = Field(min_length=1, max_length=100)


class Promotion(Strict):
    break_glass: bool = False
    reason: str = Field(default="", max_length=2000)


class Rollback(Strict):
    to_version: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)


class PolicyAdoption(Strict):
    text: str = Field(min_length=1, max_length=200_000)


class DryRun(Strict):
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


class NewIdentity(Strict):
    name: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(min_length=1, max_length=20)
    public_key: str = Field(description="standard base64 of the raw 32-byte Ed25519 public key")


class KeyRotation(Strict):
    public_key: str


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
