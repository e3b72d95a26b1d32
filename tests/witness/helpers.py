"""A log for the witness tests: a Merkle tree built with ledger.tlog.merkle, signed checkpoints,
and add-checkpoint request bodies as https://c2sp.org/tlog-witness lays them out."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.merkle import (
    EMPTY_ROOT,
    CompactRange,
    NodeId,
    consistency_plan,
    hashes_for,
    leaf_hash,
    range_hash,
)
from ledger.tlog.note import Ed25519Signer

ORIGIN = "log.example/witnessed"


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


LOG_KEY = Ed25519Signer.generate(ORIGIN, seed("log"))
WITNESS_KEY = Ed25519Signer.generate("witness.example/w1", seed("witness"))


class Tree:
    """A tree whose every perfect subtree is kept, so any root and any proof can be served."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.nodes: dict[NodeId, bytes] = {}
        edge = CompactRange()
        for data in leaves:
            self.nodes.update(edge.append(leaf_hash(data)))
        self.size = edge.size

    def root(self, size: int) -> bytes:
        return EMPTY_ROOT if size == 0 else range_hash(0, size, self.nodes)

    def proof(self, old: int, new: int) -> list[bytes]:
        return [] if old == 0 or old == new else hashes_for(consistency_plan(old, new), self.nodes)

    def checkpoint(self, size: int, signer: Ed25519Signer = LOG_KEY, origin: str = ORIGIN) -> str:
        return Checkpoint(origin, size, self.root(size)).sign(signer)


def leaves(count: int, label: str = "entry") -> list[bytes]:
    return [f"{label} {n}".encode() for n in range(count)]


def body(old: int, proof: Sequence[bytes], note: str) -> bytes:
    lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    return f"old {old}\n{lines}\n{note}".encode()


def request_for(tree: Tree, old: int, new: int) -> bytes:
    return body(old, tree.proof(old, new), tree.checkpoint(new))
