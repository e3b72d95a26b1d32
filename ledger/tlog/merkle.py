"""RFC 9162 §2.1 Merkle tree hashing, proofs and proof verification.

Hashes are SHA-256 with domain separation: a leaf is ``H(0x00 || data)``, an interior
node ``H(0x01 || left || right)``, and the empty tree ``H("")``.

Proof *generation* is split in two so that storage can serve it with O(log n) reads:
``inclusion_plan``/``consistency_plan`` say which subtree ranges a proof needs,
``perfect_subtrees`` says which stored perfect-subtree hashes cover a range, and
``range_hash`` folds those hashes back into the range's hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from ledger.errors import VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
"""A perfect subtree: (level, index). Level 0 is a leaf; (l, i) covers leaves [i·2^l, (i+1)·2^l)."""

Range = tuple[int, int]
"""Leaves [start, end)."""


class ProofError(VerificationError):
    """An inclusion or consistency proof did not verify."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


@dataclass
class CompactRange:
    """The right edge of a growing tree: one hash per set bit of its size.

    Appending a leaf returns the perfect subtrees it completes, so a writer can persist
    them and later serve any proof without recomputing.
    """

    size: int = 0
    # (level, hash), levels strictly decreasing from left to right.
    nodes: list[tuple[int, bytes]] = field(default_factory=list)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        index = self.size
        created: list[tuple[NodeId, bytes]] = [((0, index), leaf)]
        level, value = 0, leaf
        while self.nodes and self.nodes[-1][0] == level:
            _, left = self.nodes.pop()
            value = node_hash(left, value)
            level += 1
            created.append(((level, index >> level), value))
        self.nodes.append((level, value))
        self.size += 1
        return created

    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        acc = self.nodes[-1][1]
        for _, value in reversed(self.nodes[:-1]):
            acc = node_hash(value, acc)
        return acc

    @classmethod
    def from_stored(cls, size: int, get: Mapping[NodeId, bytes]) -> CompactRange:
        """Rebuild the edge of a tree of ``size`` leaves from stored perfect subtrees."""
        ids = frontier_ids(size)
        return cls(size=size, nodes=[(level, get[(level, idx)]) for level, idx in ids])


def frontier_ids(size: int) -> list[NodeId]:
    """The perfect subtrees that make up a tree of ``size`` leaves, left to right."""
    return perfect_subtrees(0, size)


def perfect_subtrees(start: int, end: int) -> list[NodeId]:
    """Cover leaves [start, end) with maximal aligned perfect subtrees, left to right.

    For the ranges proofs ask for (see the plans below) this is at most one subtree per
    level, which is what keeps proof generation at O(log n) reads.
    """
    if not 0 <= start <= end:
        raise ValueError(f"bad range [{start}, {end})")
    out: list[NodeId] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length()
        while (1 << level) > end - start:
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def range_hash(start: int, end: int, get: Mapping[NodeId, bytes]) -> bytes:
    """MTH(D[start:end]) from stored perfect subtrees, for ranges a proof plan produces.

    Those ranges decompose into subtrees of strictly decreasing size, which is exactly
    the shape RFC 9162's recursive split produces, so folding from the right is correct.
    """
    ids = perfect_subtrees(start, end)
    if not ids:
        return EMPTY_ROOT
    if any(a[0] <= b[0] for a, b in pairwise(ids)):
        raise ValueError(f"[{start}, {end}) is not a range RFC 9162 splits this way")
    acc = get[ids[-1]]
    for node in reversed(ids[:-1]):
        acc = node_hash(get[node], acc)
    return acc


def root_from(size: int, get: Mapping[NodeId, bytes]) -> bytes:
    return range_hash(0, size, get)


