"""Identities, their keys, and policy adoption: what only admins (or the key holder) may do."""

from __future__ import annotations

import re

from governance.authorship import check_authorship
from governance.formats import KNOWN_FORMATS
from governance.identity_rules import (
    refuse_key_taken,
    refuse_name_taken,
    refuse_unknown_roles,
    remember_key,
)
from governance.state import ADMIN, GovernanceState, Identity, field_of, handles
from governance.statements import check_statement, public_key_from_b64
from ledger.errors import LedgerError, RefusedError
from ledger.tlog.entry import Entry
from policies.loader import load_policy_text, policy_sha256

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,199}$")
_ROLE = re.compile(r"^[a-z][a-z0-9_-]{0,49}$")


def _admin(state: GovernanceState, actor: str, rule: str) -> Identity:
    who = state.identity(actor, rule=rule)
    if ADMIN not in who.roles:
        raise RefusedError(f"{actor} is not an admin", rule=rule)
    return who


def _key(text: object) -> bytes:
    try:
        return public_key_from_b64(str(text))
    except LedgerError as exc:
        raise RefusedError(str(exc), rule="public_key") from None


@handles("ledger.init", frozenset({"origin", "verifier_key", "format"}))
def _init(state: GovernanceState, entry: Entry) -> None:
    if entry.seq != 0:
        raise RefusedError("ledger.init may only be the first entry", rule="ledger.init")
    if "format" in entry.payload:
        declared = field_of(entry.payload, "format", int)
        if declared not in KNOWN_FORMATS or declared == 1:  # format 1 is written by leaving it out
            raise RefusedError(
                f"ledger format {declared} is not one this verifier knows ({sorted(KNOWN_FORMATS)})",
                rule="ledger.init",
            )
        state.format = declared
    state.origin = field_of(entry.payload, "origin")


@handles("identity.added", frozenset({"name", "roles", "public_key", "actor"}))
def _added(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    name, actor = field_of(p, "name"), field_of(p, "actor")
    roles = field_of(p, "roles", list)
    if not _NAME.fullmatch(name):
        raise RefusedError(f"identity name {name!r} is not allowed", rule="identity.added")
    if (
        not roles
        or not all(isinstance(r, str) and _ROLE.fullmatch(r) for r in roles)
        or len(set(roles)) != len(roles)
    ):
        raise RefusedError("roles must be a non-empty list of distinct role names", rule="identity.added")
    if name in state.identities:
        raise RefusedError(
            f"identity {name!r} already exists (names are never reused)", rule="identity.added"
        )
    key = _key(p.get("public_key"))
    if not state.identities:
        # Bootstrap: the first identity is an admin who signs its own registration.
        if actor != name or ADMIN not in roles:
            raise RefusedError(
                "the first identity must be an admin registering itself", rule="identity.added"
            )
        check_statement(entry.kind, p, key, name, origin=state.statement_origin())
    else:
        _admin(state, actor, "identity.added")
        check_authorship(state, entry, actor)
    # One person, one identity (format 3), judged once the actor is known to be allowed.
    refuse_name_taken(state, name)
    refuse_unknown_roles(state, roles)
    refuse_key_taken(state, key)
    state.identities[name] = Identity(name, frozenset(roles), key, entry.seq)
    remember_key(state, name, key)


@handles("identity.key_rotated", frozenset({"name", "public_key", "actor"}))
def _rotated(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    name, actor = field_of(p, "name"), field_of(p, "actor")
    subject = state.identity(name, rule="identity.key_rotated")
    key = _key(p.get("public_key"))
    if key == subject.public_key:
        raise RefusedError("the new key is the current key", rule="identity.key_rotated")
    # Signed by the old key (the holder rotating their own) or by an admin.
    if actor != name:
        _admin(state, actor, "identity.key_rotated")
    check_authorship(state, entry, actor)
    refuse_key_taken(state, key)
    subject.public_key = key
    if actor != name:
        subject.key_set_by = (actor, entry.seq)
    remember_key(state, name, key)


@handles("identity.revoked", frozenset({"name", "actor"}))
def _revoked(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    name, actor = field_of(p, "name"), field_of(p, "actor")
    subject = state.identity(name, rule="identity.revoked")
    if actor != name:
        _admin(state, actor, "identity.revoked")
    check_authorship(state, entry, actor)
    admins = [i for i in state.identities.values() if ADMIN in i.roles and not i.revoked]
    if ADMIN in subject.roles and len(admins) == 1:
        raise RefusedError("cannot revoke the last admin", rule="identity.revoked")
    subject.revoked = True


@handles("policy.adopted", frozenset({"policy_id", "version", "sha256", "text", "actor"}))
def _adopted(state: GovernanceState, entry: Entry) -> None:
    p = entry.payload
    actor, text, sha = field_of(p, "actor"), field_of(p, "text"), field_of(p, "sha256")
    _admin(state, actor, "policy.adopted")
    if policy_sha256(text) != sha:
        raise RefusedError("sha256 does not match the policy text", rule="policy.adopted")
    try:
        loaded = load_policy_text(text, source="adopted policy")
    except LedgerError as exc:
        raise RefusedError(f"the policy text does not validate: {exc}", rule="policy.adopted") from None
    if p.get("policy_id") != loaded.policy.policy_id or p.get("version") != loaded.policy.version:
        raise RefusedError("policy_id and version must match the policy text", rule="policy.adopted")
    for seen in state.policies.values():
        same = (
            seen.policy.policy_id == loaded.policy.policy_id and seen.policy.version == loaded.policy.version
        )
        if same and seen.sha256 != sha:
            raise RefusedError(
                f"version {loaded.policy.version} of {loaded.policy.policy_id} was adopted with other text; "
                "bump the version",
                rule="policy.adopted",
            )
    check_authorship(state, entry, actor)
    state.policies[sha] = loaded
    state.policy_history.append((entry.seq, sha))
