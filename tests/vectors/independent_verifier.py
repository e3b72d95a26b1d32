"""An offline verifier written from docs/formats.md alone, without importing ``ledger``.

It uses only the standard library and ``cryptography`` (for Ed25519), so that it shows the
specification is enough to check a Release Ledger export: every entry's bytes, the hash
chain, the Merkle root, the signed checkpoint, inclusion and consistency proofs, every
statement's signature (over the statement envelope from format 4), the subject of every
statement about a release, and the arithmetic of every decision's assessment.
``test_vectors.py`` runs it on the committed vectors; auditors can run it by hand:

    python tests/vectors/independent_verifier.py EXPORT.jsonl CHECKPOINT.txt VERIFIER.key
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ZERO_PREV = "0" * 64
MAX_SAFE = 2**53 - 1
# Patterns match whole strings (fullmatch), and [0-9] is ASCII only.
TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?Z")
KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
CHECKPOINT_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
EM_DASH = "\u2014 "


class Invalid(Exception):
    """The evidence does not verify."""


@dataclass(frozen=True)
class Key:
    name: str
    key_id: bytes
    public: Ed25519PublicKey


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


# -- hashing (RFC 9162 section 2.1) ----------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes: k is the largest power of two smaller than n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(tree_root(leaves[:k]), tree_root(leaves[k:]))


# -- keys and signed notes ---------------------------------------------------------------------


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + b"\x01" + public).digest()[:4]


def parse_verifier_key(text: str) -> Key:
    parts = text.strip().split("+", 2)  # the base64 part may itself hold "+"
    if len(parts) != 3:
        raise Invalid("a verifier key is name+keyid+base64key")
    name, hex_id, encoded = parts
    raw = b64(encoded)
    if len(raw) != 33 or raw[0] != 0x01:
        raise Invalid("not an Ed25519 verifier key")
    if key_id(name, raw[1:]).hex() != hex_id:
        raise Invalid("key ID does not match")
    return Key(name, bytes.fromhex(hex_id), Ed25519PublicKey.from_public_bytes(raw[1:]))


def open_checkpoint(note: str, key: Key) -> Checkpoint:
    """Check the note's signature by ``key`` and parse the checkpoint body it signs."""
    split = note.rfind("\n\n")
    if split < 0:
        raise Invalid("no blank line before the signatures")
    body, block = note[: split + 1], note[split + 2 :]
    if not body.endswith("\n") or not block.endswith("\n"):
        raise Invalid("the text and the signature block must each end with a newline")
    signed = False
    for line in block[:-1].split("\n"):
        if not line.startswith(EM_DASH):
            raise Invalid(f"bad signature line {line!r}")
        name, _, encoded = line[len(EM_DASH) :].partition(" ")
        raw = b64(encoded)
        if name != key.name or raw[:4] != key.key_id:
            continue  # someone else's signature: ignored
        try:
            key.public.verify(raw[4:], body.encode())
        except InvalidSignature:
            raise Invalid("checkpoint signature does not verify") from None
        signed = True
    if not signed:
        raise Invalid("no signature by the verifier key")
    lines = body.split("\n")
    if len(lines) < 4 or not CHECKPOINT_SIZE.fullmatch(lines[1]):
        raise Invalid("not a checkpoint body")
    root = b64(lines[2])
    if len(root) != 32:
        raise Invalid("checkpoint root is not 32 bytes")
    if lines[0] != key.name:
        raise Invalid("checkpoint origin is not the key name")
    return Checkpoint(lines[0], int(lines[1]), root)


# -- entries -----------------------------------------------------------------------------------


def check_value_space(value: Any) -> None:
    if isinstance(value, float):
        raise Invalid("floats are not allowed")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE:
        raise Invalid("integer beyond 2**53-1")
    if isinstance(value, dict):
        for member, item in value.items():
            if not member.isascii():
                raise Invalid("non-ASCII object key")
            check_value_space(item)
    if isinstance(value, list):
        for item in value:
            check_value_space(item)


