"""The release lifecycle: decision, approvals, canary, promotion, rollback, supersession.

    submitted ─┬─> pending_approval ─┬─> approved ─┬─> canary_started ─┬─> canary_passed ─> promoted
               └─> approved (no      └─> rejected  │                   └─> canary_failed
                   approvals needed)               └─> promoted (auto and manual rollout)
    promoted ─┬─> rolled_back
              └─> superseded (a later version of the model is promoted)

A break-glass promotion may skip approvals and freezes; it stays open until a retrospective
approval from the policy's named roles arrives.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from governance.authorship import check_authorship, check_subject
from governance.controls import promotion_outcome
from governance.formats import TIME_RULES
from governance.identity_rules import refuse_not_distinct, refuse_promoter_retrospective
from governance.record import record_for
from governance.state import (
    ADMIN,
    OPERATOR_ROLES,
    PROMOTER_ROLES,
    SUBMITTER,
    DecisionState,
    GovernanceState,
    Identity,
    TimelineEvent,
    field_of,
    handles,
)
from governance.statements import signed_part
from governance.timing import refuse_early_canary_result, refuse_future_instants
from ledger.encoding.numbers import NotExactError, parse_decimal_text
from ledger.errors import LedgerError, RefusedError
from ledger.scoring.input import parse_request, request_fields
from ledger.scoring.request import DecisionRequest
from ledger.tlog.entry import Entry, parse_time
from policies.loader import LoadedPolicy
from policies.model import Policy
from policies.promotion import ApprovalFact, approval_status


def _note(d: DecisionState, entry: Entry, actor: str, summary: str) -> None:
    d.timeline.append(TimelineEvent(entry.seq, entry.time, entry.kind, actor, summary))


def _operator(
    state: GovernanceState,
    actor: str,
    rule: str,
    extra: frozenset[str] = frozenset(),
    roles: frozenset[str] = OPERATOR_ROLES,
) -> None:
    who = state.identity(actor, rule=rule)
    if not who.roles & (roles | extra):
        raise RefusedError(f"{actor} has none of the roles {sorted(roles | extra)}", rule=rule)


@handles("release.decision")
def _decision(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    requester = field_of(p, "requested_by")
    _check_submitter(state, entry, requester)
    policy = state.active_policy
    request = _recorded_request(state, entry)
    key = (request.model, request.version)
    if key in state.by_version:
        raise RefusedError(f"{request.model}@{request.version} is already recorded", rule="release.decision")
    expected = _checked_evaluation(policy, request, p)
    leaf = entry.leaf_hash.hex()
    d = DecisionState(
        entry.seq, leaf, parse_time(entry.time), request.model, request.version, requester, p, policy.sha256
    )
    d.phase = "approved" if not expected["requirements"]["approvals"] else "pending_approval"
    a = expected["assessment"]
    summary = f"submitted: index {a['index']}, band {a['band']}, tier {expected['requirements']['tier']}"
    _note(d, entry, requester, summary)
    state.decisions[leaf] = d
    state.by_version[key] = leaf


def _check_submitter(state: GovernanceState, entry: Entry, requester: str) -> None:
    who = state.identity(requester, rule="release.decision")
    if not who.roles & {SUBMITTER, ADMIN}:
        raise RefusedError(
            f"{requester} may not submit decisions (needs role submitter)", rule="release.decision"
        )
    check_authorship(state, entry, requester)


def _recorded_request(state: GovernanceState, entry: Entry) -> DecisionRequest:
    """The request the entry's signed part records, which must validate and be in normal form."""
    submitted = {k: v for k, v in signed_part(entry.kind, entry.payload).items()}
    try:
        request = parse_request(submitted)
    except LedgerError as exc:
        raise RefusedError(
            f"the recorded decision does not validate: {exc}", rule="release.decision"
        ) from None
    if request_fields(request) != submitted:
        raise RefusedError("the recorded fields are not in normal form", rule="release.decision")
    if state.format >= TIME_RULES:
        refuse_future_instants(submitted, parse_time(entry.time))
    return request


