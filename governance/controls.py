"""May a release be promoted at a moment: its recorded policy, and the controls in force then.

The decision's recorded policy governs its own requirements (index, gates, tier, approvals,
rollout, rehearsal age). From ledger format 3 (``governance.formats.CONTROLS_AT_ACTION``) the
freeze windows of the policy in force at the moment of the promotion, the latest
``policy.adopted`` before it, hold the promotion as well, so a freeze adopted after a
decision was approved still stops it (docs/policy.md, "Which policy governs what").
Break-glass overrides either policy's freezes alike.

The same function decides an append, answers ``gate`` and ``decision status``, and re-checks
every ``release.promoted`` entry when the log is verified.
"""

from __future__ import annotations

from datetime import datetime

from governance.formats import CONTROLS_AT_ACTION
from governance.state import DecisionState, GovernanceState
from ledger.tlog.entry import parse_time
from policies.fired import RuleFired
from policies.model import Policy
from policies.promotion import PromotionFacts, PromotionOutcome, evaluate_promotion

PROMOTABLE = {"approved", "canary_passed"}


def policy_in_force(state: GovernanceState, d: DecisionState) -> Policy | None:
    """The policy in force whose controls apply besides ``d``'s recorded policy, or None.

    None on a ledger before format 3, and when the policy in force is the recorded one (its
    freezes are checked already). ``state`` is folded up to the action, so during replay the
    policy in force is the latest adopted before the entry being checked.
    """
    if state.format < CONTROLS_AT_ACTION or not state.policy_history:
        return None
    in_force = state.active_policy
    return None if in_force.sha256 == d.policy_sha else in_force.policy


def promotion_outcome(
    state: GovernanceState, d: DecisionState, moment: datetime, break_glass: bool
) -> PromotionOutcome:
    """Every promotion check for ``d`` at ``moment``, and whether it may be promoted.

    A decision not yet approved (nor canary-passed) is blocked by rule ``lifecycle``, unless a
    break-glass promotion skips its pending approvals. Raises nothing: refusing is the caller's.
    """
    rehearsed = d.payload["rollback"].get("rehearsed_at")
    facts = PromotionFacts(
        band=d.band,
        tier=d.tier,  # type: ignore[arg-type]
        requirements=d.requirements,
        approvals=tuple(d.approvals),
        canary=d.canary,  # type: ignore[arg-type]
        rehearsed_at=parse_time(rehearsed) if rehearsed else None,
        break_glass=break_glass,
    )
    recorded = state.policies[d.policy_sha].policy
    outcome = evaluate_promotion(recorded, facts, moment, policy_in_force(state, d))
    if d.phase not in PROMOTABLE and not (break_glass and d.phase == "pending_approval"):
        lifecycle = RuleFired("lifecycle", f"{d.ref} is {d.phase}", {"phase": d.phase})
        return PromotionOutcome(False, (lifecycle, *outcome.blockers), (lifecycle, *outcome.checks))
    return outcome