def canonical(value: Any) -> bytes:
    """RFC 8785 bytes, for the value space entries hold (ASCII keys, no floats)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check_entries(export: bytes) -> list[bytes]:
    """Check every line of an export file; return the leaf hashes in seq order."""
    if export and not export.endswith(b"\n"):
        raise Invalid("the export does not end with a newline")
    leaves: list[bytes] = []
    prev = ZERO_PREV
    for seq, data in enumerate(export.split(b"\n")[:-1]):
        try:
            value = json.loads(data, parse_constant=_refuse)
        except ValueError:
            raise Invalid(f"entry {seq} is not JSON") from None
        check_value_space(value)
        if canonical(value) != data:
            raise Invalid(f"entry {seq} is not canonical")
        if not isinstance(value, dict) or sorted(value) != ["kind", "payload", "prev", "seq", "time"]:
            raise Invalid(f"entry {seq} does not have exactly kind, payload, prev, seq, time")
        if value["seq"] != seq or isinstance(value["seq"], bool):
            raise Invalid(f"entry {seq} has seq {value['seq']}")
        if value["prev"] != prev:
            raise Invalid(f"entry {seq} does not link to the entry before")
        if not isinstance(value["time"], str) or not _is_time(value["time"]):
            raise Invalid(f"entry {seq} has a bad time")
        if not isinstance(value["kind"], str) or not KIND.fullmatch(value["kind"]):
            raise Invalid(f"entry {seq} has a bad kind")
        if not isinstance(value["payload"], dict):
            raise Invalid(f"entry {seq} payload is not an object")
        leaf = leaf_hash(data)
        leaves.append(leaf)
        prev = leaf.hex()
    return leaves


def _is_time(text: str) -> bool:
    """The time pattern, naming a real instant (no month 13, no February 30)."""
    if not TIME.fullmatch(text):
        return False
    try:
        datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True


def _instant(text: str) -> datetime:
    """A time of the entry format (section 3.4) as a datetime, for comparing instants."""
    return datetime.fromisoformat(text[:-1])


def _refuse(constant: str) -> None:
    raise ValueError(constant)


def verify(export: bytes, note: str, verifier_key: str) -> tuple[int, bytes]:
    """Offline verification of an export against one signed checkpoint; (size, root) of the export."""
    key = parse_verifier_key(verifier_key)
    checkpoint = open_checkpoint(note, key)
    leaves = check_entries(export)
    if checkpoint.size > len(leaves):
        raise Invalid("the checkpoint covers more entries than the export holds")
    if tree_root(leaves[: checkpoint.size]) != checkpoint.root:
        raise Invalid("the entries do not hash to the checkpoint's root")
    return len(leaves), tree_root(leaves)


# -- proofs (RFC 9162 sections 2.1.3.2 and 2.1.4.2) ---------------------------------------------


def _hashes(*values: bytes) -> None:
    if any(len(value) != 32 for value in values):
        raise Invalid("a hash is not 32 bytes")


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> None:
    if not 0 <= index < size:
        raise Invalid("index outside the tree")
    _hashes(leaf, root, *path)
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Invalid("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise Invalid("inclusion proof does not reach the root")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]) -> None:
    if not 0 < old <= new:
        raise Invalid("sizes out of order (or old size 0)")
    if old == new:
        if path or old_root != new_root:
            raise Invalid("equal sizes need an empty proof and equal roots")
        return
    if not path:
        raise Invalid("empty proof between different sizes")
    _hashes(old_root, new_root, *path)
    nodes = [old_root, *path] if old & (old - 1) == 0 else list(path)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            raise Invalid("consistency proof too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise Invalid("consistency proof does not reproduce both roots")


# -- signed statements (formats.md sections 4 and 5) -----------------------------------------

COMPUTED = {"release.decision": {"policy", "assessment", "requirements", "rules_fired"}}
SIGNER = {"release.approval": "approver", "release.decision": "requested_by"}
# Formats 1 to 3 only: kinds an API token's attestation may author instead of a signature (the
# first identity.added, which registers the first key, can only be signed). From format 4 no
# kind may: an attestation is refused wherever it appears.
ATTESTABLE = {
    "identity.added",
    "identity.key_rotated",
    "identity.revoked",
    "policy.adopted",
    "release.decision",
    "release.canary_started",
    "release.canary_result",
    "release.promoted",
    "release.rolled_back",
}
# The statements about a release: from format 4 they name it by model and version too.
SUBJECT_KINDS = {
    "release.approval",
    "release.canary_started",
    "release.canary_result",
    "release.promoted",
    "release.rolled_back",
}
KNOWN_FORMATS = (2, 3, 4)  # as declared by ledger.init; format 1 is declared by leaving it out
PERSONAL_SIGNATURES = 4
STATEMENT_CONTEXT = "release-ledger/statement"


@dataclass(frozen=True)
class Asserted:
    """An entry of a format-1 to -3 ledger authorised by a token attestation: the operator's
    word that ``author`` acted, with no signature of theirs behind it."""

    seq: int
    kind: str
    author: str
    token: str


@dataclass
class Authorship:
    """What :func:`check_authorship` found: the number of statements checked, and the entries
    that only the operator asserts (formats 1 to 3)."""

    checked: int
    asserted: list[Asserted]


def signed_message(kind: str, payload: dict[str, Any], ledger_format: int, origin: str) -> bytes:
    """The bytes a statement's author signs (section 4): the canonical signed part for formats
    1 to 3; from format 4, the canonical statement envelope around it."""
    skip = COMPUTED.get(kind, set()) | {"signature", "attestation"}
    part = {k: v for k, v in payload.items() if k not in skip}
    if ledger_format < PERSONAL_SIGNATURES:
        return canonical(part)
    return canonical({"context": STATEMENT_CONTEXT, "kind": kind, "origin": origin, "payload": part})


def check_statements(export: bytes) -> int:
    """The number of statements whose authorship holds (see :func:`check_authorship`)."""
    return check_authorship(export).checked


def check_authorship(export: bytes) -> Authorship:
    """Check every statement's authorship: a signature under the key its author had registered
    at that point, over the bytes of the ledger's format; or, in formats 1 to 3 only, an
    attestation by an API token issued to the author and valid then, which is listed as
    asserted by the operator. From format 4 an attestation is refused, naming the entry.

    Also checks that each adopted policy's text hashes to its ``sha256`` and that decisions
    and promotions name an adopted policy, the format-2 time rules, the format-3 rule of one
    person, one identity (names and keys), and the format-4 subject of every statement about
    a release. (Roles, separation of duties, freezes and the lifecycle are further rules, not
    re-checked here.)
    """
    keys: dict[str, bytes] = {}
    revoked: set[str] = set()
    policies: set[str] = set()
    tokens: dict[str, dict[str, Any]] = {}
    subjects: dict[str, tuple[str, str]] = {}  # decision leaf hash (hex) -> (model, version)
    timing = _Timing()
    people = _People()
    origin = ""
    found = Authorship(0, [])
    for line in export.split(b"\n")[:-1]:
        value = json.loads(line)
        kind, payload, seq = value["kind"], value["payload"], value["seq"]
        if kind == "ledger.init":
            if seq != 0:
                raise Invalid("ledger.init after the first entry")
            timing.format, origin = _declared_format(payload), payload["origin"]
            continue
        timing.check(kind, payload, seq, value["time"], line)
        if timing.format >= 3:
            people.check(kind, payload, seq)
        _check_subject(kind, payload, seq, timing.format, subjects)
        author = payload[SIGNER.get(kind, "actor")]
        if kind == "identity.added" and not keys:
            if author != payload["name"] or "admin" not in payload["roles"]:
                raise Invalid("the first identity must be an admin registering itself")
            keys[author] = b64(payload["public_key"])
        if author not in keys or author in revoked:
            raise Invalid(f"entry {seq}: {author} is not a registered identity")
        if timing.format >= PERSONAL_SIGNATURES and "attestation" in payload:
            raise Invalid(
                f"entry {seq}: the {kind} entry carries a token attestation; from format 4 only "
                "its author's own signature authorises an entry"
            )
        if "signature" in payload:
            message = signed_message(kind, payload, timing.format, origin)
            try:
                Ed25519PublicKey.from_public_bytes(keys[author]).verify(b64(payload["signature"]), message)
            except InvalidSignature:
                raise Invalid(f"entry {seq}: the {kind} signature does not verify") from None
        elif kind in ATTESTABLE and timing.format < PERSONAL_SIGNATURES:
            token = _check_attestation(tokens, payload.get("attestation"), author, value["time"], seq)
            found.asserted.append(Asserted(seq, kind, author, token))
        else:
            raise Invalid(f"entry {seq}: the {kind} statement carries no signature")
        _apply(kind, payload, seq, value["time"], keys, revoked, policies, tokens)
        if kind == "release.decision":
            subjects[leaf_hash(line).hex()] = (payload["model"], payload["version"])
        found.checked += 1
    return found


def _declared_format(payload: dict[str, Any]) -> int:
    """The format ledger.init declares (section 5.1): absent means 1."""
    if "format" not in payload:
        return 1
    declared = payload["format"]
    if isinstance(declared, bool) or declared not in KNOWN_FORMATS:
        raise Invalid(f"entry 0: ledger format {declared!r} is not one this verifier knows")
    return int(declared)


def _check_subject(
    kind: str, payload: dict[str, Any], seq: int, ledger_format: int, subjects: dict[str, tuple[str, str]]
) -> None:
    """From format 4, a statement about a release names the decision's model and version
    (section 5.4); before it, those members are not part of such a statement."""
    if kind not in SUBJECT_KINDS:
        return
    if ledger_format < PERSONAL_SIGNATURES:
        if "model" in payload or "version" in payload:
            raise Invalid(f"entry {seq}: a {kind} names model and version only from format 4")
        return
    recorded = subjects.get(payload["decision"])
    if recorded is None:
        raise Invalid(f"entry {seq}: the {kind} names no recorded decision")
    named = (payload.get("model"), payload.get("version"))
    if named != recorded:
        ref = "@".join(recorded)
        raise Invalid(f"entry {seq}: the {kind} names {named[0]}@{named[1]}, but its decision is {ref}")


class _Timing:
    """The format-2 time rules of formats.md section 10.2: no decision instant later than the
    entry's time plus five minutes, and no canary result before the tier's canary window."""

    SKEW = timedelta(minutes=5)

    def __init__(self) -> None:
        self.format = 1
        self.windows: dict[str, int | None] = {}  # decision leaf hash (hex) -> canary_window_hours
        self.started: dict[str, datetime] = {}

    def check(self, kind: str, payload: dict[str, Any], seq: int, time: str, line: bytes) -> None:
        if self.format < 2:
            return
        moment = _instant(time)
        if kind == "release.decision":
            for section, name in (("rollback", "rehearsed_at"), ("evidence", "evaluated_at")):
                instant = payload.get(section, {}).get(name)
                if instant is not None and _instant(instant) > moment + self.SKEW:
                    raise Invalid(f"entry {seq}: {section}.{name} is in the future")
            leaf = leaf_hash(line).hex()
            self.windows[leaf] = payload["requirements"]["rollout"].get("canary_window_hours")
        elif kind == "release.canary_started":
            self.started[payload["decision"]] = moment
        elif kind == "release.canary_result":
            hours = self.windows.get(payload["decision"])
            started = self.started.get(payload["decision"])
            if hours is not None and started is not None and moment < started + timedelta(hours=hours):
                raise Invalid(f"entry {seq}: a canary result inside the {hours}-hour canary window")


class _People:
    """The format-3 identity rules of formats.md section 10.2: one person, one identity. Names
    are compared after Unicode NFKC and case folding, and a public key is registered to at most
    one identity, ever (rotations included)."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.keys: set[bytes] = set()

    def check(self, kind: str, payload: dict[str, Any], seq: int) -> None:
        if kind == "identity.added":
            folded = unicodedata.normalize("NFKC", payload["name"]).casefold()
            if folded in self.names:
                raise Invalid(f"entry {seq}: the name {payload['name']} is already registered")
            self.names.add(folded)
        if kind in ("identity.added", "identity.key_rotated"):
            key = b64(payload["public_key"])
            if key in self.keys:
                raise Invalid(f"entry {seq}: the key is already registered to an identity")
            self.keys.add(key)