def _checked_evaluation(policy: LoadedPolicy, request: DecisionRequest, p: dict[str, Any]) -> dict[str, Any]:
    """The record the policy in force gives ``request``, which the entry must match exactly."""
    expected = record_for(policy, request)
    recorded = {k: v for k, v in p.items() if k not in ("signature", "attestation")}
    if recorded != expected:
        differing = sorted(k for k in set(expected) | set(recorded) if expected.get(k) != recorded.get(k))
        raise RefusedError(
            f"the recorded evaluation differs from the policy in force ({policy.label}) in {differing}",
            rule="release.decision",
        )
    return expected


@handles("release.approval", frozenset({"decision", "approver", "role", "verdict", "comment"}))
def _approval(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    d = state.decision(field_of(p, "decision"))
    check_subject(state, entry, d)
    approver, role, verdict = field_of(p, "approver"), field_of(p, "role"), field_of(p, "verdict")
    field_of(p, "comment")
    if verdict not in ("approve", "reject"):
        raise RefusedError("verdict must be approve or reject", rule="release.approval")
    _check_approver(state, entry, d, approver, role)
    fact = ApprovalFact(approver, role, verdict, parse_time(entry.time))
    if d.phase == "promoted" and d.break_glass_open:
        _retrospective_approval(state, entry, d, fact)
    else:
        _tier_approval(entry, d, fact)


def _check_approver(state: GovernanceState, entry: Entry, d: DecisionState, approver: str, role: str) -> None:
    """The approver signed, holds ``role``, is not the requester, and has not voted on ``d`` yet."""
    who = state.identity(approver, rule="release.approval")
    check_authorship(state, entry, approver)
    if role not in who.roles:
        raise RefusedError(f"{approver} does not hold role {role}", rule="release.approval")
    refuse_not_distinct(state, d, approver)  # by name, and from format 3 by every key ever held


def _retrospective_approval(
    state: GovernanceState, entry: Entry, d: DecisionState, fact: ApprovalFact
) -> None:
    """A verdict on a break-glass promotion, from one of the policy's retrospective roles."""
    refuse_promoter_retrospective(state, d, fact.approver)
    policy = state.policies[d.policy_sha].policy
    assert policy.break_glass is not None
    if fact.role not in policy.break_glass.retrospective_roles:
        raise RefusedError(
            f"a retrospective approval must come from {policy.break_glass.retrospective_roles}",
            rule="break_glass.retrospective_roles",
        )
    d.approvals.append(fact)
    if fact.verdict == "approve":
        d.retro_approved_by = fact.approver
    _note(d, entry, fact.approver, f"retrospective {fact.verdict} as {fact.role}")


def _tier_approval(entry: Entry, d: DecisionState, fact: ApprovalFact) -> None:
    """A verdict the decision's tier asks for; it may complete the approvals or reject the release."""
    if d.phase != "pending_approval":
        raise RefusedError(f"{d.ref} is {d.phase}; it is not awaiting approvals", rule="lifecycle")
    _check_role_wanted(d, fact)
    d.approvals.append(fact)
    after = approval_status(d.requirements, d.approvals)
    if after.rejected_by:
        d.phase = "rejected"
    elif after.satisfied:
        d.phase = "approved"
    _note(d, entry, fact.approver, f"{fact.verdict} as {fact.role}")


def _check_role_wanted(d: DecisionState, fact: ApprovalFact) -> None:
    # A rejection is heard from any required role; an approval only while that role is still short.
    needed = {r["role"]: int(r["count"]) for r in d.requirements["approvals"]}
    if fact.role not in needed:
        raise RefusedError(
            f"tier {d.tier} does not require role {fact.role} (it requires {sorted(needed) or 'none'})",
            rule=f"tiers.{d.tier}.approvals",
        )
    before = approval_status(d.requirements, d.approvals)
    if fact.verdict == "approve" and fact.role not in dict(before.missing):
        raise RefusedError(
            f"the {fact.role} approvals for {d.ref} are already complete", rule=f"tiers.{d.tier}.approvals"
        )


def _canary_criteria(d: DecisionState, summary: dict[str, Any]) -> list[str]:
    """Failures of the canary summary against the tier's acceptance criteria."""
    failures = []
    for criterion in d.requirements["rollout"].get("acceptance", []):
        metric = criterion["metric"]
        if metric not in summary:
            failures.append(f"{metric} was not reported")
            continue
        try:
            observed = parse_decimal_text(str(summary[metric]))
        except NotExactError:
            failures.append(f"{metric} is not a decimal string")
            continue
        if "min" in criterion and observed < Decimal(criterion["min"]):
            failures.append(f"{metric} {observed} is below {criterion['min']}")
        if "max" in criterion and observed > Decimal(criterion["max"]):
            failures.append(f"{metric} {observed} is above {criterion['max']}")
    return failures


@handles("release.canary_started", frozenset({"decision", "actor"}))
def _canary_started(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    d = state.decision(field_of(p, "decision"))
    check_subject(state, entry, d)
    actor = field_of(p, "actor")
    _operator(state, actor, "release.canary_started")
    check_authorship(state, entry, actor)
    if d.requirements["rollout"]["mode"] != "canary":
        raise RefusedError(
            f"tier {d.tier} rolls out {d.requirements['rollout']['mode']}, not by canary",
            rule=f"tiers.{d.tier}.rollout",
        )
    if d.phase != "approved":
        raise RefusedError(
            f"{d.ref} is {d.phase}; a canary starts only once it is approved", rule="lifecycle"
        )
    d.phase, d.canary = "canary_started", "started"
    d.canary_started_at = parse_time(entry.time)
    _note(d, entry, actor, "canary started")


@handles("release.canary_result", frozenset({"decision", "verdict", "summary", "actor"}))
def _canary_result(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    d = state.decision(field_of(p, "decision"))
    check_subject(state, entry, d)
    actor, verdict = field_of(p, "actor"), field_of(p, "verdict")
    summary = field_of(p, "summary", dict)
    _operator(state, actor, "release.canary_result")
    check_authorship(state, entry, actor)
    if d.phase != "canary_started":
        raise RefusedError(f"{d.ref} is {d.phase}; no canary is running", rule="lifecycle")
    if verdict not in ("pass", "fail"):
        raise RefusedError("verdict must be pass or fail", rule="release.canary_result")
    if state.format >= TIME_RULES and d.canary_started_at is not None:
        refuse_early_canary_result(
            d.canary_started_at,
            d.requirements,
            parse_time(entry.time),
            rule=f"tiers.{d.tier}.rollout.canary_window_hours",
        )
    for metric, value in summary.items():
        try:
            parse_decimal_text(value)
        except NotExactError:
            raise RefusedError(f"summary metric {metric!r} is not a decimal string", rule="payload") from None
    failures = _canary_criteria(d, summary)
    if verdict == "pass" and failures:
        raise RefusedError(
            "a canary cannot pass: " + "; ".join(failures), rule=f"tiers.{d.tier}.rollout.acceptance"
        )
    d.phase = "canary_passed" if verdict == "pass" else "canary_failed"
    d.canary = "passed" if verdict == "pass" else "failed"
    d.canary_summary = {str(k): str(v) for k, v in summary.items()}
    _note(d, entry, actor, f"canary {verdict}" + (": " + "; ".join(failures) if failures else ""))


@handles(
    "release.promoted",
    frozenset({"decision", "actor", "policy_sha256", "supersedes", "break_glass", "reason"}),
)
def _promoted(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    d = state.decision(field_of(p, "decision"))
    check_subject(state, entry, d)
    actor = field_of(p, "actor")
    break_glass = field_of(p, "break_glass", bool)
    policy = state.policies[d.policy_sha].policy
    _check_promoter(state, entry, policy, actor)
    if p.get("policy_sha256") != d.policy_sha:
        raise RefusedError("a promotion must name the policy its decision was evaluated under", rule="policy")
    if break_glass:
        _check_break_glass(policy, state.identity(actor), p)
    current = state.production.get(d.model)
    if p.get("supersedes") != current:
        raise RefusedError(
            f"the promotion must record the production version it supersedes ({current})",
            rule="release.promoted",
        )
    moment = parse_time(entry.time)
    outcome = promotion_outcome(state, d, moment, break_glass)
    if not outcome.allowed:
        raise RefusedError("; ".join(outcome.reasons()), rule="promotion")
    _hand_over_production(state, entry, d, actor)
    d.phase, d.promoted_at, d.supersedes = "promoted", moment, current
    if break_glass:
        assert policy.break_glass is not None
        d.break_glass = True
        d.retro_deadline = moment + timedelta(hours=policy.break_glass.retrospective_within_hours)
    _note(d, entry, actor, _promotion_summary(p, break_glass, current))


def _check_promoter(state: GovernanceState, entry: Entry, policy: Policy, actor: str) -> None:
    # Besides the promoter roles, whoever holds the policy's break-glass role may promote.
    extra = frozenset({policy.break_glass.role}) if policy.break_glass else frozenset()
    _operator(state, actor, "release.promoted", extra, PROMOTER_ROLES)
    check_authorship(state, entry, actor)


def _check_break_glass(policy: Policy, who: Identity, p: dict[str, Any]) -> None:
    """The policy allows break-glass, the actor holds its role, and a reason is given."""
    if policy.break_glass is None:
        raise RefusedError("the policy allows no break-glass", rule="break_glass")
    if policy.break_glass.role not in who.roles:
        raise RefusedError(f"break-glass needs role {policy.break_glass.role}", rule="break_glass.role")
    if not str(p.get("reason", "")).strip():
        raise RefusedError("a break-glass promotion needs a reason", rule="break_glass")


def _hand_over_production(state: GovernanceState, entry: Entry, d: DecisionState, actor: str) -> None:
    """The model's production release so far is superseded; ``d``'s version is in production."""
    previous = state.production_decision.get(d.model)
    if previous is not None:
        state.decisions[previous].phase = "superseded"
        _note(state.decisions[previous], entry, actor, f"superseded by {d.version}")
    state.production[d.model] = d.version
    state.production_decision[d.model] = d.leaf_hex
    state.promoted_versions.setdefault(d.model, set()).add(d.version)


def _promotion_summary(p: dict[str, Any], break_glass: bool, current: str | None) -> str:
    by = " by BREAK-GLASS: " + str(p.get("reason")) if break_glass else ""
    return "promoted" + by + (f", superseding {current}" if current else "")


def rollback_targets(state: GovernanceState, d: DecisionState) -> list[str]:
    """The versions ``d``'s model may be rolled back to: the declared rollback path first, then
    the versions promoted before, sorted; [] when ``d`` is not the model's production release."""
    if d.phase != "promoted" or state.production_decision.get(d.model) != d.leaf_hex:
        return []
    declared = str(d.payload["rollback"]["target_version"])
    earlier = state.promoted_versions.get(d.model, set()) - {d.version, declared}
    return [declared, *sorted(earlier)]


@handles("release.rolled_back", frozenset({"decision", "to_version", "reason", "actor"}))
def _rolled_back(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    d = state.decision(field_of(p, "decision"))
    check_subject(state, entry, d)
    actor, target = field_of(p, "actor"), field_of(p, "to_version")
    if not str(p.get("reason", "")).strip():
        raise RefusedError("a rollback needs a reason", rule="release.rolled_back")
    policy = state.policies[d.policy_sha].policy
    extra = frozenset({policy.break_glass.role}) if policy.break_glass else frozenset()
    _operator(state, actor, "release.rolled_back", extra, PROMOTER_ROLES)
    check_authorship(state, entry, actor)
    targets = rollback_targets(state, d)
    if not targets:
        raise RefusedError(f"{d.ref} is not the model's production release", rule="lifecycle")
    if target not in targets:
        raise RefusedError(
            f"rollback target {target} is neither the declared rollback path ({targets[0]}) nor a version "
            f"previously promoted ({targets[1:] or 'none'})",
            rule="release.rolled_back",
        )
    d.phase, d.rolled_back_to = "rolled_back", target
    state.production[d.model] = target
    back = state.by_version.get((d.model, target))
    if back is not None and back in state.decisions:
        state.production_decision[d.model] = back
        state.decisions[back].phase = "promoted"
    else:
        state.production_decision.pop(d.model, None)
    _note(d, entry, actor, f"rolled back to {target}: {p.get('reason')}")
