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

This module reads the ledger-wide entries (genesis, identities, policies) itself; a
decision's life is :mod:`reports.lifecycle_facts`. The facts' shapes live in
:mod:`reports.ledger_facts` and :mod:`reports.decision_facts` and are named here too, so a
report imports what it reads from one place.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import datetime

from ledger.tlog.entry import Entry, parse_time
from policies.loader import load_policy_text
from reports.decision_facts import ApprovalFacts, DecisionFacts, EventFacts
from reports.ledger_facts import IdentityFacts, LedgerFacts, PolicyFacts, key_id
from reports.lifecycle_facts import record_decision, record_lifecycle

__all__ = [
    "DECISION",
    "GENESIS_KIND",
    "IDENTITY_KINDS",
    "LIFECYCLE_KINDS",
    "POLICY_KIND",
    "ApprovalFacts",
    "DecisionFacts",
    "EventFacts",
    "IdentityFacts",
    "LedgerFacts",
    "PolicyFacts",
    "entry_datetime",
    "fold",
    "key_id",
]

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


def fold(entries: Iterable[Entry]) -> LedgerFacts:
    """Read entries (in increasing seq order) into facts. Pure: no database, no clock.

    Raises :class:`ValueError` when the entries are out of order.
    """
    facts = LedgerFacts()
    last = -1
    for entry in entries:
        if entry.seq <= last:
            raise ValueError("entries must be given in increasing seq order")
        last = entry.seq
        _apply(facts, entry)
    return facts


def entry_datetime(entry_time: str) -> datetime:
    """An entry's ``time`` (RFC 3339 UTC text ending in ``Z``) as a UTC datetime.

    Raises :class:`ledger.errors.FormatError` (via :func:`ledger.tlog.entry.parse_time`).
    """
    return parse_time(entry_time)


def _apply(facts: LedgerFacts, entry: Entry) -> None:
    facts.entries[entry.seq] = entry
    kind = entry.kind
    if kind == GENESIS_KIND:
        facts.origin = str(entry.payload.get("origin", ""))
        facts.genesis_verifier_key = str(entry.payload.get("verifier_key", ""))
        declared = entry.payload.get("format", 1)
        facts.format = declared if isinstance(declared, int) and not isinstance(declared, bool) else 1
    elif kind in IDENTITY_KINDS:
        _identity(facts, entry)
    elif kind == POLICY_KIND:
        _policy(facts, entry)
    elif kind == DECISION:
        record_decision(facts, entry)
    elif kind in LIFECYCLE_KINDS:
        record_lifecycle(facts, entry)


def _identity(facts: LedgerFacts, entry: Entry) -> None:
    p = entry.payload
    name = str(p.get("name", ""))
    who = facts.identities.get(name)
    if entry.kind == "identity.added":
        who = IdentityFacts(name, tuple(str(r) for r in p.get("roles", [])))
        facts.identities[name] = who
    if who is None:  # a rotation or revocation of someone whose addition is not folded
        return
    if entry.kind in ("identity.added", "identity.key_rotated"):
        key = _decode_key(p.get("public_key"))
        if key is not None:
            who.keys.append((entry.seq, key))
    elif entry.kind == "identity.revoked":
        who.revoked_seq = entry.seq


def _decode_key(text: object) -> bytes | None:
    """A raw 32-byte Ed25519 key from its base64 text, or None when it is not one."""
    try:
        raw = base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def _policy(facts: LedgerFacts, entry: Entry) -> None:
    p = entry.payload
    loaded = load_policy_text(str(p["text"]), source=f"entry {entry.seq}")
    facts.policies[loaded.sha256] = PolicyFacts(entry.seq, entry.time, str(p.get("actor")), loaded)
    facts.policy_order.append(loaded.sha256)
