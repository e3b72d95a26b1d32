"""The committed vectors pin the formats of docs/formats.md byte for byte.

- Regenerating them reproduces every committed file exactly, so any change to entry bytes,
  the decision payload, hashing, notes, keys, proofs or the export breaks this test.
- They verify with the project's own code (offline verification, proof checks, the CLI).
- An independent verifier that never imports ``ledger`` accepts them, and rejects tampering.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cli.main import main as rledger
from governance.statements import sign_statement
from ledger.errors import VerificationError
from ledger.tlog import merkle
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.note import Ed25519Signer
from services.settings import sqlite_url
from services.verification import replay_meaning, verify_export_file, verify_export_meaning
from tests.vectors import generate
from tests.vectors import independent_verifier as independent

HERE = Path(__file__).resolve().parent
DOCS = HERE.parents[1] / "docs" / "formats.md"
NOT_VECTORS = {"README.md", "__init__.py", "generate.py", "independent_verifier.py", "test_vectors.py"}
REGENERATE = "a format changed; if on purpose, see tests/vectors/README.md (it is a breaking change)"


def _committed() -> dict[str, bytes]:
    files = {}
    for path in sorted(HERE.rglob("*")):
        name = path.relative_to(HERE).as_posix()
        frozen = name.startswith(("v1/", "v2/", "v3/"))  # older formats, kept to prove old ledgers verify
        if path.is_file() and name not in NOT_VECTORS and "__pycache__" not in path.parts and not frozen:
            files[name] = path.read_bytes()
    return files


def _read(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def _json(name: str) -> Any:
    return json.loads(_read(name))


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(folder of regenerated vectors, the SQLite ledger they were read from)."""
    root = tmp_path_factory.mktemp("vectors")
    generate.generate(root / "out", root / "ledger.db")
    return root / "out", root / "ledger.db"


@pytest.fixture(scope="module")
def tree() -> dict[str, Any]:
    data: dict[str, Any] = _json(generate.TREE)
    return data


def _notes() -> list[str]:
    """Every committed checkpoint note, smallest tree first."""
    return [path.read_text(encoding="utf-8") for path in sorted((HERE / generate.CHECKPOINTS).glob("*.txt"))]


def _lines(folder: str = "") -> list[bytes]:
    """The export's entry bytes: of the current vectors, or of a frozen older format (``v3``)."""
    return (HERE / folder / generate.EXPORT).read_bytes().split(b"\n")[:-1]


