"""A decision read from an API server without trusting it.

The server (and whoever operates it) only points: it names a seq. What the approver is
shown and signs comes from the entry's exact bytes, which must be included (RFC 9162
§2.1.3.2) in a checkpoint signed by the log's key (C2SP tlog-checkpoint), a key the
approver got from somewhere the server does not control (``rledger key``, published once).
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ledger.errors import FormatError, InputError, NotFoundError, RefusedError, VerificationError
from ledger.tlog import merkle
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import Entry
from ledger.tlog.note import Verifier
from services.decisions import RecordedDecision
from services.ports import DecisionRef

if TYPE_CHECKING:
    import httpx

_HEX_PREFIX = re.compile(r"^[0-9a-f]{4,64}$")


def read_log_key(path: Path) -> Verifier:
    """The log's verifier key (``name+keyid+base64key``, what ``rledger key`` prints) from
    ``path``. Raises InputError if the file cannot be read or is not a verifier key."""
    try:
        return Verifier.parse(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--log-key {path}: cannot read it: {exc}") from None
    except FormatError as exc:
        raise InputError(f"--log-key {path}: {exc}") from None


def answer_json(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a successful answer. Raises NotFoundError on 404 and RefusedError
    on any other status of 400 or more, with the server's problem detail."""
    if response.status_code == 404:
        raise NotFoundError(_detail(response) or "not found")
    if response.status_code >= 400:
        raise RefusedError(f"the server answered {response.status_code}: {_detail(response)}", rule="server")
    try:
        data = response.json()
    except ValueError:
        raise FormatError(f"the server answered {response.status_code} with no JSON") from None
    if not isinstance(data, dict):
        raise FormatError(f"the server answered {type(data).__name__}, not a JSON object")
    return data


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except (ValueError, AttributeError):
        return response.text


def proven_decision(client: httpx.Client, verifier: Verifier, decision_id: str) -> RecordedDecision:
    """The decision ``decision_id`` (``MODEL@VERSION`` or a hash prefix) names, read from its
    entry's bytes, once an inclusion proof ties them to a checkpoint ``verifier`` signed.

    Raises VerificationError if the checkpoint, the proof or the entry does not hold up, and
    InputError, NotFoundError or RefusedError as the request or the server's answers do.
    """
    seq = _claimed_seq(answer_json(client.get(f"/v1/decisions/{quote(decision_id, safe='@')}")))
    entry = proven_entry(client, verified_checkpoint(client, verifier), seq)
    check_named(entry, decision_id)
    p = entry.payload
    return RecordedDecision(DecisionRef(seq, p["model"], p["version"], entry.leaf_hash.hex()), entry)


def verified_checkpoint(client: httpx.Client, verifier: Verifier) -> Checkpoint:
    """The server's latest checkpoint, opened with ``verifier``: its signature must verify and
    its origin must be the key's name. Raises VerificationError otherwise."""
    response = client.get("/v1/checkpoint")
    if response.status_code >= 400:
        answer_json(response)  # raises with the server's detail
    try:
        checkpoint = Checkpoint.open(response.text, verifier)
    except (FormatError, VerificationError) as exc:
        raise VerificationError(f"the server's checkpoint is not signed by the --log-key: {exc}") from None
    if checkpoint.origin != verifier.name:
        raise VerificationError(
            "the server's checkpoint is for another log", expected=verifier.name, actual=checkpoint.origin
        )
    return checkpoint


def proven_entry(client: httpx.Client, checkpoint: Checkpoint, seq: int) -> Entry:
    """Entry ``seq``, read as exact bytes and proven included in ``checkpoint``.
    Raises VerificationError if the bytes or the proof do not hold up."""
    entry = _entry_at(client, seq)
    verify_included(client, entry, checkpoint)
    return entry


def verify_included(client: httpx.Client, entry: Entry, checkpoint: Checkpoint) -> None:
    """Check ``entry`` is in the tree ``checkpoint`` signed, with the leaf hash computed here
    from its bytes (never the one the server sends). Raises VerificationError otherwise."""
    if entry.seq >= checkpoint.size:
        raise VerificationError(
            f"the server's checkpoint (size {checkpoint.size}) does not cover that entry", index=entry.seq
        )
    proof = answer_json(
        client.get("/v1/proofs/inclusion", params={"index": entry.seq, "size": checkpoint.size})
    )
    try:
        hashes = [base64.b64decode(h, validate=True) for h in proof["hashes"]]
    except (KeyError, TypeError, binascii.Error):
        raise VerificationError("the server's inclusion proof is malformed", index=entry.seq) from None
    try:
        merkle.verify_inclusion(entry.seq, checkpoint.size, entry.leaf_hash, hashes, checkpoint.root)
    except VerificationError as exc:
        raise VerificationError(
            f"the entry the server sent is not in the signed checkpoint: {exc}", index=entry.seq
        ) from None


def check_named(entry: Entry, decision_id: str) -> None:
    """Check ``entry`` is the ``release.decision`` that ``decision_id`` names: its
    model@version, or a leaf hash starting with the prefix. Raises VerificationError."""
    if entry.kind != "release.decision":
        raise VerificationError(
            f"the server pointed at a {entry.kind} entry, not a decision", index=entry.seq
        )
    p = entry.payload
    if "@" in decision_id:
        named = f"{p.get('model')}@{p.get('version')}"
        if named != decision_id:
            raise VerificationError(
                "the server pointed at another decision", index=entry.seq, expected=decision_id, actual=named
            )
        return
    prefix, leaf_hex = decision_id.lower(), entry.leaf_hash.hex()
    if not _HEX_PREFIX.match(prefix):
        raise InputError(f"{decision_id!r} is neither MODEL@VERSION nor a hex hash prefix of 4+ digits")
    if not leaf_hex.startswith(prefix):
        raise VerificationError(
            "the server pointed at another decision",
            index=entry.seq,
            expected=f"a hash starting {prefix}",
            actual=leaf_hex,
        )


def _claimed_seq(decision: dict[str, Any]) -> int:
    seq = decision.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise VerificationError(f"the server named no valid entry for the decision (seq {seq!r})")
    return seq


def _entry_at(client: httpx.Client, seq: int) -> Entry:
    """Entry ``seq``'s exact bytes, parsed; they must say they are entry ``seq``."""
    response = client.get(f"/v1/entries/{seq}")
    if response.status_code >= 400:
        answer_json(response)  # raises with the server's detail
    try:
        entry = Entry.parse(response.content)
    except FormatError as exc:
        raise VerificationError(f"the server's entry is not a well-formed entry: {exc}", index=seq) from None
    if entry.seq != seq:
        raise VerificationError("the server sent another entry", expected=str(seq), actual=str(entry.seq))
    return entry
