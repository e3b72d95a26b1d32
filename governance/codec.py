"""The governance state's values as canonical JSON bytes: one row of the derived state tables.

Appending stores each changed value as the bytes made here; verification rebuilds the state
from the entries, encodes it with the same functions and compares the bytes row by row
(governance/derived.py). So every field of a value is written, keys sorted (RFC 8785 for the
JSON these values hold: strings, integers, booleans, null, lists and objects), and decoding
then encoding a row gives the same bytes back. Times are RFC 3339 UTC, as in the entries.

A policy row holds the adopted text and its SHA-256; the parsed policy is rebuilt from the
text (once per process per text: adopted policies never change).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from governance.state import AssertedEntry, DecisionState, Identity, ResetKeyStatement, TimelineEvent
from governance.tokens import TokenRecord
from ledger.errors import VerificationError
from ledger.tlog.entry import format_time, parse_time
from policies.loader import LoadedPolicy, load_policy_text, policy_sha256
from policies.promotion import ApprovalFact


def dumps(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces (what Entry.parse accepts as canonical)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def loads(data: bytes) -> Any:
    return orjson.loads(data)


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else format_time(moment)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else parse_time(text)


# -- identities ---------------------------------------------------------------------------


def encode_identity(i: Identity) -> bytes:
    return dumps(
        {
            "name": i.name,
            "roles": sorted(i.roles),
            "public_key": i.public_key.hex(),
            "added_seq": i.added_seq,
            "revoked": i.revoked,
            "key_set_by": None if i.key_set_by is None else list(i.key_set_by),
        }
    )


def decode_identity(data: bytes) -> Identity:
    v = loads(data)
    set_by = v["key_set_by"]
    return Identity(
        v["name"],
        frozenset(v["roles"]),
        bytes.fromhex(v["public_key"]),
        v["added_seq"],
        v["revoked"],
        None if set_by is None else (set_by[0], set_by[1]),
    )


# -- decisions ----------------------------------------------------------------------------


def encode_decision(d: DecisionState) -> bytes:
    return dumps(
        {
            "seq": d.seq,
            "leaf_hex": d.leaf_hex,
            "time": _time(d.time),
            "model": d.model,
            "version": d.version,
            "requester": d.requester,
            "payload": d.payload,
            "policy_sha": d.policy_sha,
            "phase": d.phase,
            "approvals": [[a.approver, a.role, a.verdict, _time(a.at)] for a in d.approvals],
            "canary": d.canary,
            "canary_summary": d.canary_summary,
            "canary_started_at": _time(d.canary_started_at),
            "promoted_at": _time(d.promoted_at),
            "break_glass": d.break_glass,
            "retro_deadline": _time(d.retro_deadline),
            "retro_approved_by": d.retro_approved_by,
            "supersedes": d.supersedes,
            "rolled_back_to": d.rolled_back_to,
            "timeline": [[t.seq, t.time, t.kind, t.actor, t.summary] for t in d.timeline],
        }
    )


def decode_decision(data: bytes) -> DecisionState:
    v = loads(data)
    return DecisionState(
        seq=v["seq"],
        leaf_hex=v["leaf_hex"],
        time=parse_time(v["time"]),
        model=v["model"],
        version=v["version"],
        requester=v["requester"],
        payload=v["payload"],
        policy_sha=v["policy_sha"],
        phase=v["phase"],
        approvals=[ApprovalFact(a[0], a[1], a[2], parse_time(a[3])) for a in v["approvals"]],
        canary=v["canary"],
        canary_summary=v["canary_summary"],
        canary_started_at=_moment(v["canary_started_at"]),
        promoted_at=_moment(v["promoted_at"]),
        break_glass=v["break_glass"],
        retro_deadline=_moment(v["retro_deadline"]),
        retro_approved_by=v["retro_approved_by"],
        supersedes=v["supersedes"],
        rolled_back_to=v["rolled_back_to"],
        timeline=[TimelineEvent(*t) for t in v["timeline"]],
    )


# -- tokens, policies, keys ---------------------------------------------------------------


def encode_token(t: TokenRecord) -> bytes:
    return dumps(
        {
            "token_id": t.token_id,
            "identity": t.identity,
            "secret_sha256": t.secret_sha256,
            "issued_at": _time(t.issued_at),
            "expires_at": _time(t.expires_at),
            "revoked_at": _time(t.revoked_at),
        }
    )


def decode_token(data: bytes) -> TokenRecord:
    v = loads(data)
    issued = parse_time(v["issued_at"])
    return TokenRecord(
        v["token_id"],
        v["identity"],
        v["secret_sha256"],
        issued,
        _moment(v["expires_at"]),
        _moment(v["revoked_at"]),
    )


def encode_policy(p: LoadedPolicy) -> bytes:
    return dumps({"sha256": p.sha256, "text": p.text})


def decode_policy(data: bytes) -> LoadedPolicy:
    v = loads(data)
    return _parsed(v["sha256"], v["text"])


@lru_cache(maxsize=64)
def _parsed(sha: str, text: str) -> LoadedPolicy:
    if policy_sha256(text) != sha:
        raise VerificationError(
            f"the derived state table disagrees with the entries: policy {sha} holds text of another hash"
        )
    return load_policy_text(text, source="adopted policy")


def encode_names(names: list[str]) -> bytes:
    """key_holders: the identities that held one key, in order."""
    return dumps(list(names))


def decode_names(data: bytes) -> list[str]:
    return list(loads(data))


def encode_versions(versions: set[str]) -> bytes:
    """promoted_versions: the versions of one model ever promoted."""
    return dumps(sorted(versions))


def decode_versions(data: bytes) -> set[str]:
    return set(loads(data))


def encode_text(value: str) -> bytes:
    return dumps(value)


def decode_text(data: bytes) -> str:
    return str(loads(data))


def encode_asserted(a: AssertedEntry) -> bytes:
    return dumps([a.seq, a.kind, a.author, a.token_id])


def decode_asserted(data: bytes) -> AssertedEntry:
    return AssertedEntry(*loads(data))


def encode_reset(r: ResetKeyStatement) -> bytes:
    return dumps([r.seq, r.kind, r.author, r.admin, r.reset_seq])


def decode_reset(data: bytes) -> ResetKeyStatement:
    return ResetKeyStatement(*loads(data))
