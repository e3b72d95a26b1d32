"""transparency-dev/merkle's published vectors: every happy path verifies, every twin fails."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from ledger.tlog import merkle

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "transparency-dev-merkle"


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _cases(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json"))


def test_vector_folders_are_present() -> None:
    assert len(_cases("inclusion")) > 50
    assert len(_cases("consistency")) > 50


@pytest.mark.parametrize("path", _cases("inclusion"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_inclusion_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    proof = [_b64(p) for p in case["proof"] or []]

    def check() -> None:
        merkle.verify_inclusion(
            case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), proof, _b64(case["root"])
        )

    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize("path", _cases("consistency"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_consistency_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    proof = [_b64(p) for p in case["proof"] or []]

    def check() -> None:
        merkle.verify_consistency(
            case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), proof
        )

    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            check()
    else:
        check()


def test_reference_roots_for_every_size() -> None:
    ref = json.loads((VECTORS / "leaves.json").read_text())
    leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in ref["leaf_inputs_hex"]]
    for size, want in enumerate(ref["root_hash_by_size_hex"]):
        tree = merkle.CompactRange()
        for leaf in leaves[:size]:
            tree.append(leaf)
        assert tree.root().hex() == want, size


def test_generated_proofs_match_published_happy_paths() -> None:
    """Our proof *generation* reproduces the published proofs byte for byte."""
    ref = json.loads((VECTORS / "leaves.json").read_text())
    nodes: dict[merkle.NodeId, bytes] = {}
    tree = merkle.CompactRange()
    for h in ref["leaf_inputs_hex"]:
        for node_id, value in tree.append(merkle.leaf_hash(bytes.fromhex(h))):
            nodes[node_id] = value
    checked = 0
    for path in _cases("inclusion"):
        case = json.loads(path.read_text())
        if path.name != "happy-path.json" or case["treeSize"] > 8:
            continue
        plan = merkle.inclusion_plan(case["leafIdx"], case["treeSize"])
        got = [base64.b64encode(h).decode() for h in merkle.hashes_for(plan, nodes)]
        assert got == (case["proof"] or []), path
        checked += 1
    for path in _cases("consistency"):
        case = json.loads(path.read_text())
        if path.name != "happy-path.json" or case["size2"] > 8 or case["size1"] == 0:
            continue
        plan = merkle.consistency_plan(case["size1"], case["size2"])
        got = [base64.b64encode(h).decode() for h in merkle.hashes_for(plan, nodes)]
        assert got == (case["proof"] or []), path
        checked += 1
    assert checked >= 5