def _join(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


# -- (i) regeneration is byte for byte ---------------------------------------------------------


def test_regenerating_reproduces_every_committed_file(regenerated: tuple[Path, Path]) -> None:
    out, _ = regenerated
    fresh = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    committed = _committed()
    assert sorted(fresh) == sorted(committed), REGENERATE
    for name, data in fresh.items():
        assert data == committed[name], f"tests/vectors/{name} differs: {REGENERATE}"


def test_the_vectors_are_small_and_cover_every_size(tree: dict[str, Any]) -> None:
    size = tree["size"]
    assert size == len(_lines()) < 32
    assert [p["leaf_index"] for p in _json(generate.INCLUSION)] == list(range(size))
    assert len(_json(generate.CONSISTENCY)) == size * (size + 1) // 2
    assert len(tree["root_hash_by_size_b64"]) == size + 1
    kinds = {json.loads(line)["kind"] for line in _lines()}
    assert len(kinds) == 13, kinds  # every entry kind the ledger writes


@pytest.mark.parametrize(
    ("args", "kind", "first", "second"),
    [
        (["proof", "inclusion", "6"], "inclusion", 6, 22),
        (["proof", "inclusion", "0", "--size", "22"], "inclusion", 0, 22),
        (["proof", "consistency", "3", "22"], "consistency", 3, 22),
        (["proof", "consistency", "8", "13"], "consistency", 8, 13),
        (["proof", "consistency", "16", "16"], "consistency", 16, 16),
    ],
    ids=["inclusion-6", "inclusion-0-size-22", "consistency-3-22", "consistency-8-13", "consistency-16-16"],
)
def test_cli_prints_the_committed_proofs(
    regenerated: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    kind: str,
    first: int,
    second: int,
) -> None:
    _, db = regenerated
    monkeypatch.delenv("RLEDGER_DATABASE_URL", raising=False)
    assert rledger(["--db", sqlite_url(db), *args]) == 0
    if kind == "inclusion":
        proofs = _json(generate.INCLUSION)
        want = next(p for p in proofs if (p["leaf_index"], p["tree_size"]) == (first, second))
    else:
        proofs = _json(generate.CONSISTENCY)
        want = next(p for p in proofs if (p["old_size"], p["new_size"]) == (first, second))
    assert capsys.readouterr().out == json.dumps(want, indent=2) + "\n"


def test_cli_prints_the_committed_key_checkpoint_and_export(
    regenerated: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _, db = regenerated
    monkeypatch.delenv("RLEDGER_DATABASE_URL", raising=False)
    url = sqlite_url(db)
    assert rledger(["--db", url, "key"]) == 0
    assert capsys.readouterr().out == _read(generate.VERIFIER_KEY)
    assert rledger(["--db", url, "checkpoint"]) == 0
    assert capsys.readouterr().out == _notes()[-1]
    assert rledger(["--db", url, "export", "--out", str(tmp_path / "export.jsonl")]) == 0
    assert (tmp_path / "export.jsonl").read_bytes() == (HERE / generate.EXPORT).read_bytes()


def test_docs_quote_the_committed_bytes(tree: dict[str, Any]) -> None:
    """docs/formats.md shows real bytes from these vectors; regenerating means updating it too."""
    docs = DOCS.read_text(encoding="utf-8")
    lines = _lines()
    decision = next(json.loads(line) for line in lines if b'"kind":"release.decision"' in line)
    quoted = [
        lines[0].decode(),
        lines[1].decode(),
        json.dumps(decision, indent=2, ensure_ascii=False),
        _read(generate.VERIFIER_KEY).strip(),
        _read(generate.SIGNER_KEY).strip(),
        _notes()[-1].rstrip("\n"),
        tree["root_hash_by_size_hex"][-1],
        json.dumps(_json(generate.INCLUSION)[6], indent=2),
        json.dumps(
            next(
                p for p in _json(generate.CONSISTENCY) if p["old_size"] == 3 and p["new_size"] == tree["size"]
            ),
            indent=2,
        ),
    ]
    for number, text in enumerate(quoted):
        assert text in docs, f"docs/formats.md no longer quotes example {number} of the vectors"


# The entry docs/formats.md §4.6 shows for each statement kind; §4.2 works through the approval.
STATEMENT_EXAMPLES = {
    "identity.added": 3,
    "identity.key_rotated": 20,
    "identity.revoked": 21,
    "policy.adopted": 2,
    "release.decision": 6,
    "release.approval": 14,
    "release.canary_started": 15,
    "release.canary_result": 16,
    "release.promoted": 13,
    "release.rolled_back": 18,
    "token.issued": 12,
    "token.revoked": 19,
}
WORKED_EXAMPLE = 14
ELIDED_POLICY_TEXT = '"text":"\u2026"'  # §4.6 shows the policy.adopted message with its text elided


def _entries() -> list[dict[str, Any]]:
    return [json.loads(line) for line in _lines()]


def _registered_key(entries: list[dict[str, Any]], name: str, seq: int) -> tuple[int, bytes]:
    """The entry that registered the key ``name`` held at entry ``seq``, and that key."""
    registrations = ("identity.added", "identity.key_rotated")
    found = max(
        e["seq"] for e in entries[1:seq] if e["kind"] in registrations and e["payload"]["name"] == name
    )
    return found, _b64(entries[found]["payload"]["public_key"])


def _docs_between(start: str, end: str) -> str:
    docs = DOCS.read_text(encoding="utf-8")
    assert start in docs, f"docs/formats.md has no {start!r}"
    first = docs.index(start)
    return docs[first : docs.find(end, first + len(start))]


def test_docs_show_one_entry_of_every_statement_kind() -> None:
    kinds = {entry["kind"] for entry in _entries()} - {"ledger.init"}
    assert set(STATEMENT_EXAMPLES) == kinds
    for kind, seq in STATEMENT_EXAMPLES.items():
        assert _entries()[seq]["kind"] == kind


@pytest.mark.parametrize("kind", sorted(STATEMENT_EXAMPLES))
def test_docs_give_the_signed_bytes_of_each_statement_kind(kind: str) -> None:
    """§4.6: the author member, the signed part's members and the exact message of the
    example entry; the entry's signature verifies over the bytes the page shows, under the key
    the page says."""
    entries = _entries()
    seq = STATEMENT_EXAMPLES[kind]
    payload = entries[seq]["payload"]
    section = _docs_between(f"#### `{kind}`, entry {seq}\n", "\n#")
    words = " ".join(section.split())
    author = independent.SIGNER.get(kind, "actor")
    part = sorted(set(payload) - {"signature"} - independent.COMPUTED.get(kind, set()))
    assert f"Author: `{author}`. Signed part: {', '.join(f'`{m}`' for m in part)}." in words
    [shown] = re.findall(r"^```\n(.*?)\n```$", section, flags=re.M | re.S)
    message = shown.encode()
    if kind == "policy.adopted":
        message = message.replace(
            ELIDED_POLICY_TEXT.encode(), b'"text":' + independent.canonical(payload["text"])
        )
    assert message == independent.signed_message(kind, payload, 4, generate.ORIGIN)
    registered, key = _registered_key(entries, payload[author], seq)
    Ed25519PublicKey.from_public_bytes(key).verify(_b64(payload["signature"]), message)
    assert f"The message is {len(message)} bytes" in words
    signer = f"verifies under the key registered for `{payload[author]}` in entry {registered}."
    assert f"`{payload['signature']}` {signer}" in words


def test_docs_work_through_an_approval_byte_for_byte() -> None:
    """§4.2: the envelope bob signed, its length, his signature and key; the bare signed part
    (what formats 1 to 3 sign), over which the same signature does not verify."""
    entries = _entries()
    approval = entries[WORKED_EXAMPLE]
    assert approval["kind"] == "release.approval"
    payload = approval["payload"]
    section = _docs_between("### 4.2 ", "### 4.3 ")
    words = " ".join(section.split())
    message = independent.signed_message("release.approval", payload, 4, generate.ORIGIN)
    bare = independent.signed_message("release.approval", payload, 3, generate.ORIGIN)
    assert f"```\n{message.decode()}\n```" in section
    assert f"```\n{bare.decode()}\n```" in section
    assert f"these {len(message)} bytes" in words
    assert f"the {len(bare)} bytes of the bare signed part" in words
    registered, key = _registered_key(entries, payload["approver"], WORKED_EXAMPLE)
    assert f"`{payload['signature']}`" in words
    holder = f"the key registered for `{payload['approver']}` in entry {registered}"
    assert f"`{base64.b64encode(key).decode()}`, {holder}" in words
    public = Ed25519PublicKey.from_public_bytes(key)
    public.verify(_b64(payload["signature"]), message)
    with pytest.raises(InvalidSignature):
        public.verify(_b64(payload["signature"]), bare)


# -- (ii) the project's own verifier accepts them ------------------------------------------------


def test_export_verifies_offline_against_every_checkpoint(tree: dict[str, Any]) -> None:
    key = _read(generate.VERIFIER_KEY)
    final_root = _b64(tree["root_hash_by_size_b64"][-1])
    sizes = []
    for note in _notes():
        result = verify_export_file(HERE / generate.EXPORT, note, key, workers=1)
        assert (result.size, result.root, result.checkpoints_checked) == (tree["size"], final_root, 1)
        assert result.latest_checkpoint is not None
        size = result.latest_checkpoint.size
        assert result.latest_checkpoint.root == _b64(tree["root_hash_by_size_b64"][size])
        sizes.append(size)
    assert sizes == list(range(3, tree["size"] + 1))  # init appends three entries, then one per append


def test_every_entry_was_allowed(tree: dict[str, Any]) -> None:
    state = verify_export_meaning(HERE / generate.EXPORT)
    assert (state.size, state.format) == (tree["size"], 4)
    assert state.asserted == []  # format 4: every statement is signed by its author
    assert sorted(state.identities) == [generate.ADMIN, generate.ALICE, generate.BOB, generate.CAROL]
    assert state.identities[generate.BOB].revoked
    assert [t.revoked_at is not None for t in state.tokens.values()] == [True]
    assert state.production == {"support-summarizer": "1.3"}


def test_cli_verifies_the_export_offline(tree: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    note = HERE / generate.checkpoint_name(tree["size"])
    args = ["verify", "--export", str(HERE / generate.EXPORT), "--checkpoint", str(note)]
    assert rledger([*args, "--key", str(HERE / generate.VERIFIER_KEY), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert f"OK: {tree['size']} entries verified" in out
    assert "every entry was allowed" in out


def test_committed_proofs_verify(tree: dict[str, Any]) -> None:
    roots = [_b64(r) for r in tree["root_hash_by_size_b64"]]
    leaves = [_b64(h) for h in tree["leaf_hash_b64"]]
    for proof in _json(generate.INCLUSION):
        index, size = proof["leaf_index"], proof["tree_size"]
        assert _b64(proof["leaf_hash"]) == leaves[index]
        assert _b64(proof["root_hash"]) == roots[size]
        merkle.verify_inclusion(index, size, leaves[index], [_b64(h) for h in proof["hashes"]], roots[size])
    for proof in _json(generate.CONSISTENCY):
        old, new = proof["old_size"], proof["new_size"]
        assert (_b64(proof["old_root"]), _b64(proof["new_root"])) == (roots[old], roots[new])
        merkle.verify_consistency(old, new, roots[old], roots[new], [_b64(h) for h in proof["hashes"]])


def test_a_proof_with_a_flipped_bit_fails() -> None:
    proof = next(p for p in _json(generate.CONSISTENCY) if (p["old_size"], p["new_size"]) == (6, 22))
    hashes = [_b64(h) for h in proof["hashes"]]
    hashes[0] = bytes([hashes[0][0] ^ 1]) + hashes[0][1:]
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(
            proof["old_size"], proof["new_size"], _b64(proof["old_root"]), _b64(proof["new_root"]), hashes
        )


# -- (iii) an independent verifier, from the docs alone ----------------------------------------


def test_independent_verifier_imports_nothing_of_ours() -> None:
    source = (HERE / "independent_verifier.py").read_text(encoding="utf-8")
    stdlib = {
        "__future__",
        "base64",
        "binascii",
        "collections",
        "dataclasses",
        "datetime",
        "decimal",
        "hashlib",
    }
    allowed = stdlib | {"json", "pathlib", "re", "sys", "typing", "unicodedata", "cryptography"}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        assert {name.split(".")[0] for name in names} <= allowed, names


def test_independent_verifier_recomputes_leaves_chain_and_roots(tree: dict[str, Any]) -> None:
    export = (HERE / generate.EXPORT).read_bytes()
    leaves = independent.check_entries(export)
    assert [leaf.hex() for leaf in leaves] == tree["leaf_hash_hex"]
    for size in range(tree["size"] + 1):
        assert independent.tree_root(leaves[:size]).hex() == tree["root_hash_by_size_hex"][size]
    key = _read(generate.VERIFIER_KEY)
    for note in _notes():
        assert independent.verify(export, note, key) == (
            tree["size"],
            _b64(tree["root_hash_by_size_b64"][-1]),
        )


def test_independent_verifier_checks_keys_and_genesis() -> None:
    key_text = _read(generate.VERIFIER_KEY).strip()
    key = independent.parse_verifier_key(key_text)
    assert key.name == generate.ORIGIN
    signer_key = _read(generate.SIGNER_KEY).strip().split("+")
    assert signer_key[:4] == ["PRIVATE", "KEY", generate.ORIGIN, key.key_id.hex()]
    genesis = json.loads((HERE / generate.EXPORT).read_bytes().split(b"\n")[0])
    assert genesis["kind"] == "ledger.init"
    assert genesis["payload"] == {"origin": generate.ORIGIN, "verifier_key": key_text, "format": 4}


def test_independent_verifier_checks_the_committed_proofs(tree: dict[str, Any]) -> None:
    roots = [_b64(r) for r in tree["root_hash_by_size_b64"]]
    for p in _json(generate.INCLUSION):
        path = [independent.b64(h) for h in p["hashes"]]
        leaf = independent.b64(p["leaf_hash"])
        independent.verify_inclusion(p["leaf_index"], p["tree_size"], leaf, path, roots[p["tree_size"]])
    for p in _json(generate.CONSISTENCY):
        path = [independent.b64(h) for h in p["hashes"]]
        old, new = p["old_size"], p["new_size"]
        independent.verify_consistency(old, new, roots[old], roots[new], path)


def test_independent_verifier_checks_the_authorship_of_every_statement() -> None:
    export = (HERE / generate.EXPORT).read_bytes()
    assert independent.check_authorship(export) == independent.Authorship(len(_lines()) - 1, [])


@pytest.mark.parametrize(
    ("folder", "kind", "old", "new"),
    [
        ("", "release.approval", b"offline eval reviewed", b"offline eval skipped"),
        ("", "release.rolled_back", b"cost spike in production", b"cost spike in staging"),
        ("", "release.promoted", b'"version":"1.3"}', b'"version":"1.1"}'),
        ("v3", "release.promoted", b'"attestation":{"token":"', b'"attestation":{"token":"0'),
    ],
    ids=[
        "signed-approval-comment",
        "signed-rollback-reason",
        "promotion-subject",
        "v3-attested-promotion-token",
    ],
)
def test_both_verifiers_reject_an_edited_statement(folder: str, kind: str, old: bytes, new: bytes) -> None:
    """A statement changed after the fact (the chain ignored): its authorship, or its subject,
    no longer holds."""
    lines = _lines(folder)
    marker = b'"kind":"' + kind.encode() + b'"'
    number = next(i for i, line in enumerate(lines) if marker in line and old in line)
    lines[number] = lines[number].replace(old, new)
    with pytest.raises(independent.Invalid):
        independent.check_statements(_join(lines))
    with pytest.raises(VerificationError, match="not allowed by the ledger's rules"):
        replay_meaning([(0, lines, None)])


def test_independent_verifier_recomputes_every_assessment() -> None:
    decisions = 0
    for line in (HERE / generate.EXPORT).read_bytes().split(b"\n")[:-1]:
        entry = json.loads(line)
        if entry["kind"] == "release.decision":
            independent.check_assessment(entry["payload"])
            decisions += 1
    assert decisions == len(generate.demo_decision_texts())


_GENESIS: dict[str, Any] = {
    "kind": "ledger.init",
    "payload": {},
    "prev": "0" * 64,
    "seq": 0,
    "time": "2026-11-20T12:00:00Z",
}
_OUTSIDE_THE_SPEC: dict[str, dict[str, Any]] = {
    "float": {"payload": {"score": 1.5}},
    "float-with-zero-fraction": {"payload": {"score": 1.0}},
    "integer-beyond-2^53": {"payload": {"count": 2**53}},
    "non-ascii-member-name": {"payload": {"caf\u00e9": "x"}},
    "month-13": {"time": "2026-13-20T12:00:00Z"},
    "february-30": {"time": "2026-02-30T12:00:00Z"},
    "non-ascii-digits": {"time": "\u0662\u0660\u0662\u0666-11-20T12:00:00Z"},
    "time-trailing-newline": {"time": "2026-11-20T12:00:00Z\n"},
    "kind-trailing-newline": {"kind": "ledger.init\n"},
    "fraction-of-five-digits": {"time": "2026-11-20T12:00:00.12345Z"},
}


@pytest.mark.parametrize("case", sorted(_OUTSIDE_THE_SPEC))
def test_independent_verifier_refuses_entries_outside_the_spec(case: str) -> None:
    """What docs/formats.md section 3 forbids, written in canonical form, is still refused."""
    value = {**_GENESIS, **_OUTSIDE_THE_SPEC[case]}
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    with pytest.raises(independent.Invalid):
        independent.check_entries(data)
    independent.check_entries(independent.canonical(_GENESIS) + b"\n")  # the unmodified entry passes


def _edit_scores(lines: list[bytes]) -> bytes:
    number = next(i for i, line in enumerate(lines) if b'"version":"1.2"' in line)
    changed = lines[number].replace(b'"performance":"90"', b'"performance":"99"', 1)
    assert changed != lines[number]
    return _join([*lines[:number], changed, *lines[number + 1 :]])


TAMPERING: dict[str, Callable[[list[bytes]], bytes]] = {
    "edited": _edit_scores,
    "deleted": lambda lines: _join([*lines[:6], *lines[7:]]),
    "swapped": lambda lines: _join([*lines[:6], lines[7], lines[6], *lines[8:]]),
    "truncated": lambda lines: _join(lines[:12]),
    "reformatted": lambda lines: _join([lines[0].replace(b'","seq"', b'", "seq"'), *lines[1:]]),
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_both_verifiers_reject_tampering(name: str, tmp_path: Path) -> None:
    export = TAMPERING[name](_lines())
    path = tmp_path / "export.jsonl"
    path.write_bytes(export)
    note, key = _notes()[-1], _read(generate.VERIFIER_KEY)
    with pytest.raises(VerificationError):
        verify_export_file(path, note, key, workers=1)
    with pytest.raises(independent.Invalid):
        independent.verify(export, note, key)


def test_both_verifiers_reject_a_changed_checkpoint_signature(tmp_path: Path) -> None:
    note = _notes()[-1]
    body, _, signature = note.rpartition(" ")
    raw = bytearray(_b64(signature.strip()))
    raw[10] ^= 1
    forged = f"{body} {base64.b64encode(bytes(raw)).decode()}\n"
    export = tmp_path / "export.jsonl"
    shutil.copyfile(HERE / generate.EXPORT, export)
    key = _read(generate.VERIFIER_KEY)
    with pytest.raises(VerificationError):
        verify_export_file(export, forged, key, workers=1)
    with pytest.raises(independent.Invalid):
        independent.verify(export.read_bytes(), forged, key)


@pytest.mark.parametrize(("folder", "declared"), [("v1", 1), ("v2", 2), ("v3", 3)])
def test_older_formats_keep_verifying(folder: str, declared: int, tmp_path: Path) -> None:
    """A ledger written in an older format verifies, integrity and meaning, under today's code
    and the rules of the format it declares (governance/formats.py). Its token-attested
    promotion (entry 13) is accepted as it was written, but listed as asserted by the operator:
    no signature of carol's stands behind it (docs/formats.md §4.4)."""
    frozen = HERE / folder
    export = tmp_path / "export.jsonl"
    shutil.copyfile(frozen / "export.jsonl", export)
    checkpoint = sorted((frozen / "checkpoints").iterdir())[-1].read_text(encoding="utf-8")
    key = (frozen / "verifier.key").read_text(encoding="utf-8").strip()
    assert verify_export_file(export, checkpoint, key).size == 22
    state = verify_export_meaning(export)
    assert state.format == declared
    attested = (13, "release.promoted", generate.CAROL)
    assert [(a.seq, a.kind, a.author) for a in state.asserted] == [attested]
    found = independent.check_authorship(export.read_bytes())
    assert found.checked == 21
    assert [(a.seq, a.kind, a.author) for a in found.asserted] == [attested]


def test_cli_lists_an_older_formats_attested_entry_as_asserted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    frozen = HERE / "v3"
    note = sorted((frozen / "checkpoints").iterdir())[-1]
    args = ["verify", "--export", str(frozen / "export.jsonl"), "--checkpoint", str(note)]
    assert rledger([*args, "--key", str(frozen / "verifier.key"), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "asserted by the operator" in out
    assert re.search(r"entry 13 release\.promoted: carol@example\.com", out), out


# -- format 4: only personal signatures authorise ----------------------------------------------


def _forged_copy(
    tmp_path: Path, seq: int, edit: Callable[[dict[str, Any]], dict[str, Any]]
) -> tuple[Path, str]:
    """A copy of the vectors whose entry ``seq`` has the payload ``edit`` returns, re-chained,
    under a checkpoint signed again with the vectors' log key (signer.key): what an operator
    holding the log key could publish. Its integrity holds, so only its meaning can refuse it."""
    entries = [json.loads(line) for line in _lines()]
    entries[seq]["payload"] = edit(entries[seq]["payload"])
    lines, prev = [], "0" * 64
    for entry in entries:
        data = independent.canonical({**entry, "prev": prev})
        lines.append(data)
        prev = hashlib.sha256(b"\x00" + data).hexdigest()
    root = independent.tree_root([merkle.leaf_hash(line) for line in lines])
    note = Checkpoint(generate.ORIGIN, len(lines), root).sign(Ed25519Signer.parse(_read(generate.SIGNER_KEY)))
    path = tmp_path / "export.jsonl"
    path.write_bytes(_join(lines))
    key = _read(generate.VERIFIER_KEY)
    assert verify_export_file(path, note, key, workers=1).size == len(lines)
    assert independent.verify(path.read_bytes(), note, key)[0] == len(lines)
    return path, note


def _refused_by_both(path: Path, project: str, theirs: str) -> None:
    with pytest.raises(VerificationError, match=project):
        verify_export_meaning(path)
    with pytest.raises(independent.Invalid, match=theirs):
        independent.check_statements(path.read_bytes())


def test_an_approval_signed_over_the_old_bytes_is_refused(tmp_path: Path) -> None:
    """Bob's approval (entry 14), signed by his own key but over the bare signed part, as
    formats 1 to 3 sign: in a format-4 ledger that signature could have been made for another
    log or another kind, and it does not verify over the statement envelope."""
    bob = generate.personal_key(generate.BOB)
    path, _ = _forged_copy(tmp_path, 14, lambda p: sign_statement("release.approval", p, bob, origin=None))
    assert _lines(str(tmp_path))[14] != _lines()[14]  # a new signature, not the committed one
    _refused_by_both(
        path,
        r"entry 14: not allowed by the ledger's rules: refused by signature: signature does not verify",
        r"entry 14: the release\.approval signature does not verify",
    )


@pytest.mark.parametrize("kind", sorted(STATEMENT_EXAMPLES))
def test_a_statement_signed_by_anyone_but_its_author_is_refused(kind: str, tmp_path: Path) -> None:
    """What the operator holding the log key could write for every kind: the same statement,
    signed correctly over the format-4 envelope, but with a key of its own, under a
    re-chained, re-signed log. Both verifiers refuse it and name the entry."""
    seq = STATEMENT_EXAMPLES[kind]
    assert json.loads(_lines()[seq])["kind"] == kind
    operator = Ed25519Signer("rledger-identity", Ed25519PrivateKey.from_private_bytes(bytes(range(64, 96))))
    path, _ = _forged_copy(tmp_path, seq, lambda p: sign_statement(kind, p, operator, origin=generate.ORIGIN))
    _refused_by_both(
        path,
        rf"entry {seq}: not allowed by the ledger's rules: refused by signature: signature does not verify",
        rf"entry {seq}: the {re.escape(kind)} signature does not verify",
    )


@pytest.mark.parametrize("seq", sorted(STATEMENT_EXAMPLES.values()), ids=lambda seq: f"entry-{seq}")
def test_an_attestation_instead_of_a_signature_is_refused(seq: int, tmp_path: Path) -> None:
    """From format 4 a token attestation authorises nothing: the entry is refused, named, even
    with carol's token valid at that time (issued in entry 12, revoked in entry 19)."""
    token_id = json.loads(_lines()[12])["payload"]["token_id"]
    path, _ = _forged_copy(
        tmp_path,
        seq,
        lambda p: {**{k: v for k, v in p.items() if k != "signature"}, "attestation": {"token": token_id}},
    )
    kind = json.loads(_lines()[seq])["kind"]
    _refused_by_both(
        path,
        rf"entry {seq}: not allowed by the ledger's rules: refused by \w+: .*attestation",
        rf"entry {seq}: the {re.escape(kind)} entry carries a token attestation",
    )


def test_a_statement_naming_another_release_is_refused(tmp_path: Path) -> None:
    """Carol's promotion of support-summarizer 1.3 (entry 13), signed again by carol over the
    envelope but naming version 1.1: the signature holds, and the subject rule refuses it."""
    carol = generate.personal_key(generate.CAROL)
    path, _ = _forged_copy(
        tmp_path,
        13,
        lambda p: sign_statement("release.promoted", {**p, "version": "1.1"}, carol, origin=generate.ORIGIN),
    )
    _refused_by_both(
        path,
        r"entry 13: not allowed by the ledger's rules: refused by release\.promoted: the statement names "
        r"support-summarizer@1\.1",
        r"entry 13: the release\.promoted names support-summarizer@1\.1, but its decision is "
        r"support-summarizer@1\.3",
    )


def test_the_independent_verifier_applies_the_format_3_identity_rules() -> None:
    """One person, one identity (docs/formats.md §10.2): a name that differs only in case or
    compatibility form, or a key already registered, is refused."""
    people = independent._People()
    key = base64.b64encode(bytes(range(32))).decode()
    other = base64.b64encode(bytes(range(1, 33))).decode()
    people.check("identity.added", {"name": "alice@example.com", "public_key": key}, 1)
    with pytest.raises(independent.Invalid, match=r"entry 2: the name Alice@example\.com is already"):
        people.check("identity.added", {"name": "Alice@example.com", "public_key": other}, 2)
    with pytest.raises(independent.Invalid, match="entry 3: the key is already registered"):
        people.check("identity.added", {"name": "alice-alt@example.com", "public_key": key}, 3)
    with pytest.raises(independent.Invalid, match="entry 4: the key is already registered"):
        people.check("identity.key_rotated", {"name": "bob@example.com", "public_key": key}, 4)


def test_a_signature_spelled_another_way_is_refused_by_both(tmp_path: Path) -> None:
    """Bob's approval (entry 14) with its signature's padding bits set: the same 64 bytes, other
    entry bytes, so another leaf hash; both verifiers refuse the second spelling (§4)."""
    text = json.loads(_lines()[14])["payload"]["signature"]
    respelled = (
        text[:-3]
        + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".index(text[-3]) ^ 1
        ]
        + "=="
    )
    assert base64.b64decode(respelled) == base64.b64decode(text) and respelled != text
    path, _ = _forged_copy(tmp_path, 14, lambda p: {**p, "signature": respelled})
    _refused_by_both(path, r"entry 14: .*canonical base64", r"not canonical base64")
