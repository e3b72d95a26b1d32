"""One person is one identity: the rules of ledger format 3 (issue 11; docs/formats.md §5.1).

Each rule applies only to ledgers whose ``ledger.init`` declares format ``IDENTITY_RULES`` or
later, so older ledgers keep verifying under the rules they were written with:

- identity names are compared after NFKC normalisation and case folding, and never reused;
- a public key is registered to at most one identity, ever (a rotated-away key stays taken);
- every role an identity is given is a built-in governance role or one the policy in force names;
- separation of duties compares identities by every key they ever held as well as by name;
- whoever made a break-glass promotion never gives its retrospective approval.

The key registry (``GovernanceState.key_holders``) is kept for every format, so that the
same-person test can look back across rotations.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from governance.formats import IDENTITY_RULES
from governance.state import ADMIN, AUDITOR, RELEASE_MANAGER, SUBMITTER, DecisionState, GovernanceState
from ledger.errors import RefusedError

# The roles the state machine itself gives meaning to (governance/state.py, the handlers).
BUILT_IN_ROLES = frozenset({ADMIN, AUDITOR, RELEASE_MANAGER, SUBMITTER})


def normal_name(name: str) -> str:
    """``name`` as identity names are compared: NFKC normalised, then case folded."""
    return unicodedata.normalize("NFKC", name).casefold()


def refuse_name_taken(state: GovernanceState, name: str) -> None:
    """Raise RefusedError (rule ``identity.name``) when an identity, revoked or not, already
    has ``name`` once both are normalised (format 3 on)."""
    if state.format < IDENTITY_RULES:
        return
    wanted = normal_name(name)
    for existing in state.identities:
        if normal_name(existing) == wanted:
            raise RefusedError(
                f"identity {name!r} is the name of existing identity {existing!r} (names are compared "
                "after NFKC normalisation and case folding, and never reused)",
                rule="identity.name",
            )


def refuse_key_taken(state: GovernanceState, key: bytes) -> None:
    """Raise RefusedError (rule ``identity.public_key``) when ``key`` is or ever was registered
    to any identity, the subject of a rotation included (format 3 on)."""
    holders = state.key_holders.get(key)
    if state.format < IDENTITY_RULES or not holders:
        return
    raise RefusedError(
        f"this public key is already registered to {holders[0]!r}; a key belongs to one identity "
        "only, and a key once registered is never registered again",
        rule="identity.public_key",
    )


def remember_key(state: GovernanceState, name: str, key: bytes) -> None:
    """Record that identity ``name`` holds ``key`` (on adding it or rotating to it)."""
    holders = state.key_holders.setdefault(key, [])
    if name not in holders:
        holders.append(name)


def known_roles(state: GovernanceState) -> frozenset[str]:
    """The built-in roles and those the policy in force names: tier approval roles, the
    break-glass role and its retrospective roles. Only the built-in ones before any policy."""
    if not state.policy_history:
        return BUILT_IN_ROLES
    policy = state.active_policy.policy
    named = policy.approver_roles() | ({policy.break_glass.role} if policy.break_glass else set())
    return BUILT_IN_ROLES | named


def refuse_unknown_roles(state: GovernanceState, roles: Iterable[str]) -> None:
    """Raise RefusedError (rule ``identity.roles``) naming each role neither built in nor named
    by the policy in force, with the known roles, sorted (format 3 on)."""
    if state.format < IDENTITY_RULES:
        return
    known = known_roles(state)
    unknown = sorted(set(roles) - known)
    if unknown:
        policy = state.active_policy.label if state.policy_history else "no policy adopted yet"
        raise RefusedError(
            f"unknown role {', '.join(unknown)}: the known roles ({policy}) are {', '.join(sorted(known))}",
            rule="identity.roles",
        )


def same_person(state: GovernanceState, a: str, b: str) -> bool:
    """Whether identities ``a`` and ``b`` count as one person: the same name or, from format 3,
    a public key either of them holds or ever held in common."""
    if a == b:
        return True
    if state.format < IDENTITY_RULES:
        return False
    return any(a in holders and b in holders for holders in state.key_holders.values())


def refuse_not_distinct(state: GovernanceState, d: DecisionState, approver: str) -> None:
    """Raise RefusedError (rule ``separation_of_duties``) when ``approver`` is the same person
    as ``d``'s requester or as anyone who gave a verdict on ``d`` already."""
    if same_person(state, approver, d.requester):
        raise RefusedError(
            "the requester may never approve their own release" + _by_key(approver, d.requester),
            rule="separation_of_duties",
        )
    for earlier in d.approvals:
        if same_person(state, approver, earlier.approver):
            raise RefusedError(
                f"{earlier.approver} has already given a verdict on {d.ref}"
                + _by_key(approver, earlier.approver),
                rule="separation_of_duties",
            )


def _by_key(approver: str, other: str) -> str:
    if approver == other:
        return ""
    return f" ({approver} and {other} have held the same public key, so they are one person)"


def refuse_promoter_retrospective(state: GovernanceState, d: DecisionState, approver: str) -> None:
    """Raise RefusedError (rule ``separation_of_duties``) when ``approver`` is the person who
    made ``d``'s break-glass promotion (format 3 on): its review must come from someone else."""
    if state.format < IDENTITY_RULES:
        return
    promoter = break_glass_promoter(d)
    if promoter is not None and same_person(state, approver, promoter):
        raise RefusedError(
            f"the break-glass promoter may never give its retrospective approval: {promoter} "
            f"promoted {d.ref} by break-glass" + _by_key(approver, promoter),
            rule="separation_of_duties",
        )


def break_glass_promoter(d: DecisionState) -> str | None:
    """Who made ``d``'s latest promotion, read from its timeline (the promotion handler notes
    its actor there), when that promotion was a break-glass one; else None."""
    if not d.break_glass:
        return None
    return next((e.actor for e in reversed(d.timeline) if e.kind == "release.promoted"), None)
