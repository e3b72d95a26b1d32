"""Merkle tree, proof generation and proof verification against a naive RFC 9162 reference.

The reference below is a direct transcription of RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH)
and §2.1.4.1 (PROOF/SUBPROOF): recursive, slow, obviously right.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.tlog import merkle
from ledger.tlog.merkle import NodeId, ProofError

MAX_SIZE = 300
EXHAUSTIVE_SIZE = 70  # every (index, size) and (old, new) pair up to here
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None)


def _leaf_data(index: int) -> bytes:
    return b"leaf %d " % index + hashlib.sha256(index.to_bytes(4, "big")).digest()[: index % 7]


LEAF_DATA = [_leaf_data(i) for i in range(MAX_SIZE)]


# -- the naive reference -----------------------------------------------------------------


def _largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def ref_mth(start: int, end: int) -> bytes:
    """MTH(D[start:end]) by RFC 9162 §2.1.1."""
    n = end - start
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + LEAF_DATA[start]).digest()
    k = _largest_power_of_two_below(n)
    return hashlib.sha256(b"\x01" + ref_mth(start, start + k) + ref_mth(start + k, end)).digest()


def ref_path(m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end]) by RFC 9162 §2.1.3.1 (m relative to start)."""
    n = end - start
    if n == 1:
        return []
    k = _largest_power_of_two_below(n)
    if m < k:
        return [*ref_path(m, start, start + k), ref_mth(start + k, end)]
    return [*ref_path(m - k, start + k, end), ref_mth(start, start + k)]


