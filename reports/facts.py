"""What a set of entries says, read without a database: the reports' one source of facts.

``fold(entries)`` reads any subset of a log's entries, in seq order, and returns the
identities, policies and decisions they describe: approvals with whether each signature
verifies under the approver's key registered *at that point*, lifecycle events, and each
decision's phase. A report is rendered from these facts, and ``rledger report verify``
folds the entries embedded in the PDF the same way, so what is printed can be recomputed
from what is proven.

The subset a report embeds is chosen so the facts it prints are complete (every entry that
names one of its decisions, every identity entry of the people involved, every policy its
decisions were evaluated under). Entry kinds this module does not know are ignored.

Key IDs printed in reports are the first 4 bytes (8 hex digits) of SHA-256 over the raw
32-byte Ed25519 public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from governance.statements import check_statement
from ledger.errors import LedgerError
from ledger.tlog.entry import Entry, parse_time
from policies.loader import LoadedPolicy, load_policy_text
from policies.promotion import ApprovalFact, approval_status

DECISION = "release.decision"
LIFECYCLE_KINDS = frozenset(
    {
        "release.approval",
        "release.canary_started",
        "release.canary_result",
        "release.promoted",
        "release.rolled_back",
    }
)
IDENTITY_KINDS = frozenset({"identity.added", "identity.key_rotated", "identity.revoked"})
POLICY_KIND = "policy.adopted"
GENESIS_KIND = "ledger.init"


def key_id(public_key: bytes) -> str:
    """The key ID reports print: the first 4 bytes of SHA-256(raw public key), as 8 hex."""
    return hashlib.sha256(public_key).hexdigest()[:8]


@dataclass
class IdentityFacts:
    name: str
    roles: tuple[str, ...]
    keys: list[tuple[int, bytes]] = field(default_factory=list)  # (seq registered, raw key)
    revoked_seq: int | None = None

    def key_at(self, seq: int) -> bytes | None:
        """The key registered most recently before entry ``seq``."""
        found = None
        for registered, key in self.keys:
            if registered < seq:
                found = key
        return found


@dataclass(frozen=True)
class PolicyFacts:
    seq: int
    time: str
    actor: str
    loaded: LoadedPolicy

    @property
    def sha256(self) -> str:
        return self.loaded.sha256


@dataclass(frozen=True)
class ApprovalFacts:
    seq: int
    time: str
    approver: str
    role: str
    verdict: str
    comment: str
    key_id: str
    signature_verified: bool
    retrospective: bool


@dataclass(frozen=True)
class EventFacts:
    seq: int
    time: str
    kind: str
    actor: str
    summary: str
    authorship: str  # "signed (key ID)", "API token <id>", or "" for the ledger itself


@dataclass
class DecisionFacts:
    seq: int
    time: str
    leaf_hex: str
    payload: dict[str, Any]
    authorship: str
    phase: str = "pending_approval"
    approvals: list[ApprovalFacts] = field(default_factory=list)
    events: list[EventFacts] = field(default_factory=list)
    canary: str = "none"
    canary_summary: dict[str, str] = field(default_factory=dict)
    promoted_at: str | None = None
    break_glass: bool = False
    break_glass_reason: str = ""
    retro_approved_by: str | None = None
    rolled_back_to: str | None = None
    rollback_reason: str = ""

    @property
    def model(self) -> str:
        return str(self.payload["model"])

    @property
    def version(self) -> str:
        return str(self.payload["version"])

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.version}"

    @property
    def assessment(self) -> dict[str, Any]:
        value: dict[str, Any] = self.payload["assessment"]
        return value

    @property
    def requirements(self) -> dict[str, Any]:
        value: dict[str, Any] = self.payload["requirements"]
        return value

    @property
    def index(self) -> str:
        return str(self.assessment["index"])

    @property
    def band(self) -> str:
        return str(self.assessment["band"])

    @property
    def tier(self) -> str:
        return str(self.requirements["tier"])

    @property
    def policy_sha(self) -> str:
        return str(self.payload["policy"]["sha256"])

    @property
    def requester(self) -> str:
        return str(self.payload["requested_by"])

    @property
    def break_glass_open(self) -> bool:
        return self.break_glass and self.retro_approved_by is None


@dataclass
class LedgerFacts:
    entries: dict[int, Entry] = field(default_factory=dict)
    origin: str | None = None
    genesis_verifier_key: str | None = None
    identities: dict[str, IdentityFacts] = field(default_factory=dict)
    policies: dict[str, PolicyFacts] = field(default_factory=dict)
    policy_order: list[str] = field(default_factory=list)  # sha256 in adoption order
    decisions: dict[str, DecisionFacts] = field(default_factory=dict)  # leaf hex -> facts
    production: dict[str, str] = field(default_factory=dict)  # model -> leaf hex in production

    def decision_by_ref(self, ref: str) -> DecisionFacts | None:
        for d in self.decisions.values():
            if d.ref == ref:
                return d
        return None

    def model_decisions(self, model: str) -> list[DecisionFacts]:
        return sorted((d for d in self.decisions.values() if d.model == model), key=lambda d: d.seq)

    def policy_before(self, seq: int) -> PolicyFacts | None:
        """The policy in force just before entry ``seq`` (among the entries folded)."""
        found = None
        for sha in self.policy_order:
            p = self.policies[sha]
            if p.seq < seq:
                found = p
        return found


def _decode_key(text: object) -> bytes | None:
    try:
        raw = base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def _authorship(facts: LedgerFacts, entry: Entry, author: str) -> str:
    p = entry.payload
    if isinstance(p.get("signature"), str):
        who = facts.identities.get(author)
        key = who.key_at(entry.seq) if who else None
        if key is None:
            return "signed (key not in evidence)"
        ok = _verifies(entry, key, author)
        return f"signed, key {key_id(key)}" + ("" if ok else ", SIGNATURE DOES NOT VERIFY")
    attestation = p.get("attestation")
    if isinstance(attestation, dict):
        return f"API token {attestation.get('token', '?')}"
    return ""


def _verifies(entry: Entry, key: bytes, author: str) -> bool:
    try:
        check_statement(entry.kind, entry.payload, key, author)
    except LedgerError:
        return False
    return True


class _Folder:
    def __init__(self) -> None:
        self.facts = LedgerFacts()

    def apply(self, entry: Entry) -> None:
        self.facts.entries[entry.seq] = entry
        kind = entry.kind
        if kind == GENESIS_KIND:
            self.facts.origin = str(entry.payload.get("origin", ""))
            self.facts.genesis_verifier_key = str(entry.payload.get("verifier_key", ""))
        elif kind in IDENTITY_KINDS:
            self._identity(entry)
        elif kind == POLICY_KIND:
            self._policy(entry)
        elif kind == DECISION:
            self._decision(entry)
        elif kind in LIFECYCLE_KINDS:
            self._lifecycle(entry)

    def _identity(self, entry: Entry) -> None:
        p = entry.payload
        name = str(p.get("name", ""))
        who = self.facts.identities.get(name)
        if entry.kind == "identity.added":
            roles = tuple(str(r) for r in p.get("roles", []))
            who = IdentityFacts(name, roles)
            self.facts.identities[name] = who
        if who is None:
            return
        if entry.kind in ("identity.added", "identity.key_rotated"):
            key = _decode_key(p.get("public_key"))
            if key is not None:
                who.keys.append((entry.seq, key))
        elif entry.kind == "identity.revoked":
            who.revoked_seq = entry.seq

    def _policy(self, entry: Entry) -> None:
        p = entry.payload
        loaded = load_policy_text(str(p["text"]), source=f"entry {entry.seq}")
        self.facts.policies[loaded.sha256] = PolicyFacts(entry.seq, entry.time, str(p.get("actor")), loaded)
        self.facts.policy_order.append(loaded.sha256)

    def _decision(self, entry: Entry) -> None:
        p = entry.payload
        leaf = entry.leaf_hash.hex()
        requester = str(p.get("requested_by", ""))
        d = DecisionFacts(entry.seq, entry.time, leaf, p, _authorship(self.facts, entry, requester))
        d.phase = "pending_approval" if d.requirements["approvals"] else "approved"
        a = d.assessment
        d.events.append(
            EventFacts(
                entry.seq,
                entry.time,
                entry.kind,
                requester,
                f"submitted: index {a['index']}, band {a['band']}, tier {d.tier}",
                d.authorship,
            )
        )
        self.facts.decisions[leaf] = d

    def _event(self, d: DecisionFacts, entry: Entry, actor: str, summary: str) -> None:
        d.events.append(
            EventFacts(
                entry.seq, entry.time, entry.kind, actor, summary, _authorship(self.facts, entry, actor)
            )
        )

    def _lifecycle(self, entry: Entry) -> None:
        p = entry.payload
        d = self.facts.decisions.get(str(p.get("decision", "")))
        if d is None:
            return
        if entry.kind == "release.approval":
            self._approval(d, entry)
            return
        actor = str(p.get("actor", ""))
        if entry.kind == "release.canary_started":
            d.phase, d.canary = "canary_started", "started"
            self._event(d, entry, actor, "canary started")
        elif entry.kind == "release.canary_result":
            passed = p.get("verdict") == "pass"
            d.phase = "canary_passed" if passed else "canary_failed"
            d.canary = "passed" if passed else "failed"
            summary = p.get("summary", {})
            d.canary_summary = (
                {str(k): str(v) for k, v in summary.items()} if isinstance(summary, dict) else {}
            )
            shown = ", ".join(f"{k} {v}" for k, v in sorted(d.canary_summary.items()))
            self._event(d, entry, actor, f"canary {p.get('verdict')}" + (f" ({shown})" if shown else ""))
        elif entry.kind == "release.promoted":
            self._promoted(d, entry, actor)
        elif entry.kind == "release.rolled_back":
            target = str(p.get("to_version", ""))
            d.phase, d.rolled_back_to, d.rollback_reason = "rolled_back", target, str(p.get("reason", ""))
            self.facts.production.pop(d.model, None)
            for other in self.facts.decisions.values():
                if other.model == d.model and other.version == target:
                    other.phase = "promoted"
                    self.facts.production[d.model] = other.leaf_hex
            self._event(d, entry, actor, f"rolled back to {target}: {p.get('reason', '')}")

    def _promoted(self, d: DecisionFacts, entry: Entry, actor: str) -> None:
        p = entry.payload
        previous = self.facts.production.get(d.model)
        if previous is not None and previous in self.facts.decisions:
            old = self.facts.decisions[previous]
            old.phase = "superseded"
            self._event(old, entry, actor, f"superseded by {d.version}")
        d.phase, d.promoted_at = "promoted", entry.time
        d.break_glass = bool(p.get("break_glass"))
        d.break_glass_reason = str(p.get("reason", "")) if d.break_glass else ""
        self.facts.production[d.model] = d.leaf_hex
        supersedes = p.get("supersedes")
        text = "promoted" + (f" by BREAK-GLASS: {d.break_glass_reason}" if d.break_glass else "")
        self._event(d, entry, actor, text + (f", superseding {supersedes}" if supersedes else ""))

    def _approval(self, d: DecisionFacts, entry: Entry) -> None:
        p = entry.payload
        approver, role, verdict = (
            str(p.get("approver", "")),
            str(p.get("role", "")),
            str(p.get("verdict", "")),
        )
        who = self.facts.identities.get(approver)
        key = who.key_at(entry.seq) if who else None
        verified = key is not None and _verifies(entry, key, approver)
        retrospective = d.phase == "promoted" and d.break_glass_open
        d.approvals.append(
            ApprovalFacts(
                entry.seq,
                entry.time,
                approver,
                role,
                verdict,
                str(p.get("comment", "")),
                key_id(key) if key is not None else "not in evidence",
                verified,
                retrospective,
            )
        )
        if retrospective:
            if verdict == "approve":
                d.retro_approved_by = approver
            summary = f"retrospective {verdict} as {role}"
        else:
            status = approval_status(
                d.requirements,
                [ApprovalFact(a.approver, a.role, a.verdict, parse_time(a.time)) for a in d.approvals],  # type: ignore[arg-type]
            )
            if status.rejected_by:
                d.phase = "rejected"
            elif status.satisfied:
                d.phase = "approved"
            summary = f"{verdict} as {role}"
        self._event(d, entry, approver, summary)


def fold(entries: Iterable[Entry]) -> LedgerFacts:
    """Read entries (in increasing seq order) into facts. Pure: no database, no clock."""
    folder = _Folder()
    last = -1
    for entry in entries:
        if entry.seq <= last:
            raise ValueError("entries must be given in increasing seq order")
        last = entry.seq
        folder.apply(entry)
    return folder.facts


def entry_datetime(entry_time: str) -> datetime:
    return parse_time(entry_time)
