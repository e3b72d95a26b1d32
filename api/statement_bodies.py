"""Request bodies of the state-changing routes: statements signed on their author's machine.

Each body is the payload exactly as it will be recorded (docs/formats.md §5), ``signature``
included; the bearer token only says who is calling (docs/formats.md §4).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ledger.encoding.numbers import NotExactError, parse_decimal_text

SIGNATURE_HELP = (
    "the author's Ed25519 signature (standard base64) over the statement bytes: "
    "docs/formats.md §4, with the origin GET /v1/statements/context gives as sign_over_origin"
)
SIGNATURE_EXAMPLE = "<base64 Ed25519 signature>"


class Statement(BaseModel):
    """A statement signed on its author's machine: the body is the payload exactly as it will
    be recorded (docs/formats.md §5), ``signature`` included. Strict types, so that nothing is
    coerced: what is recorded is what was signed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    signature: str = Field(description=SIGNATURE_HELP)

    def payload(self) -> dict[str, Any]:
        """The members the client sent, as they will be recorded (an omitted optional member,
        such as ``model`` in a ledger older than format 4, stays absent)."""
        return self.model_dump(exclude_unset=True)


class ReleaseStatement(Statement):
    """A statement about a release: its decision's entry hash and, from ledger format 4, the
    release's ``model`` and ``version`` (the ledger refuses them before format 4, and requires
    them from it)."""

    decision: str = Field(description="lowercase hex leaf hash of the release.decision entry")
    model: str | None = Field(default=None, description="the release's model (ledger format 4 on)")
    version: str | None = Field(default=None, description="the release's version (ledger format 4 on)")


_RELEASE = {"decision": "9f2c" + "0" * 60, "model": "support-summarizer", "version": "1.1"}


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": list(examples)})


class ApprovalStatement(ReleaseStatement):
    """``release.approval``, signed by the approver (``rledger approve ID --server URL``)."""

    model_config = _examples(
        {
            **_RELEASE,
            "approver": "bob@example.com",
            "role": "ml-lead",
            "verdict": "approve",
            "comment": "offline eval reviewed",
            "signature": SIGNATURE_EXAMPLE,
        }
    )

    approver: str
    role: str
    verdict: Literal["approve", "reject"]
    comment: str


class CanaryStart(ReleaseStatement):
    """``release.canary_started``, signed by the operator starting it."""

    model_config = _examples({**_RELEASE, "actor": "alice@example.com", "signature": SIGNATURE_EXAMPLE})

    actor: str


def _decimal_text(value: str) -> str:
    try:
        parse_decimal_text(value)
    except NotExactError as exc:
        raise ValueError(str(exc)) from None
    return value


DecimalText = Annotated[
    str, AfterValidator(_decimal_text), Field(description="an exact decimal string, e.g. '0.011'")
]


class CanaryResult(ReleaseStatement):
    """``release.canary_result``: each metric of ``summary`` is a decimal string in normal
    form, the form the ledger records and the signature covers."""

    model_config = _examples(
        {
            **_RELEASE,
            "verdict": "pass",
            "summary": {"error_rate": "0.011", "p99_latency_ms": "1800", "live_index": "103.5"},
            "actor": "alice@example.com",
            "signature": SIGNATURE_EXAMPLE,
        }
    )

    verdict: Literal["pass", "fail"]
    summary: dict[str, DecimalText] = Field(min_length=1, max_length=100)
    actor: str


class Promotion(ReleaseStatement):
    """``release.promoted``: ``policy_sha256`` is the decision's recorded policy, ``supersedes``
    the model's version in production now (``supersedes`` of GET .../status)."""

    model_config = _examples(
        {
            **_RELEASE,
            "actor": "rita@example.com",
            "policy_sha256": "ab" * 32,
            "supersedes": "1.0",
            "break_glass": False,
            "reason": "",
            "signature": SIGNATURE_EXAMPLE,
        }
    )

    actor: str
    policy_sha256: str
    supersedes: str | None
    break_glass: bool
    reason: str = Field(max_length=2000)


class Rollback(ReleaseStatement):
    """``release.rolled_back``, from this release to ``to_version``."""

    model_config = _examples(
        {
            **_RELEASE,
            "to_version": "1.0",
            "reason": "cost spike in production",
            "actor": "dave@example.com",
            "signature": SIGNATURE_EXAMPLE,
        }
    )

    to_version: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    actor: str


class PolicyAdoption(Statement):
    """``policy.adopted``, signed by the adopting admin: the policy's id, version, the SHA-256
    of ``text`` (hex), and the text itself."""

    model_config = _examples(
        {
            "policy_id": "default",
            "version": "3",
            "sha256": "ab" * 32,
            "text": 'policy_id: default\nversion: "3"\n...',
            "actor": "admin@example.com",
            "signature": SIGNATURE_EXAMPLE,
        }
    )

    policy_id: str
    version: str
    sha256: str
    text: str = Field(min_length=1, max_length=200_000)
    actor: str


_PUBLIC_KEY = "standard base64 of the raw 32-byte Ed25519 public key"


class NewIdentity(Statement):
    """``identity.added``, signed by the admin adding the person."""

    model_config = _examples(
        {
            "name": "bob@example.com",
            "roles": ["ml-lead"],
            "public_key": "<base64 of 32 bytes>",
            "actor": "admin@example.com",
            "signature": SIGNATURE_EXAMPLE,
        }
    )

    name: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(min_length=1, max_length=20)
    public_key: str = Field(description=_PUBLIC_KEY)
    actor: str


class KeyRotation(Statement):
    """``identity.key_rotated``, signed by the person (their current key) or an admin."""

    model_config = _examples(
        {
            "name": "bob@example.com",
            "public_key": "<base64 of 32 bytes>",
            "actor": "admin@example.com",
            "signature": SIGNATURE_EXAMPLE,
        }
    )

    name: str = Field(min_length=1, max_length=200)
    public_key: str = Field(description=_PUBLIC_KEY)
    actor: str


class IdentityRevocation(Statement):
    """``identity.revoked``, signed by an admin."""

    model_config = _examples(
        {"name": "bob@example.com", "actor": "admin@example.com", "signature": SIGNATURE_EXAMPLE}
    )

    name: str = Field(min_length=1, max_length=200)
    actor: str


class StatementContext(BaseModel):
    """What a client signs over (docs/formats.md §4)."""

    origin: str = Field(description="the log's origin, from ledger.init; check it against your log key")
    format: int = Field(description="the ledger's format, declared by ledger.init")
    sign_over_origin: str | None = Field(
        description="the origin the statement envelope names; null before format 4 (sign the bare payload)"
    )