def ref_subproof(m: int, start: int, end: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b) by RFC 9162 §2.1.4.1."""
    n = end - start
    if m == n:
        return [] if b else [ref_mth(start, end)]
    k = _largest_power_of_two_below(n)
    if m <= k:
        return [*ref_subproof(m, start, start + k, b), ref_mth(start + k, end)]
    return [*ref_subproof(m - k, start + k, end, False), ref_mth(start, start + k)]


def ref_proof(m: int, n: int) -> list[bytes]:
    return ref_subproof(m, 0, n, True)


# -- the implementation's stored tree ------------------------------------------------------


class NodesAt(Mapping[NodeId, bytes]):
    """The stored node map as it was when the tree had ``size`` leaves: later nodes are absent.

    Proof generation for a tree of ``size`` must never need a node that only exists in a
    bigger tree; this mapping raises KeyError if it tries.
    """

    def __init__(self, size: int) -> None:
        self.size = size

    def __getitem__(self, key: NodeId) -> bytes:
        if CREATED_AT[key] > self.size:
            raise KeyError(key)
        return NODES[key]

    def __iter__(self) -> Iterator[NodeId]:
        return (k for k, at in CREATED_AT.items() if at <= self.size)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _build() -> tuple[dict[NodeId, bytes], dict[NodeId, int], list[bytes]]:
    nodes: dict[NodeId, bytes] = {}
    created_at: dict[NodeId, int] = {}
    roots = [merkle.EMPTY_ROOT]
    tree = merkle.CompactRange()
    for data in LEAF_DATA:
        for node_id, value in tree.append(merkle.leaf_hash(data)):
            assert node_id not in nodes
            nodes[node_id] = value
            created_at[node_id] = tree.size
        roots.append(tree.root())
    return nodes, created_at, roots


NODES, CREATED_AT, ROOTS = _build()


def _inclusion(index: int, size: int) -> list[bytes]:
    return merkle.hashes_for(merkle.inclusion_plan(index, size), NodesAt(size))


def _consistency(old: int, new: int) -> list[bytes]:
    return merkle.hashes_for(merkle.consistency_plan(old, new), NodesAt(new))


def _leaf(index: int) -> bytes:
    return merkle.leaf_hash(LEAF_DATA[index])


# -- roots -------------------------------------------------------------------------------


def test_compact_range_root_equals_reference_for_every_size() -> None:
    for size in range(MAX_SIZE + 1):
        assert ROOTS[size] == ref_mth(0, size), size
        assert merkle.root_from(size, NodesAt(size)) == ROOTS[size], size


@PROPERTY
@given(st.integers(min_value=1, max_value=MAX_SIZE), st.binary(min_size=0, max_size=40))
def test_compact_range_from_stored_continues_the_tree(size: int, salt: bytes) -> None:
    rebuilt = merkle.CompactRange.from_stored(size, NodesAt(size))
    assert rebuilt.root() == ROOTS[size]
    if size < MAX_SIZE:
        rebuilt.append(_leaf(size))
        assert rebuilt.root() == ROOTS[size + 1]
    # A fresh tree of different leaves has a different root (sanity of the reference).
    other = merkle.CompactRange()
    for index in range(size):
        other.append(merkle.leaf_hash(LEAF_DATA[index] + salt + b"x"))
    assert other.root() != ROOTS[size]


def test_empty_tree_root() -> None:
    assert merkle.CompactRange().root() == hashlib.sha256(b"").digest() == ref_mth(0, 0)


# -- honest proofs -----------------------------------------------------------------------


def test_every_inclusion_proof_up_to_exhaustive_size() -> None:
    for size in range(1, EXHAUSTIVE_SIZE + 1):
        for index in range(size):
            proof = _inclusion(index, size)
            assert proof == ref_path(index, 0, size), (index, size)
            merkle.verify_inclusion(index, size, _leaf(index), proof, ROOTS[size])


def test_every_consistency_proof_up_to_exhaustive_size() -> None:
    for new in range(1, EXHAUSTIVE_SIZE + 1):
        for old in range(1, new + 1):
            proof = _consistency(old, new)
            assert proof == ref_proof(old, new), (old, new)
            merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(min_value=1, max_value=MAX_SIZE))
    index = draw(st.integers(min_value=0, max_value=size - 1))
    return index, size


@st.composite
def old_and_new(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(min_value=1, max_value=MAX_SIZE))
    old = draw(st.integers(min_value=1, max_value=new))
    return old, new


@PROPERTY
@given(index_and_size())
def test_inclusion_proofs_equal_reference_and_verify(case: tuple[int, int]) -> None:
    index, size = case
    proof = _inclusion(index, size)
    assert proof == ref_path(index, 0, size)
    merkle.verify_inclusion(index, size, _leaf(index), proof, ROOTS[size])
    assert merkle.root_from_inclusion(index, size, _leaf(index), proof) == ROOTS[size]


@PROPERTY
@given(old_and_new())
def test_consistency_proofs_equal_reference_and_verify(case: tuple[int, int]) -> None:
    old, new = case
    proof = _consistency(old, new)
    assert proof == ref_proof(old, new)
    merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


def test_proof_generation_reads_at_most_one_subtree_per_level() -> None:
    """The O(log n) reads claim: every planned range is one stored node per level at most."""
    for size in range(1, 130):
        for index in range(size):
            needed = merkle.nodes_needed(merkle.inclusion_plan(index, size))
            assert len(needed) <= 2 * size.bit_length(), (index, size)
        for old in range(1, size + 1):
            needed = merkle.nodes_needed(merkle.consistency_plan(old, size))
            assert len(needed) <= 2 * size.bit_length(), (old, size)


# -- broken proofs -----------------------------------------------------------------------


def _flip(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


def _mutations(proof: Sequence[bytes], extra: bytes) -> Iterator[tuple[str, list[bytes]]]:
    """Every dropped element, every inserted element, and duplicated ones."""
    for position in range(len(proof)):
        yield f"drop {position}", [*proof[:position], *proof[position + 1 :]]
        yield f"duplicate {position}", [*proof[: position + 1], proof[position], *proof[position + 1 :]]
    for position in range(len(proof) + 1):
        yield f"insert at {position}", [*proof[:position], extra, *proof[position:]]
    if len(proof) > 1:
        yield "reversed", list(reversed(proof))


def _must_fail(check: Callable[[], None], what: str) -> None:
    try:
        check()
    except ProofError:
        return
    pytest.fail(f"{what} verified")


@PROPERTY
@given(index_and_size(), st.data())
def test_inclusion_proof_with_a_flipped_bit_fails(case: tuple[int, int], data: st.DataObject) -> None:
    index, size = case
    proof = _inclusion(index, size)
    leaf, root = _leaf(index), ROOTS[size]
    # Which value to corrupt: a proof element, the leaf hash or the root.
    target = data.draw(st.integers(min_value=0, max_value=len(proof) + 1), label="target")
    bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
    if target < len(proof):
        proof[target] = _flip(proof[target], bit)
    elif target == len(proof):
        leaf = _flip(leaf, bit)
    else:
        root = _flip(root, bit)
    _must_fail(lambda: merkle.verify_inclusion(index, size, leaf, proof, root), f"target {target} bit {bit}")


@PROPERTY
@given(index_and_size(), st.binary(min_size=32, max_size=32))
def test_inclusion_proof_with_dropped_or_extra_elements_fails(case: tuple[int, int], extra: bytes) -> None:
    index, size = case
    proof = _inclusion(index, size)
    for what, bad in _mutations(proof, extra):
        _must_fail(lambda bad=bad: merkle.verify_inclusion(index, size, _leaf(index), bad, ROOTS[size]), what)


@PROPERTY
@given(index_and_size(), st.integers(min_value=-3, max_value=MAX_SIZE + 3))
def test_inclusion_proof_for_a_wrong_index_fails(case: tuple[int, int], other: int) -> None:
    index, size = case
    if other == index:
        other = index + 1
    proof = _inclusion(index, size)
    _must_fail(
        lambda: merkle.verify_inclusion(other, size, _leaf(index), proof, ROOTS[size]), f"index {other}"
    )
    # The right index with another leaf's hash fails too.
    if 0 <= other < size:
        _must_fail(
            lambda: merkle.verify_inclusion(index, size, _leaf(other), proof, ROOTS[size]), "another leaf"
        )


@PROPERTY
@given(index_and_size(), st.integers(min_value=1, max_value=MAX_SIZE))
def test_inclusion_proof_for_a_wrong_size_fails(case: tuple[int, int], other: int) -> None:
    """A proof for one tree size does not prove inclusion in a tree of another size.

    (The same proof may fit another size's *shape*, e.g. leaf 0 in trees of 129 and 130
    leaves; the root, which a signed checkpoint binds to its size, is what tells them apart.)
    """
    index, size = case
    proof = _inclusion(index, size)
    if other == size or (index < other and _inclusion(index, other) == proof):
        return
    _must_fail(lambda: merkle.verify_inclusion(index, other, _leaf(index), proof, ROOTS[other]), "size")


@PROPERTY
@given(old_and_new(), st.data())
def test_consistency_proof_with_a_flipped_bit_fails(case: tuple[int, int], data: st.DataObject) -> None:
    old, new = case
    proof = _consistency(old, new)
    old_root, new_root = ROOTS[old], ROOTS[new]
    target = data.draw(st.integers(min_value=0, max_value=len(proof) + 1), label="target")
    bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
    if target < len(proof):
        proof[target] = _flip(proof[target], bit)
    elif target == len(proof):
        old_root = _flip(old_root, bit)
    else:
        new_root = _flip(new_root, bit)
    _must_fail(
        lambda: merkle.verify_consistency(old, new, old_root, new_root, proof), f"target {target} bit {bit}"
    )


@PROPERTY
@given(old_and_new(), st.binary(min_size=32, max_size=32))
def test_consistency_proof_with_dropped_or_extra_elements_fails(case: tuple[int, int], extra: bytes) -> None:
    old, new = case
    proof = _consistency(old, new)
    for what, bad in _mutations(proof, extra):
        _must_fail(lambda bad=bad: merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], bad), what)


@PROPERTY
@given(
    old_and_new(), st.integers(min_value=0, max_value=MAX_SIZE), st.integers(min_value=0, max_value=MAX_SIZE)
)
def test_consistency_proof_for_wrong_sizes_fails(case: tuple[int, int], old2: int, new2: int) -> None:
    """A proof between two sizes does not prove consistency between two other sizes' roots."""
    old, new = case
    proof = _consistency(old, new)
    if (old2, new2) == (old, new) or (0 < old2 <= new2 and _consistency(old2, new2) == proof):
        return
    _must_fail(lambda: merkle.verify_consistency(old2, new2, ROOTS[old2], ROOTS[new2], proof), "sizes")