def _check_attestation(
    tokens: dict[str, dict[str, Any]], attestation: Any, author: str, time: str, seq: int
) -> str:
    """The id of the token a format-1 to -3 attestation names, once it holds (section 4.4)."""
    token_id = str(attestation.get("token")) if isinstance(attestation, dict) else ""
    token = tokens.get(token_id)
    if token is None or token["identity"] != author:
        raise Invalid(f"entry {seq}: not attested by a token issued to {author}")
    moment = _instant(time)
    expired = token["expires_at"] is not None and moment >= _instant(token["expires_at"])
    if expired or (token["revoked_at"] is not None and moment >= _instant(token["revoked_at"])):
        raise Invalid(f"entry {seq}: the attesting token was not valid at the entry's time")
    return token_id


def _apply(
    kind: str,
    payload: dict[str, Any],
    seq: int,
    time: str,
    keys: dict[str, bytes],
    revoked: set[str],
    policies: set[str],
    tokens: dict[str, dict[str, Any]],
) -> None:
    """What a statement changes that later authorship checks depend on."""
    if kind in ("identity.added", "identity.key_rotated"):
        keys[payload["name"]] = b64(payload["public_key"])
    elif kind == "identity.revoked":
        revoked.add(payload["name"])
    elif kind == "token.issued":
        record = {
            "identity": payload["identity"],
            "expires_at": payload.get("expires_at"),
            "revoked_at": None,
        }
        tokens[payload["token_id"]] = record
    elif kind == "token.revoked":
        tokens[payload["token_id"]]["revoked_at"] = time
    elif kind == "policy.adopted":
        if hashlib.sha256(payload["text"].encode()).hexdigest() != payload["sha256"]:
            raise Invalid(f"entry {seq}: the policy text does not hash to its sha256")
        policies.add(payload["sha256"])
    elif kind == "release.decision" and payload["policy"]["sha256"] not in policies:
        raise Invalid(f"entry {seq}: the decision names a policy never adopted")
    elif kind == "release.promoted" and payload["policy_sha256"] not in policies:
        raise Invalid(f"entry {seq}: the promotion names a policy never adopted")


