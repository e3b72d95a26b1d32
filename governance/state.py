"""The governance state of a ledger, folded entry by entry.

``GovernanceState.apply(entry)`` either accepts the entry and updates the state, or raises
:class:`~ledger.errors.RefusedError` and leaves the state untouched (handlers validate
everything before they change anything). Appending uses it to refuse bad actions;
verification replays the whole log through it to prove every entry was allowed.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, MutableSequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from governance.formats import PERSONAL_SIGNATURES
from ledger.errors import RefusedError
from ledger.tlog.entry import Entry, parse_time
from policies.loader import LoadedPolicy
from policies.promotion import ApprovalFact

ADMIN = "admin"
SUBMITTER = "submitter"
AUDITOR = "auditor"
RELEASE_MANAGER = "release-manager"
# Who may run a canary and record its result: the team shipping the release.
OPERATOR_ROLES = frozenset({ADMIN, SUBMITTER, RELEASE_MANAGER})
# Who may change what is in production. Submitters may not: requesting is not deciding.
PROMOTER_ROLES = frozenset({ADMIN, RELEASE_MANAGER})


@dataclass
class Identity:
    name: str
    roles: frozenset[str]
    public_key: bytes
    added_seq: int
    revoked: bool = False
    # (admin, seq) of the latest time an admin, not the identity itself, set its key. From
    # then on its statements rest on that admin's word as well as its own: see ResetKeyStatement.
    key_set_by: tuple[str, int] | None = None


@dataclass(frozen=True)
class AssertedEntry:
    """An entry a format-1 to -3 ledger accepted on a token attestation: the server's claim
    that ``author`` acted, with no signature of theirs behind it."""

    seq: int
    kind: str
    author: str
    token_id: str


@dataclass(frozen=True)
class ResetKeyStatement:
    """A statement signed with a key an admin set for its author (``identity.key_rotated`` by
    an admin, at ``reset_seq``). It verifies, but the admin could have made that key, so
    verification lists it rather than accepting it silently (docs/operations.md)."""

    seq: int
    kind: str
    author: str
    admin: str
    reset_seq: int


@dataclass
class TimelineEvent:
    seq: int
    time: str
    kind: str
    actor: str
    summary: str


@dataclass
class DecisionState:
    seq: int
    leaf_hex: str
    time: datetime
    model: str
    version: str
    requester: str
    payload: dict[str, Any]
    policy_sha: str
    phase: str = "pending_approval"
    approvals: list[ApprovalFact] = field(default_factory=list)
    canary: str = "none"
    canary_summary: dict[str, str] = field(default_factory=dict)
    canary_started_at: datetime | None = None
    promoted_at: datetime | None = None
    break_glass: bool = False
    retro_deadline: datetime | None = None
    retro_approved_by: str | None = None
    supersedes: str | None = None
    rolled_back_to: str | None = None
    timeline: list[TimelineEvent] = field(default_factory=list)

    @property
    def band(self) -> str:
        return str(self.payload["assessment"]["band"])

    @property
    def tier(self) -> str:
        return str(self.payload["requirements"]["tier"])

    @property
    def requirements(self) -> dict[str, Any]:
        value: dict[str, Any] = self.payload["requirements"]
        return value

    @property
    def break_glass_open(self) -> bool:
        return self.break_glass and self.retro_approved_by is None

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.version}"


Handler = Callable[["GovernanceState", Entry], None]
HANDLERS: dict[str, Handler] = {}
# The members each kind's payload may hold (besides ``signature`` / ``attestation``). Nothing
# unchecked can ride along in a hashed entry; release.decision is checked by re-evaluation.
MEMBERS: dict[str, frozenset[str]] = {}
AUTHORSHIP = frozenset({"signature", "attestation"})
SIGNATURE = frozenset({"signature"})
# From format 4, every statement about a release also names it: model and version.
SUBJECT = frozenset({"model", "version"})
SUBJECT_KINDS = frozenset(
    {
        "release.approval",
        "release.canary_started",
        "release.canary_result",
        "release.promoted",
        "release.rolled_back",
    }
)


def handles(kind: str, members: frozenset[str] | None = None) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        if members is not None:
            MEMBERS[kind] = members
        return handler

    return register


@dataclass
class GovernanceState:
    size: int = 0
    last_time: datetime | None = None
    format: int = 1  # ledger.init's declared format: which later rules apply (governance/formats.py)
    origin: str = ""  # the log's origin, from ledger.init: part of every format-4 statement
    # The collections are plain dicts and lists unless the state is backed by the derived
    # state tables (governance/derived.py), where they load rows on demand.
    identities: MutableMapping[str, Identity] = field(default_factory=dict)
    policies: MutableMapping[str, LoadedPolicy] = field(default_factory=dict)
    policy_history: list[tuple[int, str]] = field(default_factory=list)  # (seq, sha256)
    decisions: MutableMapping[str, DecisionState] = field(default_factory=dict)
    by_version: MutableMapping[tuple[str, str], str] = field(default_factory=dict)
    production: MutableMapping[str, str] = field(default_factory=dict)  # model -> version in production
    production_decision: MutableMapping[str, str] = field(default_factory=dict)  # model -> leaf hex
    promoted_versions: MutableMapping[str, set[str]] = field(default_factory=dict)
    tokens: MutableMapping[str, Any] = field(default_factory=dict)  # token id -> tokens.TokenRecord
    # Every public key ever registered -> the identities that held it, in order (identity_rules.py).
    key_holders: MutableMapping[bytes, list[str]] = field(default_factory=dict)
    # Entries of formats 1-3 authorised by a token attestation: the operator's word only.
    asserted: MutableSequence[AssertedEntry] = field(default_factory=list)
    # Statements signed with a key an admin set for their author.
    on_reset_keys: MutableSequence[ResetKeyStatement] = field(default_factory=list)
    # The meta row as last read or written, when backed by rows (so an unchanged one is not rewritten).
    stored_meta: bytes | None = field(default=None, repr=False, compare=False)

    # -- lookups ----------------------------------------------------------------------------

    def statement_origin(self) -> str | None:
        """The origin statements sign over in this ledger's format (None before format 4)."""
        return self.origin if self.format >= PERSONAL_SIGNATURES else None

    @property
    def active_policy(self) -> LoadedPolicy:
        if not self.policy_history:
            raise RefusedError("no policy has been adopted", rule="policy.adopted")
        return self.policies[self.policy_history[-1][1]]

    def identity(self, name: str, *, rule: str = "identities") -> Identity:
        found = self.identities.get(name)
        if found is None:
            raise RefusedError(f"{name!r} is not a registered identity", rule=rule)
        if found.revoked:
            raise RefusedError(f"{name!r} has been revoked", rule=rule)
        return found

    def decision(self, leaf_hex: str) -> DecisionState:
        found = self.decisions.get(leaf_hex)
        if found is None:
            raise RefusedError(f"no decision with hash {leaf_hex}", rule="decision")
        return found

    def holders_of(self, role: str) -> list[str]:
        return sorted(i.name for i in self.identities.values() if role in i.roles and not i.revoked)

    # -- folding ----------------------------------------------------------------------------

    def apply(self, entry: Entry) -> None:
        if entry.seq != self.size:
            raise RefusedError(f"entry {entry.seq} applied where {self.size} belongs", rule="seq")
        moment = parse_time(entry.time)
        if self.last_time is not None and moment < self.last_time:
            raise RefusedError(f"time {entry.time} is before the previous entry's", rule="time")
        if (entry.seq == 0) != (entry.kind == "ledger.init"):
            raise RefusedError("the first entry, and only the first, is ledger.init", rule="ledger.init")
        handler = HANDLERS.get(entry.kind)
        if handler is None:
            raise RefusedError(f"unknown entry kind {entry.kind!r}", rule="kind")
        allowed = MEMBERS.get(entry.kind)
        if allowed is not None and entry.kind in SUBJECT_KINDS and self.format >= PERSONAL_SIGNATURES:
            allowed = allowed | SUBJECT
        # From format 4 only a signature authorises; an attestation member is refused outright.
        authorship = AUTHORSHIP if self.format < PERSONAL_SIGNATURES else SIGNATURE
        if "attestation" in entry.payload and authorship is SIGNATURE:
            raise RefusedError(
                f"the {entry.kind} entry carries a token attestation instead of its author's signature; "
                f"from ledger format {PERSONAL_SIGNATURES} a token id is not evidence and authorises nothing",
                rule="signature",
            )
        if allowed is not None and set(entry.payload) - allowed - authorship:
            extra = sorted(set(entry.payload) - allowed - authorship)
            raise RefusedError(f"{entry.kind} payloads may not hold {extra}", rule="payload")
        handler(self, entry)
        self.size += 1
        self.last_time = moment


def field_of(payload: dict[str, Any], name: str, kind: type = str) -> Any:
    value = payload.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise RefusedError(f"payload member {name!r} is missing or not a {kind.__name__}", rule="payload")
    return value
