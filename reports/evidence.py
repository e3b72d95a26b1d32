"""``evidence.json``: what a report embeds so that it can be checked without the database.

Format (UTF-8 JSON, keys sorted, two-space indent; every hash and entry in standard base64)::

    {
      "format": "release-ledger/report-evidence/2",             # or .../1 (older reports)
      "report": {"type": "release" | "audit" | "scorecard", "params": {...}},
      "origin": "<log origin>",
      "verifier_key": "<C2SP verifier key of the log>",
      "checkpoint": "<the signed checkpoint note, verbatim>",
      "entries": ["<base64 of the exact entry bytes>", ...],           # increasing seq
      "inclusion_proofs": [{"leaf_index": n, "tree_size": N, "leaf_hash": "<b64>",
                            "hashes": ["<b64>", ...]}, ...],          # one per entry, same order
      "consistency": null | {"old_checkpoint": "<note>", "old_size": n, "new_size": N,
                              "hashes": ["<b64>", ...]},
      "ledger_verification": null | {"entries": N, "root_hex": "...", "checkpoints_checked": k,
                                     "decisions_rechecked": d, "approvals_rechecked": a},
      "range": null | {"first": a, "end": N},      # format 2 only: seqs a..N-1 all embedded
      "figures": [{"name": "...", "label": "...", "value": "..."}, ...]
    }

``verify_evidence`` checks, offline: the checkpoint's signature under the verifier key the
reader supplies (and that the evidence names the same key), that every entry parses as a
canonical entry whose seq is its proof's leaf index, every inclusion proof against the
checkpoint's root, the hash chain between consecutive entries, the genesis entry's key if
it is present, and the consistency proof from an earlier checkpoint if there is one.
What the entries prove complete (``range``) and the ``ledger_verification`` block are checked
by ``reports.completeness``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ledger.errors import LedgerError
from ledger.tlog import merkle
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import GENESIS_PREV, Entry
from ledger.tlog.note import Verifier
from reports.errors import ReportVerificationError

FORMAT_1 = "release-ledger/report-evidence/1"  # no "range": completeness not proven
FORMAT = "release-ledger/report-evidence/2"
FORMATS = (FORMAT_1, FORMAT)
# formats whose evidence declares no range, so proves no entry was left out (reports.completeness)
UNPROVEN_FORMATS = frozenset({FORMAT_1})
ATTACHMENT_NAME = "evidence.json"


@dataclass(frozen=True)
class Figure:
    """A value the report prints, recomputed from the entries when the report is verified."""

    name: str
    label: str
    value: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "label": self.label, "value": self.value}


@dataclass(frozen=True)
class Evidence:
    report_type: str
    params: dict[str, Any]
    origin: str
    verifier_key: str
    checkpoint: str
    entries: list[bytes]
    inclusion_proofs: list[dict[str, Any]]
    consistency: dict[str, Any] | None = None
    ledger_verification: dict[str, Any] | None = None
    figures: list[Figure] = field(default_factory=list)
    entry_range: dict[str, Any] | None = None
    format: str = FORMAT

    def to_json(self) -> dict[str, Any]:
        # Format 1 evidence is written back exactly as it was read: without "range".
        extra = {"range": self.entry_range} if self.format != FORMAT_1 else {}
        return {
            **extra,
            "format": self.format,
            "report": {"type": self.report_type, "params": self.params},
            "origin": self.origin,
            "verifier_key": self.verifier_key,
            "checkpoint": self.checkpoint,
            "entries": [base64.b64encode(e).decode() for e in self.entries],
            "inclusion_proofs": self.inclusion_proofs,
            "consistency": self.consistency,
            "ledger_verification": self.ledger_verification,
            "figures": [f.to_json() for f in self.figures],
        }

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def _fail(problem: str, **kw: Any) -> ReportVerificationError:
    return ReportVerificationError(f"evidence.json: {problem}", **kw)


def _b64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise _fail(f"{what} is not a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(f"{what} is not standard base64") from None


def _member(data: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(name)
    if not isinstance(value, kind):
        raise _fail(f"member {name!r} is missing or of the wrong type")
    return value


def parse_evidence(raw: bytes) -> Evidence:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _fail(f"not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") not in FORMATS:
        raise _fail(f"not {' or '.join(FORMATS)} evidence")
    report = _member(data, "report", dict)
    figures = []
    for item in _member(data, "figures", list):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("name", "label", "value")
        ):
            raise _fail("a figure is not {name, label, value} strings")
        figures.append(Figure(item["name"], item["label"], item["value"]))
    consistency = data.get("consistency")
    verification = data.get("ledger_verification")
    if verification is not None and not isinstance(verification, dict):
        raise _fail("member 'ledger_verification' is not an object")
    entry_range = data.get("range")
    if entry_range is not None and not isinstance(entry_range, dict):
        raise _fail("member 'range' is not an object")
    return Evidence(
        report_type=_member(report, "type", str),
        params=_member(report, "params", dict),
        origin=_member(data, "origin", str),
        verifier_key=_member(data, "verifier_key", str),
        checkpoint=_member(data, "checkpoint", str),
        entries=[_b64(e, "an entry") for e in _member(data, "entries", list)],
        inclusion_proofs=_member(data, "inclusion_proofs", list),
        consistency=consistency if isinstance(consistency, dict) else None,
        ledger_verification=verification if isinstance(verification, dict) else None,
        figures=figures,
        entry_range=entry_range,
        format=str(data["format"]),
    )


@dataclass(frozen=True)
class CheckedEvidence:
    evidence: Evidence
    checkpoint: Checkpoint
    entries: list[Entry]
    old_checkpoint: Checkpoint | None


def _open(note: str, verifier: Verifier, what: str) -> Checkpoint:
    try:
        checkpoint = Checkpoint.open(note, verifier)
    except LedgerError as exc:
        raise _fail(f"{what} does not verify under the given verifier key: {exc}") from None
    if checkpoint.origin != verifier.name:
        raise _fail(f"{what} is for origin {checkpoint.origin!r}, the key is {verifier.name!r}")
    return checkpoint


def _check_proof(entry: Entry, proof: object, checkpoint: Checkpoint) -> None:
    if not isinstance(proof, dict):
        raise _fail("an inclusion proof is not an object", index=entry.seq)
    if proof.get("leaf_index") != entry.seq:
        raise _fail(
            "the inclusion proof is for another position than the entry's seq",
            index=entry.seq,
            expected=str(entry.seq),
            actual=str(proof.get("leaf_index")),
        )
    if proof.get("tree_size") != checkpoint.size:
        raise _fail("the inclusion proof is not against the checkpoint's tree size", index=entry.seq)
    leaf = entry.leaf_hash
    if "leaf_hash" in proof and _b64(proof["leaf_hash"], "a leaf hash") != leaf:
        raise _fail("the entry's bytes do not hash to the proof's leaf hash", index=entry.seq)
    hashes = proof.get("hashes")
    if not isinstance(hashes, list):
        raise _fail("an inclusion proof has no hashes list", index=entry.seq)
    try:
        merkle.verify_inclusion(
            entry.seq, checkpoint.size, leaf, [_b64(h, "a proof hash") for h in hashes], checkpoint.root
        )
    except LedgerError as exc:
        raise _fail(f"inclusion proof fails: {exc}", index=entry.seq) from None


def verify_evidence(
    evidence: Evidence, verifier_key: str, parsed: Sequence[Entry] | None = None
) -> CheckedEvidence:
    """Check the evidence offline against the reader's verifier key. Raises on the first problem.

    ``parsed``: the entries already parsed by ``Entry.parse`` from exactly these bytes (a report
    being generated has them), so that they are not held twice; each must carry the bytes it is
    given for."""
    try:
        verifier = Verifier.parse(verifier_key)
    except LedgerError as exc:
        raise ReportVerificationError(f"the verifier key given is not a verifier key: {exc}") from None
    checkpoint = _open(evidence.checkpoint, verifier, "the checkpoint")
    if evidence.verifier_key.strip() != verifier_key.strip():
        raise _fail("it names a different verifier key from the one given")
    if evidence.origin != checkpoint.origin:
        raise _fail(f"origin {evidence.origin!r} is not the checkpoint's {checkpoint.origin!r}")
    if not evidence.entries:
        raise _fail("it holds no entries")
    if len(evidence.entries) != len(evidence.inclusion_proofs):
        raise _fail(f"{len(evidence.entries)} entries but {len(evidence.inclusion_proofs)} inclusion proofs")
    entries: list[Entry] = []
    if parsed is not None and len(parsed) != len(evidence.entries):
        raise _fail(f"{len(parsed)} parsed entries given for {len(evidence.entries)}")
    for position, data in enumerate(evidence.entries):
        entry = _parsed(data, position, parsed)
        if entries and entry.seq <= entries[-1].seq:
            raise _fail("entries are not in increasing seq order", index=entry.seq)
        _check_proof(entry, evidence.inclusion_proofs[position], checkpoint)
        if entry.seq == 0 and entry.prev != GENESIS_PREV:
            raise _fail("the first entry does not start the chain", index=0)
        if entries and entries[-1].seq == entry.seq - 1 and entry.prev != entries[-1].leaf_hash.hex():
            raise _fail(
                "chain link broken: prev is not the leaf hash of the entry before",
                index=entry.seq,
                expected=entries[-1].leaf_hash.hex(),
                actual=entry.prev,
            )
        if entry.seq == 0 and entry.payload.get("verifier_key") != verifier_key.strip():
            raise _fail("the genesis entry names a different verifier key", index=0)
        entries.append(entry)
    old = _check_consistency(evidence.consistency, verifier, checkpoint)
    return CheckedEvidence(evidence, checkpoint, entries, old)


def _parsed(data: bytes, position: int, parsed: Sequence[Entry] | None) -> Entry:
    if parsed is not None and parsed[position].data == data:
        return parsed[position]
    try:
        return Entry.parse(data)
    except LedgerError as exc:
        raise _fail(f"entry {position} in the list does not parse: {exc}") from None


def _check_consistency(
    consistency: dict[str, Any] | None, verifier: Verifier, checkpoint: Checkpoint
) -> Checkpoint | None:
    if consistency is None:
        return None
    old = _open(str(consistency.get("old_checkpoint", "")), verifier, "the earlier checkpoint")
    if consistency.get("old_size") != old.size or consistency.get("new_size") != checkpoint.size:
        raise _fail("the consistency proof's sizes are not the two checkpoints' sizes")
    hashes = consistency.get("hashes")
    if not isinstance(hashes, list):
        raise _fail("the consistency proof has no hashes list")
    try:
        merkle.verify_consistency(
            old.size, checkpoint.size, old.root, checkpoint.root, [_b64(h, "a proof hash") for h in hashes]
        )
    except LedgerError as exc:
        raise _fail(f"the consistency proof from the earlier checkpoint fails: {exc}") from None
    return old
