"""The policy in force: adopting a new one, and what a change would do to recorded decisions.

(Named so as not to shadow the top-level ``policies`` package, which it uses.)"""

from __future__ import annotations

from typing import Any

from governance import actions
from governance.record import DECISION_KIND
from governance.statements import signed_part
from ledger.scoring.input import parse_request
from ledger.tlog.entry import Entry
from ledger.tlog.note import Ed25519Signer
from policies.evaluate import evaluate_request
from policies.loader import LoadedPolicy
from services.governed import GovernedLog


class PolicyAdmin:
    """Adopting policies and comparing two of them over the recorded decisions."""

    def __init__(self, log: GovernedLog) -> None:
        self.log = log

    def adopt(self, loaded: LoadedPolicy, actor: str, key: Ed25519Signer) -> Entry:
        """Record ``loaded`` (its full text and SHA-256) as the policy new decisions are scored
        by, signed by the adopting admin's ``key``."""
        p = loaded.policy
        payload = actions.policy_adopted(p.policy_id, p.version, loaded.sha256, loaded.text, actor)
        return self.log.act("policy.adopted", payload, key)

    def append_signed(self, statement: dict[str, Any]) -> Entry:
        """Append a ``policy.adopted`` statement its admin signed elsewhere (the HTTP API);
        checked exactly as one signed here."""
        return self.log.append_statement("policy.adopted", statement)

    def diff(self, old: LoadedPolicy, new: LoadedPolicy) -> list[dict[str, Any]]:
        """Recorded decisions whose outcome differs between two policies, and how.

        Each item: ``decision`` (MODEL@VERSION), ``hash`` (leaf hash, hex) and ``changes``,
        ``{field: {"old": ..., "new": ...}}`` for the outcome fields that differ.
        """
        changed = []
        for d in self.log.state().decisions.values():
            request = parse_request(signed_part(DECISION_KIND, d.payload))
            before = evaluate_request(old, request, refuse=False).outcome()
            after = evaluate_request(new, request, refuse=False).outcome()
            if before != after:
                changes = {k: {"old": before[k], "new": after[k]} for k in before if before[k] != after[k]}
                changed.append({"decision": d.ref, "hash": d.leaf_hex, "changes": changes})
        return changed
