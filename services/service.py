"""The application service: what the ledger can do, shared by the CLI and the HTTP API.

It wires the pure pieces (entries, tree, checkpoints, scoring) to storage, a clock and a
signer, and is the only place that decides *what* gets appended.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from governance import actions
from governance.queries import decision_status
from governance.record import DECISION_KIND, decision_record, record_for
from governance.state import ADMIN, DecisionState, GovernanceState
from governance.statements import sign_statement, signed_part
from governance.timing import LEDGER_FORMAT, future_instants
from governance.tokens import TokenRecord, authenticate_token, token_payload
from ledger.clock import Clock
from ledger.encoding.canonical import canonical_bytes
from ledger.errors import (
    AmbiguousIdError,
    DecisionInputError,
    FormatError,
    InputError,
    LedgerError,
    NotFoundError,
    RefusedError,
    StorageError,
    VerificationError,
)
from ledger.scoring.assess import assess
from ledger.scoring.input import parse_request, request_fields
from ledger.tlog import merkle
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import Entry, format_time
from ledger.tlog.exportfile import read_export_chunks, read_first_line, write_export
from ledger.tlog.note import Ed25519Signer, Signer, Verifier
from ledger.tlog.verify import VerifiedLog, claimed_size, verify_log
from policies.evaluate import evaluate_decision, evaluate_request
from policies.loader import LoadedPolicy, load_default_policy
from policies.promotion import approval_status
from policies.scoring import scoring_rules
from services.ports import AppendResult, DecisionRef, PendingEntry
from store.ledger_store import LedgerStore

GENESIS_KIND = "ledger.init"
STATEMENT_KINDS = frozenset(
    {
        "identity.added",
        "identity.key_rotated",
        "identity.revoked",
        "policy.adopted",
        "release.approval",
        "release.canary_started",
        "release.canary_result",
        "release.promoted",
        "release.rolled_back",
        "token.issued",
        "token.revoked",
    }
)
PARALLEL_VERIFY_FROM = 200_000
_HEX_PREFIX = re.compile(r"^[0-9a-f]{4,64}$")


@dataclass(frozen=True)
class RecordedDecision:
    ref: DecisionRef
    entry: Entry

    @property
    def assessment(self) -> dict[str, Any]:
        value: dict[str, Any] = self.entry.payload["assessment"]
        return value


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def default_workers(size: int) -> int:
    return 2 if size >= PARALLEL_VERIFY_FROM and (os.cpu_count() or 1) >= 2 else 1


class LedgerService:
    """Everything the ledger can do. Writes go through the governance state machine."""

    def __init__(
        self,
        store: LedgerStore,
        clock: Clock,
        signer: Signer | None = None,
        random: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.store = store
        self.clock = clock
        self.signer = signer
        self.random = random
        self._state: GovernanceState | None = None
        # One service may serve many threads (the HTTP API); the cached state is shared.
        self._lock = threading.RLock()

    def _signer(self) -> Signer:
        if self.signer is None:
            raise InputError("this operation writes to the ledger and needs its signing key")
        return self.signer

    # -- the governed append --------------------------------------------------------------

    def _fold(self, read_from: Callable[[int], Iterable[bytes]]) -> GovernanceState:
        with self._lock:
            state = self._state if self._state is not None else GovernanceState()
            for data in read_from(state.size):
                state.apply(Entry.parse(data))
            self._state = state
            return state

    def _governed_append(self, pending: list[PendingEntry]) -> AppendResult:
        """Append entries only if the governance state machine accepts every one of them."""

        def check(entries: list[Entry], read_from: Callable[[int], list[bytes]]) -> None:
            state = self._fold(read_from)
            for entry in entries:
                state.apply(entry)

        with self._lock:
            self.state()  # catch up outside the write lock; inside it only the newest entries are read
            try:
                return self.store.append(pending, self.clock.now, self._signer(), check)
            except BaseException:
                self._state = None  # the cache may hold entries that did not land; rebuild next time
                raise

    def state(self) -> GovernanceState:
        """The governance state as of the latest entry. Entries never change, so the cached
        state only ever folds on the entries appended since (by any process)."""
        return self._fold(self.store.bodies_from)

    # -- writing ----------------------------------------------------------------------------

    def initialize(
        self, origin: str, admin: str, admin_key: Ed25519Signer, policy: LoadedPolicy | None = None
    ) -> AppendResult:
        """Create the log: genesis, the first admin (self-registered), and the policy in force."""
        signer = self._signer()
        if signer.name != origin:
            raise InputError(f"the signing key is named {signer.name!r}, the origin is {origin!r}")
        policy = policy or load_default_policy()
        genesis = [
            PendingEntry(
                GENESIS_KIND,
                {"origin": origin, "verifier_key": signer.verifier_key, "format": LEDGER_FORMAT},
            ),
            PendingEntry(
                "identity.added",
                sign_statement(
                    "identity.added",
                    actions.identity_added(admin, [ADMIN], actions.public_key_b64(admin_key), admin),
                    admin_key,
                ),
            ),
            PendingEntry(
                "policy.adopted",
                sign_statement(
                    "policy.adopted",
                    actions.policy_adopted(
                        policy.policy.policy_id, policy.policy.version, policy.sha256, policy.text, admin
                    ),
                    admin_key,
                ),
            ),
        ]
        state = GovernanceState()

        def check(entries: list[Entry], _read: Callable[[int], list[bytes]]) -> None:
            for entry in entries:
                state.apply(entry)

        return self.store.initialize(origin, signer.verifier_key, genesis, self.clock.now, signer, check)

    def append_statement(self, kind: str, payload: dict[str, Any]) -> Entry:
        """Append one signed statement (built here, or signed elsewhere and sent to us)."""
        if kind not in STATEMENT_KINDS:
            raise InputError(f"{kind!r} is not a statement kind; expected one of {sorted(STATEMENT_KINDS)}")
        return self._governed_append([PendingEntry(kind, payload)]).entries[0]

    @staticmethod
    def _authored(
        kind: str, payload: dict[str, Any], key: Ed25519Signer | None, token_id: str | None
    ) -> dict[str, Any]:
        """Sign with the author's key, or attest that the server authenticated them by a token."""
        if key is not None:
            return sign_statement(kind, {k: v for k, v in payload.items() if k != "signature"}, key)
        if token_id is None:
            raise InputError("an action needs its author's key or an authenticated API token")
        unsigned = {k: v for k, v in payload.items() if k != "signature"}
        return {**unsigned, "attestation": {"token": token_id}}

    def submit_decision(
        self,
        data: Any,
        actor: str,
        key: Ed25519Signer | None,
        *,
        token_id: str | None = None,
        signature: str | None = None,
    ) -> RecordedDecision:
        """Validate, score, sign and record one decision. Refused input leaves the ledger untouched."""
        request = parse_request(data)
        if request.requested_by != actor:
            raise RefusedError(
                f"requested_by is {request.requested_by!r} but the signer is {actor!r}; "
                "a decision is submitted by its requester",
                rule="release.decision",
            )
        for path, problem in future_instants(request_fields(request), self.clock.now()):
            raise DecisionInputError(path, problem)
        policy = self.state().active_policy
        assessment = assess(request, scoring_rules(policy))
        evaluation = evaluate_decision(policy, assessment, request.workload)
        record = decision_record(policy, request, evaluation)
        if signature is not None:  # signed by the requester elsewhere; the ledger checks it on append
            payload = {**record, "signature": signature}
        else:
            payload = self._authored(DECISION_KIND, record, key, token_id)
        result = self._governed_append(
            [PendingEntry(DECISION_KIND, payload, (request.model, request.version))]
        )
        entry = result.entries[0]
        return RecordedDecision(
            DecisionRef(entry.seq, request.model, request.version, entry.leaf_hash.hex()), entry
        )

    def approve(
        self,
        decision_id: str,
        actor: str,
        key: Ed25519Signer,
        *,
        reject: bool = False,
        comment: str = "",
        role: str | None = None,
    ) -> Entry:
        state = self.state()
        d = state.decision(self.resolve(decision_id).leaf_hex)
        chosen = role or self._approval_role(state, d, actor, reject)
        verdict = "reject" if reject else "approve"
        return self.append_statement(
            "release.approval", actions.approval(d.leaf_hex, actor, chosen, verdict, comment, key)
        )

    def _approval_role(self, state: GovernanceState, d: DecisionState, actor: str, reject: bool) -> str:
        held = state.identity(actor, rule="release.approval").roles
        policy = state.policies[d.policy_sha].policy
        if d.break_glass_open and policy.break_glass is not None:
            wanted = list(policy.break_glass.retrospective_roles)
        elif reject:
            wanted = [r["role"] for r in d.requirements["approvals"]]
        else:
            wanted = [role for role, _ in approval_status(d.requirements, d.approvals).missing]
        for role in wanted:
            if role in held:
                return role
        raise RefusedError(
            f"{actor} holds {sorted(held)}, none of the roles {d.ref} still needs ({wanted or 'none'})",
            rule=f"tiers.{d.tier}.approvals",
        )

    def start_canary(
        self, decision_id: str, actor: str, key: Ed25519Signer | None, *, token_id: str | None = None
    ) -> Entry:
        payload = actions.canary_started(self.resolve(decision_id).leaf_hex, actor)
        return self._act("release.canary_started", payload, key, token_id)

    def record_canary(
        self,
        decision_id: str,
        passed: bool,
        summary: dict[str, Any],
        actor: str,
        key: Ed25519Signer | None,
        *,
        token_id: str | None = None,
    ) -> Entry:
        leaf = self.resolve(decision_id).leaf_hex
        payload = actions.canary_result(leaf, "pass" if passed else "fail", summary, actor)
        return self._act("release.canary_result", payload, key, token_id)

    def promote(
        self,
        decision_id: str,
        actor: str,
        key: Ed25519Signer | None,
        *,
        break_glass: bool = False,
        reason: str = "",
        token_id: str | None = None,
    ) -> Entry:
        state = self.state()
        d = state.decision(self.resolve(decision_id).leaf_hex)
        current = state.production.get(d.model)
        payload = actions.promoted(d.leaf_hex, actor, d.policy_sha, current, break_glass, reason)
        return self._act("release.promoted", payload, key, token_id)

    def rollback(
        self,
        decision_id: str,
        to_version: str,
        reason: str,
        actor: str,
        key: Ed25519Signer | None,
        *,
        token_id: str | None = None,
    ) -> Entry:
        payload = actions.rolled_back(self.resolve(decision_id).leaf_hex, to_version, reason, actor)
        return self._act("release.rolled_back", payload, key, token_id)

    def add_identity(
        self,
        name: str,
        roles: list[str],
        public_key: str,
        actor: str,
        key: Ed25519Signer | None,
        *,
        token_id: str | None = None,
    ) -> Entry:
        return self._act(
            "identity.added", actions.identity_added(name, roles, public_key, actor), key, token_id
        )

    def rotate_key(
        self,
        name: str,
        public_key: str,
        actor: str,
        key: Ed25519Signer | None,
        *,
        token_id: str | None = None,
    ) -> Entry:
        payload = actions.identity_key_rotated(name, public_key, actor)
        return self._act("identity.key_rotated", payload, key, token_id)

    def revoke_identity(
        self, name: str, actor: str, key: Ed25519Signer | None, *, token_id: str | None = None
    ) -> Entry:
        return self._act("identity.revoked", actions.identity_revoked(name, actor), key, token_id)

    def adopt_policy(
        self, loaded: LoadedPolicy, actor: str, key: Ed25519Signer | None, *, token_id: str | None = None
    ) -> Entry:
        p = loaded.policy
        payload = actions.policy_adopted(p.policy_id, p.version, loaded.sha256, loaded.text, actor)
        return self._act("policy.adopted", payload, key, token_id)

    def issue_token(
        self, identity: str, expires_at: datetime | None, actor: str, key: Ed25519Signer
    ) -> tuple[str, Entry]:
        """A new bearer token for ``identity``. The token is returned once; only its hash is kept."""
        token_id = self.random(8).hex()
        secret = base64.urlsafe_b64encode(self.random(32)).decode().rstrip("=")
        expires = format_time(expires_at) if expires_at is not None else None
        entry = self._act(
            "token.issued", token_payload(token_id, identity, secret, expires, actor), key, None
        )
        return f"rlt_{token_id}_{secret}", entry

    def revoke_token(
        self, token_id: str, actor: str, key: Ed25519Signer | None, *, by_token: str | None = None
    ) -> Entry:
        return self._act("token.revoked", {"token_id": token_id, "actor": actor}, key, by_token)

    def authenticate(self, token: str) -> TokenRecord:
        """The record of a genuine, current token whose holder is active; raises otherwise."""
        return authenticate_token(self.state(), token, self.clock.now())

    def _act(
        self, kind: str, payload: dict[str, Any], key: Ed25519Signer | None, token_id: str | None
    ) -> Entry:
        return self.append_statement(kind, self._authored(kind, payload, key, token_id))

    # -- governance queries -----------------------------------------------------------------

    def status(self, decision_id: str) -> dict[str, Any]:
        state = self.state()
        d = state.decision(self.resolve(decision_id).leaf_hex)
        return decision_status(state, d, self.clock.now())

    def replay(self, decision_id: str) -> dict[str, Any]:
        """Re-evaluate a decision from the ledger alone: its recorded input under its recorded policy."""
        state = self.state()
        d = state.decision(self.resolve(decision_id).leaf_hex)
        policy = state.policies[d.policy_sha]
        request = parse_request(signed_part(DECISION_KIND, d.payload))
        again = record_for(policy, request)
        recorded = {k: v for k, v in d.payload.items() if k not in ("signature", "attestation")}
        return {
            "decision": d.ref,
            "policy": policy.label,
            "identical": again == recorded,
            "recorded_sha256": hashlib.sha256(canonical_bytes(recorded)).hexdigest(),
            "replayed_sha256": hashlib.sha256(canonical_bytes(again)).hexdigest(),
            "outcome": {
                "index": again["assessment"]["index"],
                "band": again["assessment"]["band"],
                "tier": again["requirements"]["tier"],
            },
        }

    def explain(self, decision_id: str) -> dict[str, Any]:
        state = self.state()
        d = state.decision(self.resolve(decision_id).leaf_hex)
        status = decision_status(state, d, self.clock.now())
        return {
            "decision": d.ref,
            "policy": state.policies[d.policy_sha].label,
            "rules_fired": d.payload["rules_fired"],
            "promotion_checks_now": status["checks"],
        }

    def policy_diff(self, old: LoadedPolicy, new: LoadedPolicy) -> list[dict[str, Any]]:
        """Recorded decisions whose outcome differs between two policies, and how."""
        changed = []
        for d in self.state().decisions.values():
            request = parse_request(signed_part(DECISION_KIND, d.payload))
            before = evaluate_request(old, request, refuse=False).outcome()
            after = evaluate_request(new, request, refuse=False).outcome()
            if before != after:
                changes = {k: {"old": before[k], "new": after[k]} for k in before if before[k] != after[k]}
                changed.append({"decision": d.ref, "hash": d.leaf_hex, "changes": changes})
        return changed

    def verify_meaning(self) -> GovernanceState:
        """Replay every entry through the governance rules; name the first that was not allowed."""
        return replay_meaning(self.store.entry_chunks())

    # -- reading ----------------------------------------------------------------------------

    def verifier(self) -> Verifier:
        return Verifier.parse(self.store.meta()["verifier_key"])

    def verifier_key(self) -> str:
        return self.store.meta()["verifier_key"]

    def latest_checkpoint(self) -> str:
        latest = self.store.latest_checkpoint()
        if latest is None:
            raise NotFoundError("the ledger has no checkpoint yet")
        return latest[1]

    def resolve(self, decision_id: str) -> DecisionRef:
        """Accept ``MODEL@VERSION``, a full leaf hash, or a unique prefix of one."""
        if "@" in decision_id:
            model, _, version = decision_id.rpartition("@")
            ref = self.store.decision_by_version(model, version)
            if ref is None:
                raise NotFoundError(f"no decision for {decision_id}")
            return ref
        prefix = decision_id.lower()
        if not _HEX_PREFIX.match(prefix):
            raise InputError(f"{decision_id!r} is neither MODEL@VERSION nor a hex hash prefix of 4+ digits")
        matches = self.store.decisions_by_prefix(prefix)
        if not matches:
            raise NotFoundError(f"no decision whose hash starts with {prefix}")
        if len(matches) > 1:
            raise AmbiguousIdError(prefix, len(matches))
        return matches[0]

    def decision(self, decision_id: str) -> RecordedDecision:
        ref = self.resolve(decision_id)
        data = self.store.entry(ref.seq)
        if data is None:
            raise NotFoundError(f"entry {ref.seq} is missing from storage")
        return RecordedDecision(ref, Entry.parse(data))

    def decisions(self, model: str | None = None) -> list[RecordedDecision]:
        out = []
        for ref in self.store.decisions(model=model, limit=100_000):
            data = self.store.entry(ref.seq)
            if data is not None:
                out.append(RecordedDecision(ref, Entry.parse(data)))
        return out

    def entry(self, index: int) -> bytes:
        data = self.store.entry(index)
        if data is None:
            raise NotFoundError(f"no entry {index}; the ledger has {self.store.size()}")
        return data

    # -- proofs -----------------------------------------------------------------------------

    def _tree_size(self, size: int | None) -> int:
        latest = self.store.latest_checkpoint()
        checkpointed = 0 if latest is None else latest[0]
        if size is None:
            return checkpointed
        if not 0 < size <= checkpointed:
            raise InputError(f"tree size {size} is not between 1 and the latest checkpoint's {checkpointed}")
        return size

    def inclusion_proof(self, index: int, size: int | None = None) -> dict[str, Any]:
        tree_size = self._tree_size(size)
        if not 0 <= index < tree_size:
            raise InputError(f"entry {index} is not in a tree of size {tree_size}")
        plan = merkle.inclusion_plan(index, tree_size)
        wanted = merkle.nodes_needed(plan) | set(merkle.frontier_ids(tree_size)) | {(0, index)}
        nodes = self.store.nodes(wanted)
        return {
            "leaf_index": index,
            "tree_size": tree_size,
            "leaf_hash": _b64(nodes[(0, index)]),
            "root_hash": _b64(merkle.root_from(tree_size, nodes)),
            "hashes": [_b64(h) for h in merkle.hashes_for(plan, nodes)],
        }

    def consistency_proof(self, old: int, new: int) -> dict[str, Any]:
        new_size = self._tree_size(new)
        if not 0 < old <= new_size:
            raise InputError(f"old size {old} must be between 1 and the new size {new_size}")
        plan = merkle.consistency_plan(old, new_size) if old < new_size else []
        wanted = (
            merkle.nodes_needed(plan) | set(merkle.frontier_ids(old)) | set(merkle.frontier_ids(new_size))
        )
        nodes = self.store.nodes(wanted)
        return {
            "old_size": old,
            "new_size": new_size,
            "old_root": _b64(merkle.root_from(old, nodes)),
            "new_root": _b64(merkle.root_from(new_size, nodes)),
            "hashes": [_b64(h) for h in merkle.hashes_for(plan, nodes)],
        }

    # -- verification and export ----------------------------------------------------------

    def verify(
        self,
        extra_checkpoints: Iterable[str] = (),
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> VerifiedLog:
        """Verify the database: every entry, every stored checkpoint and subtree hash, and any
        checkpoints given from outside (an auditor's last one, say)."""
        meta = self.store.meta()
        verifier = Verifier.parse(meta["verifier_key"])
        # One snapshot: appends running meanwhile land with their own checkpoints and are
        # neither verified nor mistaken for truncation or for rows added behind our back.
        count, notes = self.store.snapshot()
        covered = max((claimed_size(n) or 0 for n in notes), default=0)
        result = verify_log(
            self.store.entry_chunks(end=max(covered, 1)),
            verifier,
            [*notes, *extra_checkpoints],
            origin=meta["origin"],
            workers=default_workers(count) if workers is None else workers,
            progress=progress,
            stored_nodes=self._stored_nodes,
        )
        if count > covered:
            # Every append writes its checkpoint in the same transaction, so an entry that no
            # checkpoint covers was not written by the ledger.
            raise VerificationError(
                f"{count - covered} entries follow the latest signed checkpoint; every append "
                "writes one, so they were added behind the ledger's back",
                index=covered,
                expected=str(covered),
                actual=str(count),
            )
        return result

    def _stored_nodes(self, ids: set[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
        try:
            return self.store.nodes(ids)
        except StorageError as exc:
            raise VerificationError(f"stored Merkle subtree hashes are missing: {exc}") from None

    def export(self, out: BinaryIO, progress: Callable[[int], None] | None = None) -> int:
        def entries() -> Iterable[bytes]:
            done = 0
            for _, blobs, _ in self.store.entry_chunks():
                yield from blobs
                done += len(blobs)
                if progress is not None:
                    progress(done)

        return write_export(entries(), out)


def replay_meaning(chunks: Iterable[tuple[int, list[bytes], Any]]) -> GovernanceState:
    """Every approval signature against the key registered at that point, roles, separation of
    duties, and every promotion against the policy it recorded: the log's meaning, re-checked."""
    state = GovernanceState()
    for first, blobs, _ in chunks:
        for offset, data in enumerate(blobs):
            try:
                state.apply(Entry.parse(data))
            except LedgerError as exc:
                raise VerificationError(
                    f"not allowed by the ledger's rules: {exc}", index=first + offset
                ) from None
    return state


def verify_export_meaning(path: Path) -> GovernanceState:
    try:
        with path.open("rb") as source:
            return replay_meaning(read_export_chunks(source))
    except OSError as exc:
        raise InputError(f"cannot read export file {path}: {exc}") from None


def _check_genesis_key(path: Path, verifier_key: str) -> None:
    """The log names its own checkpoint key in its first entry; it must be the key given."""
    first = read_first_line(path)
    try:
        named = Entry.parse(first).payload.get("verifier_key")
    except LedgerError:
        return  # structural verification names the malformed entry
    if named is not None and str(named).strip() != verifier_key.strip():
        raise VerificationError(
            "the log's first entry names another checkpoint key",
            index=0,
            expected=verifier_key,
            actual=str(named),
        )


def verify_export_file(
    path: Path,
    checkpoint_note: str,
    verifier_key: str,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifiedLog:
    """Offline verification: an export file, a signed checkpoint and a verifier key; no database."""
    verifier = Verifier.parse(verifier_key)
    Checkpoint.open(checkpoint_note, verifier)  # fail early on a bad note
    _check_genesis_key(path, verifier_key)
    try:
        size_hint = path.stat().st_size // 1000
        with path.open("rb") as source:
            return verify_log(
                read_export_chunks(source),
                verifier,
                [checkpoint_note],
                origin=verifier.name,
                workers=default_workers(size_hint) if workers is None else workers,
                progress=progress,
            )
    except FileNotFoundError:
        raise InputError(f"export file {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read export file {path}: {exc}") from None
    except UnicodeDecodeError as exc:  # pragma: no cover - entries are bytes; defensive
        raise FormatError(str(exc)) from None