def inclusion_plan(index: int, size: int) -> list[Range]:
    """The ranges whose hashes form PATH(index, D[0:size]), leaf side first (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    plan: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            plan.append((lo + k, hi))
            hi = lo + k
        else:
            plan.append((lo, lo + k))
            lo = lo + k
    plan.reverse()
    return plan


def consistency_plan(old: int, new: int) -> list[Range]:
    """The ranges whose hashes form PROOF(old, D[0:new]) (RFC 9162 §2.1.4.1)."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    plan: list[Range] = []
    lo, hi, m, complete = 0, new, old, True
    while True:
        if m == hi - lo:
            if not complete:
                plan.append((lo, hi))
            break
        k = _split(hi - lo)
        if m <= k:
            plan.append((lo + k, hi))
            hi = lo + k
        else:
            plan.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    plan.reverse()
    return plan


def nodes_needed(ranges: Iterable[Range]) -> set[NodeId]:
    needed: set[NodeId] = set()
    for start, end in ranges:
        needed.update(perfect_subtrees(start, end))
    return needed


def hashes_for(ranges: Sequence[Range], get: Mapping[NodeId, bytes]) -> list[bytes]:
    return [range_hash(start, end, get) for start, end in ranges]


def _check_len(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root a valid inclusion proof implies (RFC 9162 §2.1.3.2)."""
    if index >= size or index < 0:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    _check_len("leaf hash", leaf)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        _check_len("proof element", p)
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    _check_len("root hash", root)
    computed = root_from_inclusion(index, size, leaf, proof)
    if computed != root:
        raise ProofError(
            f"inclusion proof for leaf {index} in tree {size} does not reach the root",
            expected=root.hex(),
            actual=computed.hex(),
        )


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2, with transparency-dev/merkle's edge cases (see the vectors README).

    Raises ProofError when the sizes admit no proof, equal sizes come with a proof or with
    different roots, a hash is not 32 bytes, the proof has the wrong length, or it does not
    reproduce both roots.
    """
    _check_consistency_sizes(old, new)
    if old == new:
        _check_same_tree(old_root, new_root, proof)
        return
    # Step 1: an empty path proves nothing between different sizes.
    if not proof:
        raise ProofError("empty consistency proof between different sizes")
    _check_len("old root", old_root)
    _check_len("new root", new_root)
    for p in proof:
        _check_len("proof element", p)
    fr, sr = _roots_from_consistency(old, new, old_root, proof)
    # Step 7, the rest: fr must be the old root and sr the new one.
    if fr != old_root:
        raise ProofError(
            "consistency proof does not reproduce the old root", expected=old_root.hex(), actual=fr.hex()
        )
    if sr != new_root:
        raise ProofError(
            "consistency proof does not reproduce the new root", expected=new_root.hex(), actual=sr.hex()
        )


def _check_consistency_sizes(old: int, new: int) -> None:
    if old < 0 or new < 0:
        raise ProofError("tree sizes cannot be negative")
    if new < old:
        raise ProofError(f"new size {new} is smaller than old size {old}")
    if old == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")


def _check_same_tree(old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    # Equal sizes: the only valid proof is the empty one, and only between equal roots.
    if proof:
        raise ProofError("sizes are equal, so the proof must be empty")
    if old_root != new_root:
        raise ProofError("sizes are equal but roots differ", expected=old_root.hex(), actual=new_root.hex())


def _roots_from_consistency(
    old: int, new: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """(fr, sr): the old and new roots a non-empty consistency proof implies.

    RFC 9162 §2.1.4.2 steps 2 to 6, and step 7's check that sn ends at 0.
    """
    path = list(proof)
    # Step 2: when the old tree is a perfect subtree, its root is the path's first node.
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    # Steps 3-4: fn, sn = old - 1, new - 1, shifted right past fn's trailing set bits.
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5: both running roots start at the path's first node.
    fr = sr = path[0]
    # Step 6: each further node joins both roots on the left, or sr alone on the right.
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than needed")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # Step 7, first part: the path must have walked sn down to 0.
    if sn != 0:
        raise ProofError("consistency proof is shorter than needed")
    return fr, sr