# -- the release.decision assessment (docs/scoring.md), for the seed-default parameters -------------

PARITY, GREEN_MARGIN, LOW_BELOW, MEDIUM_BELOW = Decimal(100), Decimal(5), Decimal(30), Decimal(70)
SUBSCORES = ("performance", "reliability", "cost", "safety")
FACTORS = ("change_size", "regression_surface", "test_coverage", "incident_history", "observability_gaps")
PROFILES = {
    "default": ("0.35", "0.30", "0.20", "0.15"),
    "regulated": ("0.25", "0.25", "0.15", "0.35"),
    "batch": ("0.25", "0.20", "0.40", "0.15"),
}
RISK_WEIGHTS = dict(zip(FACTORS, ("0.25", "0.25", "0.20", "0.15", "0.15"), strict=True))
DECIMAL = re.compile(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,12})?")
TIERS = ("low", "medium", "high")


def number(text: str) -> Decimal:
    """Read a decimal string, refusing anything not in normal form."""
    if not isinstance(text, str) or not DECIMAL.fullmatch(text) or decimal_text(Decimal(text)) != text:
        raise Invalid(f"{text!r} is not a decimal string in normal form")
    return Decimal(text)


def decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _expect(what: str, recorded: object, computed: object) -> None:
    if recorded != computed:
        raise Invalid(f"{what}: recorded {recorded!r}, recomputed {computed!r}")


