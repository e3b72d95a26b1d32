"""A release after its decision: approvals, the canary, promotion and rollback.

Each is one statement signed by its author; the governance state machine decides on append
whether the actor may make it now (roles, separation of duties, gates, freezes). Methods
taking a ``key`` sign here (the command line, on the author's machine); ``append_signed``
takes a statement its author signed elsewhere (the HTTP API).
"""

from __future__ import annotations

from typing import Any

from governance import actions
from governance.actions import Release
from governance.authorship import release_subject
from governance.state import SUBJECT_KINDS, DecisionState, GovernanceState
from ledger.errors import InputError, RefusedError
from ledger.tlog.entry import Entry
from ledger.tlog.note import Ed25519Signer
from policies.promotion import approval_status
from services.governed import GovernedLog


def approval_role(state: GovernanceState, d: DecisionState, actor: str, reject: bool) -> str:
    """The role ``actor`` approves (or rejects) in: the first they hold that the decision still
    needs (retrospective roles after a break-glass promotion). Raises RefusedError if none."""
    held = state.identity(actor, rule="release.approval").roles
    wanted = _wanted_roles(state, d, reject)
    for role in wanted:
        if role in held:
            return role
    raise RefusedError(
        f"{actor} holds {sorted(held)}, none of the roles {d.ref} still needs ({wanted or 'none'})",
        rule=f"tiers.{d.tier}.approvals",
    )


def _wanted_roles(state: GovernanceState, d: DecisionState, reject: bool) -> list[str]:
    policy = state.policies[d.policy_sha].policy
    if d.break_glass_open and policy.break_glass is not None:
        return list(policy.break_glass.retrospective_roles)
    if reject:
        return [r["role"] for r in d.requirements["approvals"]]
    return [role for role, _ in approval_status(d.requirements, d.approvals).missing]


class Lifecycle:
    """Approve, run the canary, promote and roll back a recorded decision.

    ``decision_id`` is ``MODEL@VERSION`` or a hash prefix; each method returns the appended
    entry and raises the governance error (RefusedError and kin) when the rules say no.
    """

    def __init__(self, log: GovernedLog) -> None:
        self.log = log

    def _release(self, decision_id: str) -> tuple[GovernanceState, DecisionState, Release]:
        state = self.log.state()
        d = state.decision(self.log.resolve(decision_id).leaf_hex)
        return state, d, release_subject(state, d)

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
        """An approval (or rejection) signed by the approver's own key, in ``role`` or the
        first role they hold that the decision still needs."""
        state, d, release = self._release(decision_id)
        chosen = role or approval_role(state, d, actor, reject)
        verdict = "reject" if reject else "approve"
        return self.log.act(
            "release.approval", actions.approval(release, actor, chosen, verdict, comment), key
        )

    def start_canary(self, decision_id: str, actor: str, key: Ed25519Signer) -> Entry:
        _, _, release = self._release(decision_id)
        return self.log.act("release.canary_started", actions.canary_started(release, actor), key)

    def record_canary(
        self, decision_id: str, passed: bool, summary: dict[str, Any], actor: str, key: Ed25519Signer
    ) -> Entry:
        """The canary's verdict and its metrics ``summary`` (the policy's canary gate checks them)."""
        _, _, release = self._release(decision_id)
        payload = actions.canary_result(release, "pass" if passed else "fail", summary, actor)
        return self.log.act("release.canary_result", payload, key)

    def promote(
        self,
        decision_id: str,
        actor: str,
        key: Ed25519Signer,
        *,
        break_glass: bool = False,
        reason: str = "",
    ) -> Entry:
        """Promote to production, replacing the model's current version; ``break_glass`` (with
        a ``reason``) skips the missing gates and leaves retrospective approvals owed."""
        state, d, release = self._release(decision_id)
        current = state.production.get(d.model)
        payload = actions.promoted(release, actor, d.policy_sha, current, break_glass, reason)
        return self.log.act("release.promoted", payload, key)

    def rollback(
        self, decision_id: str, to_version: str, reason: str, actor: str, key: Ed25519Signer
    ) -> Entry:
        """Roll the decision's model back from this release to ``to_version``."""
        _, _, release = self._release(decision_id)
        return self.log.act(
            "release.rolled_back", actions.rolled_back(release, to_version, reason, actor), key
        )

    def append_signed(self, kind: str, statement: dict[str, Any]) -> Entry:
        """Append a lifecycle statement its author signed elsewhere; the governance state
        machine checks the signature, the subject and the rules exactly as for one signed here.
        Raises InputError for a kind that is not a lifecycle statement."""
        if kind not in SUBJECT_KINDS:
            raise InputError(
                f"{kind!r} is not a release lifecycle statement; expected one of {sorted(SUBJECT_KINDS)}"
            )
        return self.log.append_statement(kind, statement)
