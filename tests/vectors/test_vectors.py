"""The committed vectors pin the formats of docs/formats.md byte for byte.

- Regenerating them reproduces every committed file exactly, so any change to entry bytes,
  the decision payload, hashing, notes, keys, proofs or the export breaks this test.
- They verify with the project's own code (offline verification, proof checks, the CLI).
- An independent verifier that never imports ``ledger`` accepts them, and rejects tampering.
"""

from __future__ import annotations

import ast
import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cli.main import main as rledger
from ledger.errors import VerificationError
from ledger.tlog import merkle
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
        frozen = name.startswith(("v1/", "v2/"))  # older formats, kept to prove old ledgers verify
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


def _lines() -> list[bytes]:
    return (HERE / generate.EXPORT).read_bytes().split(b"\n")[:-1]


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
    assert state.size == tree["size"]
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
    assert genesis["payload"] == {"origin": generate.ORIGIN, "verifier_key": key_text, "format": 3}


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
    assert independent.check_statements(export) == len(_lines()) - 1  # all but ledger.init


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        ("release.approval", b"offline eval reviewed", b"offline eval skipped"),
        ("release.promoted", b'"attestation":{"token":"', b'"attestation":{"token":"0'),
    ],
    ids=["signed-approval-comment", "attested-promotion-token"],
)
def test_both_verifiers_reject_an_edited_statement(kind: str, old: bytes, new: bytes) -> None:
    """A statement changed after the fact (the chain ignored): its authorship no longer holds."""
    lines = _lines()
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


@pytest.mark.parametrize(("folder", "declared"), [("v1", 1), ("v2", 2)])
def test_older_formats_keep_verifying(folder: str, declared: int, tmp_path: Path) -> None:
    """A ledger written in an older format verifies, integrity and meaning, under today's code
    and the rules of the format it declares (governance/formats.py)."""
    frozen = HERE / folder
    export = tmp_path / "export.jsonl"
    shutil.copyfile(frozen / "export.jsonl", export)
    checkpoint = sorted((frozen / "checkpoints").iterdir())[-1].read_text(encoding="utf-8")
    key = (frozen / "verifier.key").read_text(encoding="utf-8").strip()
    assert verify_export_file(export, checkpoint, key).size == 22
    assert verify_export_meaning(export).format == declared
    assert independent.check_statements(export.read_bytes()) == 21


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