def test_every_bit_of_one_large_proof_matters() -> None:
    index, size = 137, MAX_SIZE
    proof = _inclusion(index, size)
    for target in range(len(proof)):
        for bit in range(256):
            bad = list(proof)
            bad[target] = _flip(bad[target], bit)
            _must_fail(
                lambda bad=bad: merkle.verify_inclusion(index, size, _leaf(index), bad, ROOTS[size]), ""
            )
    old, new = 97, MAX_SIZE
    proof = _consistency(old, new)
    for target in range(len(proof)):
        for bit in range(256):
            bad = list(proof)
            bad[target] = _flip(bad[target], bit)
            _must_fail(lambda bad=bad: merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], bad), "")


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_length_hashes_are_refused(length: int) -> None:
    proof = _inclusion(5, 20)
    _must_fail(lambda: merkle.verify_inclusion(5, 20, b"\x00" * length, proof, ROOTS[20]), "leaf")
    _must_fail(
        lambda: merkle.verify_inclusion(5, 20, _leaf(5), [*proof[:-1], b"\x01" * length], ROOTS[20]), "el"
    )
    _must_fail(lambda: merkle.verify_inclusion(5, 20, _leaf(5), proof, b"\x02" * length), "root")
    cproof = _consistency(5, 20)
    _must_fail(lambda: merkle.verify_consistency(5, 20, b"\x00" * length, ROOTS[20], cproof), "old root")
    _must_fail(lambda: merkle.verify_consistency(5, 20, ROOTS[5], b"\x00" * length, cproof), "new root")


def test_consistency_edge_cases() -> None:
    # Equal sizes: the proof is empty and the roots must match.
    merkle.verify_consistency(7, 7, ROOTS[7], ROOTS[7], [])
    _must_fail(lambda: merkle.verify_consistency(7, 7, ROOTS[7], ROOTS[8], []), "equal sizes, other root")
    _must_fail(lambda: merkle.verify_consistency(7, 7, ROOTS[7], ROOTS[7], [ROOTS[7]]), "non-empty")
    # From the empty tree, and backwards.
    _must_fail(lambda: merkle.verify_consistency(0, 7, merkle.EMPTY_ROOT, ROOTS[7], []), "from empty")
    _must_fail(lambda: merkle.verify_consistency(8, 7, ROOTS[8], ROOTS[7], _consistency(7, 8)), "backwards")
    _must_fail(lambda: merkle.verify_consistency(3, 7, ROOTS[3], ROOTS[7], []), "empty proof")
    with pytest.raises(ValueError):
        merkle.consistency_plan(0, 5)
    with pytest.raises(ValueError):
        merkle.inclusion_plan(5, 5)
