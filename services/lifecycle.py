"""A release after its decision: approvals, the canary, promotion and rollback.

Each is one signed (or token-attested) statement; the governance state machine decides on
append whether the actor may make it now (roles, separation of duties, gates, freezes).
"""

from __future__ import annotations

from typing import Any

from governance import actions
from governance.state import DecisionState, GovernanceState
from ledger.errors import RefusedError
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
        state = self.log.state()
        d = state.decision(self.log.resolve(decision_id).leaf_hex)
        chosen = role or approval_role(state, d, actor, reject)
        verdict = "reject" if reject else "approve"
        return self.log.append_statement(
            "release.approval", actions.approval(d.leaf_hex, actor, chosen, verdict, comment, key)
        )

    def start_canary(
        self, decision_id: str, actor: str, key: Ed25519Signer | None, *, token_id: str | None = None
    ) -> Entry:
        payload = actions.canary_started(self.log.resolve(decision_id).leaf_hex, actor)
        return self.log.act("release.canary_started", payload, key, token_id)

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
        """The canary's verdict and its metrics ``summary`` (the policy's canary gate checks them)."""
        leaf = self.log.resolve(decision_id).leaf_hex
        payload = actions.canary_result(leaf, "pass" if passed else "fail", summary, actor)
        return self.log.act("release.canary_result", payload, key, token_id)

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
        """Promote to production, replacing the model's current version; ``break_glass`` (with
        a ``reason``) skips the missing gates and leaves retrospective approvals owed."""
        state = self.log.state()
        d = state.decision(self.log.resolve(decision_id).leaf_hex)
        current = state.production.get(d.model)
        payload = actions.promoted(d.leaf_hex, actor, d.policy_sha, current, break_glass, reason)
        return self.log.act("release.promoted", payload, key, token_id)

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
        """Roll the decision's model back from this release to ``to_version``."""
        payload = actions.rolled_back(self.log.resolve(decision_id).leaf_hex, to_version, reason, actor)
        return self.log.act("release.rolled_back", payload, key, token_id)