def check_assessment(payload: dict[str, Any]) -> None:
    """Recompute a release.decision's index, gates, band, risk score and tier from the entry.

    For rules with the seed-default parameters: the built-in rules, or a policy (such as
    ``policies/default.yaml``) with the same weights, bands, risk weights, tiers and escalations.
    """
    a = payload["assessment"]
    if isinstance(payload["weights"], str):
        weights = dict(zip(SUBSCORES, map(Decimal, PROFILES[payload["weights"]]), strict=True))
        _expect("weights.profile", a["weights"]["profile"], payload["weights"])
    else:
        weights = {name: number(payload["weights"][name]) for name in SUBSCORES}
        _expect("weights.profile", a["weights"]["profile"], "custom")
    total = Decimal(0)
    for name in SUBSCORES:
        baseline, candidate = number(payload["baseline"]["scores"][name]), number(payload["scores"][name])
        delta = baseline - candidate if name == "cost" else candidate - baseline
        contribution = weights[name] * delta
        recorded = a["subscores"][name]
        computed = [decimal_text(v) for v in (baseline, candidate, delta, weights[name], contribution)]
        fields = ("baseline", "candidate", "delta", "weight", "contribution")
        _expect(f"subscores.{name}", [recorded[f] for f in fields], computed)
        _expect(f"weights.{name}", a["weights"][name], decimal_text(weights[name]))
        total += contribution
    blocked = _check_gates(payload["gates"], a["gates"])
    index = PARITY + total - number(a["penalty"])
    _expect("index", a["index"], decimal_text(index))
    _expect("index_rounded", a["index_rounded"], str(index.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    _expect("gates_passed", a["gates_passed"], not blocked)
    band = "red" if blocked or index <= PARITY else "green" if index >= PARITY + GREEN_MARGIN else "yellow"
    _expect("band", a["band"], band)
    _check_risk(payload, a["risk"])
    if "requirements" in payload:
        escalation = payload["requirements"].get("weights_escalation")
        risk_tier = escalation["risk_tier"] if escalation else payload["requirements"]["tier"]
        _expect("requirements.tier", risk_tier, a["risk"]["tier"])


def _check_gates(declared: list[dict[str, Any]], evaluated: list[dict[str, Any]]) -> bool:
    """Each evaluated gate's verdict from its own bounds; declared gates kept, never loosened."""
    by_name = {g["name"]: g for g in evaluated}
    for gate in declared:
        applied = by_name[gate["name"]]
        _expect(f"gate {gate['name']} observed", applied.get("observed"), gate.get("observed"))
        if "min" in gate:
            _expect(f"gate {gate['name']} min", number(applied["min"]) >= number(gate["min"]), True)
        if "max" in gate:
            _expect(f"gate {gate['name']} max", number(applied["max"]) <= number(gate["max"]), True)
    blocked = False
    for gate in evaluated:
        passed = "observed" in gate
        if passed:
            observed = number(gate["observed"])
            passed = ("min" not in gate or observed >= number(gate["min"])) and (
                "max" not in gate or observed <= number(gate["max"])
            )
        _expect(f"gate {gate['name']} passed", gate["passed"], passed)
        blocked = blocked or (not passed and gate["effect"] == "block")
    return blocked


def _check_risk(payload: dict[str, Any], risk: dict[str, Any]) -> None:
    score = Decimal(0)
    for name in FACTORS:
        given = payload["risk"].get(name)
        value = number(given) if given is not None else Decimal(0 if name == "test_coverage" else 100)
        factor_risk = 100 - value if name == "test_coverage" else value
        contribution = Decimal(RISK_WEIGHTS[name]) * factor_risk
        recorded = risk["factors"][name]
        _expect(f"risk.{name}.assumed_worst", recorded["assumed_worst"], given is None)
        _expect(f"risk.{name}.value", recorded["value"], decimal_text(value))
        _expect(f"risk.{name}.risk", recorded["risk"], decimal_text(factor_risk))
        _expect(f"risk.{name}.contribution", recorded["contribution"], decimal_text(contribution))
        score += contribution
    _expect("risk.score", risk["score"], decimal_text(score))
    base = "low" if score < LOW_BELOW else "medium" if score < MEDIUM_BELOW else "high"
    _expect("risk.base_tier", risk["base_tier"], base)
    sensitivity = payload["data_sensitivity"]
    floor = "low"
    if sensitivity["classification"] == "restricted":
        floor = "high"
    elif sensitivity["classification"] == "confidential" and "pii" in sensitivity.get("categories", []):
        floor = "medium"
    _expect("risk.tier", risk["tier"], max(base, floor, key=TIERS.index))


def b64(text: str) -> bytes:
    """Standard base64 in its one canonical spelling (formats.md §1, §4)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise Invalid(f"{text!r} is not standard base64") from None
    if base64.b64encode(raw).decode() != text:
        raise Invalid(f"{text!r} is not canonical base64")
    return raw


def main(argv: list[str]) -> int:
    export, note, key = (Path(a) for a in argv)
    try:
        data = export.read_bytes()
        size, root = verify(data, note.read_text(encoding="utf-8"), key.read_text())
        found = check_authorship(data)
    except Invalid as exc:
        print(f"FAILED: {exc}")
        return 3
    print(f"OK: {size} entries, root {root.hex()}; the authorship of {found.checked} statements verified")
    for entry in found.asserted:
        print(
            f"entry {entry.seq} ({entry.kind} by {entry.author}) is asserted by the operator: "
            f"attested by API token {entry.token}, not signed by its author"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
