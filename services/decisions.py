"""Release decisions: submit one (validate, score, evaluate, sign, record), read them back,
and ask what the ledger says about one now: its status, a replay, an explanation."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from governance.queries import decision_status
from governance.record import DECISION_KIND, decision_record, record_for
from governance.state import DecisionState, GovernanceState
from governance.statements import check_statement, signed_part
from governance.timing import future_instants
from ledger.encoding.canonical import canonical_bytes
from ledger.errors import (
    BatchError,
    DecisionInputError,
    DuplicateDecisionError,
    InputError,
    LedgerError,
    NotFoundError,
    RefusedError,
)
from ledger.scoring.assess import assess
from ledger.scoring.input import parse_request, request_fields
from ledger.scoring.request import DecisionRequest
from ledger.tlog.entry import Entry
from ledger.tlog.note import Ed25519Signer
from policies.evaluate import evaluate_decision
from policies.loader import LoadedPolicy
from policies.scoring import scoring_rules
from services.governed import GovernedLog, authored
from services.ports import DecisionRef, PendingEntry


@dataclass(frozen=True)
class RecordedDecision:
    """A decision as recorded: where it is in the log, and its entry."""

    ref: DecisionRef
    entry: Entry

    @property
    def assessment(self) -> dict[str, Any]:
        value: dict[str, Any] = self.entry.payload["assessment"]
        return value


@dataclass(frozen=True)
class BatchItem:
    """One decision of a batch (:meth:`Decisions.submit_many`).

    ``where`` names it in errors (a file, ``FILE line N`` of a JSON Lines file, ``items[3]``
    of an API request); ``data`` is the request as parsed YAML or JSON; ``signature`` is the
    requester's own, made elsewhere (the API), or None to sign here with the batch's key.
    ``unreadable`` is the error of an item whose file did not even read: it is reported
    with the batch's other refusals.
    """

    where: str
    data: Any
    signature: str | None = None
    unreadable: LedgerError | None = None


class Decisions:
    """Submitting and reading release decisions."""

    def __init__(self, log: GovernedLog) -> None:
        self.log = log

    def submit(
        self,
        data: Any,
        actor: str,
        key: Ed25519Signer | None,
        *,
        signature: str | None = None,
    ) -> RecordedDecision:
        """Validate, score, sign and record one decision. Refused input leaves the ledger untouched.

        ``data`` is the decision request as parsed YAML or JSON. Signed here by ``key``, or
        carrying the requester's own ``signature`` made elsewhere (checked on append). Raises
        DecisionInputError (bad input), RefusedError (not the requester, or the rules say no).
        """
        state = self.log.state()
        pair, pending = self._prepare(
            data, actor, key, signature, state.active_policy, state.statement_origin()
        )
        return _recorded(self.log.append([pending]).entries[0], pair)

    def submit_many(
        self,
        items: Sequence[BatchItem],
        actor: str,
        key: Ed25519Signer | None,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> list[RecordedDecision]:
        """Validate, score and sign every item, then record them all in one append (one
        transaction, one checkpoint): all of them or none. Returns them in batch order.

        Every item is checked before anything is written, and each refused item is named:
        BatchError lists (where, error) for input that does not validate, a requester other
        than ``actor``, an instant still to come, a model@version already recorded or repeated
        in the batch, and an ``item.signature`` that does not verify under ``actor``'s
        registered key. InputError for an empty batch. The ledger's own checks then run once
        more inside the append (GovernedLog.append), whose refusal (RefusedError and kin,
        e.g. ``actor`` may not submit) is raised as it is. ``progress`` is called with the
        number of items checked so far.
        """
        if not items:
            raise InputError("the batch holds no decisions")
        state = self.log.state()
        policy, origin = state.active_policy, state.statement_origin()
        public_key = state.identity(actor).public_key if any(i.signature for i in items) else b""
        pending: list[tuple[tuple[str, str], PendingEntry]] = []
        problems: list[tuple[str, LedgerError]] = []
        seen: dict[tuple[str, str], str] = {}
        for done, item in enumerate(items, start=1):
            try:
                if item.unreadable is not None:
                    raise item.unreadable
                pair, entry = self._prepare(item.data, actor, key, item.signature, policy, origin)
                if item.signature is not None:  # checked here too, so a bad one is named
                    check_statement(DECISION_KIND, entry.payload, public_key, actor, origin=origin)
                self._check_new(pair, item.where, seen)
                pending.append((pair, entry))
            except LedgerError as exc:
                problems.append((item.where, exc))
            if progress is not None:
                progress(done)
        if problems:
            raise BatchError(problems, len(items))
        result = self.log.append([entry for _pair, entry in pending])
        return [_recorded(entry, pair) for entry, (pair, _) in zip(result.entries, pending, strict=True)]

    def _prepare(
        self,
        data: Any,
        actor: str,
        key: Ed25519Signer | None,
        signature: str | None,
        policy: LoadedPolicy,
        origin: str | None,
    ) -> tuple[tuple[str, str], PendingEntry]:
        """(model, version) and the decision entry ``data`` makes under ``policy``: validated,
        scored, evaluated and signed."""
        request = parse_request(data)
        self._check_request(request, actor)
        assessment = assess(request, scoring_rules(policy))
        evaluation = evaluate_decision(policy, assessment, request.workload)
        record = decision_record(policy, request, evaluation)
        if signature is not None:  # signed by the requester elsewhere; the ledger checks it on append
            payload = {**record, "signature": signature}
        elif key is not None:
            payload = authored(DECISION_KIND, record, key, origin)
        else:
            raise InputError("a decision needs its requester's signature or key")
        pair = (request.model, request.version)
        return pair, PendingEntry(DECISION_KIND, payload, pair)

    def _check_new(self, pair: tuple[str, str], where: str, seen: dict[tuple[str, str], str]) -> None:
        """The decision (model, version) is neither recorded already nor earlier in the batch."""
        if pair in seen:
            raise InputError(f"{pair[0]}@{pair[1]} is already in this batch, at {seen[pair]}")
        if self.log.store.decision_by_version(*pair) is not None:
            raise DuplicateDecisionError(*pair)
        seen[pair] = where

    def _check_request(self, request: DecisionRequest, actor: str) -> None:
        """A decision is submitted by its requester, and names no instant still to come."""
        if request.requested_by != actor:
            raise RefusedError(
                f"requested_by is {request.requested_by!r} but the signer is {actor!r}; "
                "a decision is submitted by its requester",
                rule="release.decision",
            )
        for path, problem in future_instants(request_fields(request), self.log.clock.now()):
            raise DecisionInputError(path, problem)

    def get(self, decision_id: str) -> RecordedDecision:
        """One decision by ``MODEL@VERSION`` or hash prefix (see GovernedLog.resolve)."""
        ref = self.log.resolve(decision_id)
        data = self.log.store.entry(ref.seq)
        if data is None:
            raise NotFoundError(f"entry {ref.seq} is missing from storage")
        return RecordedDecision(ref, Entry.parse(data))

    def all(self, model: str | None = None) -> list[RecordedDecision]:
        """Every recorded decision (of ``model``, if given), in log order."""
        out = []
        for ref in self.log.store.decisions(model=model, limit=100_000):
            data = self.log.store.entry(ref.seq)
            if data is not None:
                out.append(RecordedDecision(ref, Entry.parse(data)))
        return out

    def _state_of(self, decision_id: str) -> tuple[GovernanceState, DecisionState]:
        state = self.log.state()
        return state, state.decision(self.log.resolve(decision_id).leaf_hex)

    def status(self, decision_id: str) -> dict[str, Any]:
        """Phase, approvals, canary, promotion checks and open items, as of the clock's now."""
        state, d = self._state_of(decision_id)
        return decision_status(state, d, self.log.clock.now())

    def replay(self, decision_id: str) -> dict[str, Any]:
        """Re-evaluate a decision from the ledger alone: its recorded input under its recorded policy.

        Returns ``identical`` (bool), both records' SHA-256 over their canonical JSON, and the
        replayed index, band and tier.
        """
        state, d = self._state_of(decision_id)
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
        """The rules the decision fired, and the promotion checks as they stand now."""
        state, d = self._state_of(decision_id)
        status = decision_status(state, d, self.log.clock.now())
        return {
            "decision": d.ref,
            "policy": state.policies[d.policy_sha].label,
            "rules_fired": d.payload["rules_fired"],
            "promotion_checks_now": status["checks"],
        }


def _recorded(entry: Entry, pair: tuple[str, str]) -> RecordedDecision:
    model, version = pair
    return RecordedDecision(DecisionRef(entry.seq, model, version, entry.leaf_hash.hex()), entry)
