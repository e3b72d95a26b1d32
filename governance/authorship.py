"""Who authorised an entry, and what it is about (docs/formats.md §4).

From ledger format 4, authority comes only from personal signatures: every statement carries
its author's Ed25519 signature over the statement envelope, by the key the log registered for
them at that point. A token attestation (``"attestation": {"token": "<id>"}``), which formats
1 to 3 accepted for actions taken through the HTTP API, is only the server's word that it
authenticated someone: a token id is public in its ``token.issued`` entry, so whoever runs
the server can write one. From format 4 it is refused; in older ledgers it is still accepted,
as those ledgers were written, but recorded in :attr:`GovernanceState.asserted` so that
verification lists it as asserted by the operator rather than accepting it silently.
"""

from __future__ import annotations

from governance.actions import Release
from governance.formats import PERSONAL_SIGNATURES
from governance.state import AssertedEntry, DecisionState, GovernanceState, ResetKeyStatement
from governance.statements import check_statement
from governance.tokens import TokenRecord
from ledger.errors import RefusedError, SignatureRefusedError
from ledger.tlog.entry import Entry, parse_time

# The server never held approvers' keys, so an approval was only ever what its approver signed.
SIGNATURE_ONLY = frozenset({"release.approval", "token.issued", "token.revoked"})


def check_authorship(state: GovernanceState, entry: Entry, author: str) -> None:
    """The entry was made by ``author``: by their signature (every format) or, before format
    4, by an attestation naming a token they held then, which is recorded as asserted.

    Raises SignatureRefusedError naming what is missing or wrong.
    """
    p = entry.payload
    signed = "signature" in p
    if state.format >= PERSONAL_SIGNATURES and ("attestation" in p or not signed):
        raise SignatureRefusedError(
            f"the {entry.kind} entry is not signed by {author}: from ledger format "
            f"{PERSONAL_SIGNATURES} only its author's own signature authorises an entry, and a "
            "token attestation is not evidence",
            rule="signature",
        )
    if signed:
        who = state.identity(author)
        check_statement(entry.kind, p, who.public_key, author, origin=state.statement_origin())
        if who.key_set_by is not None:
            admin, reset_seq = who.key_set_by
            state.on_reset_keys.append(ResetKeyStatement(entry.seq, entry.kind, author, admin, reset_seq))
        return
    _check_attestation(state, entry, author)


def _check_attestation(state: GovernanceState, entry: Entry, author: str) -> None:
    attestation = entry.payload.get("attestation")
    if entry.kind in SIGNATURE_ONLY or not isinstance(attestation, dict):
        raise SignatureRefusedError(f"the {entry.kind} statement carries no signature", rule="signature")
    token_id = str(attestation.get("token"))
    record: TokenRecord | None = state.tokens.get(token_id)
    if record is None or record.identity != author:
        raise SignatureRefusedError(f"the attesting token was not issued to {author}", rule="token")
    if not record.valid_at(parse_time(entry.time)):
        raise SignatureRefusedError("the attesting token was not valid at the entry's time", rule="token")
    state.identity(author)
    state.asserted.append(AssertedEntry(entry.seq, entry.kind, author, token_id))


def check_subject(state: GovernanceState, entry: Entry, d: DecisionState) -> None:
    """From format 4, a statement about a release names it by ``model`` and ``version`` as
    well as by the decision's entry hash, and the two must agree. Raises RefusedError."""
    if state.format < PERSONAL_SIGNATURES:
        return
    named = (entry.payload.get("model"), entry.payload.get("version"))
    if named != (d.model, d.version):
        raise RefusedError(
            f"the statement names {named[0]}@{named[1]}, but decision {d.leaf_hex[:12]} is {d.ref}",
            rule=entry.kind,
        )


def release_subject(state: GovernanceState, d: DecisionState) -> Release:
    """How a statement written now names ``d``: by entry hash, plus model and version from
    format 4."""
    if state.format < PERSONAL_SIGNATURES:
        return Release(d.leaf_hex)
    return Release(d.leaf_hex, d.model, d.version)
