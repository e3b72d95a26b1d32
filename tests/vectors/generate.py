"""Regenerate the committed format vectors in this folder.

    python tests/vectors/generate.py            # rewrite the vectors next to this file
    python tests/vectors/generate.py OUT_DIR    # write them somewhere else

A small ledger is built through the real code paths (LedgerStore on a temporary SQLite
file, LedgerService with the pinned default policy, the demo decision files, and one statement of
every other kind) with fixed keys, a fixed clock and fixed randomness. Ed25519 signatures are
deterministic, so the output is the same bytes every time; ``test_vectors.py`` checks that
it still is. Bytes that differ from the committed files mean a format changed: see README.md.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from ledger.clock import FixedClock
from ledger.scoring.input import parse_decision_text
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.merkle import EMPTY_ROOT
from ledger.tlog.note import Ed25519Signer, Verifier
from policies.loader import load_policy_file
from services.keys import PERSONAL_KEY_NAME
from services.ledger_service import LedgerService
from services.settings import sqlite_url
from store.ledger_store import LedgerStore

ORIGIN = "vectors.release-ledger.example/log"
LEDGER_KEY_SEED = bytes(range(32))  # public on purpose: these keys sign test vectors and nothing else
START = datetime(2026, 11, 21, 9, 0, 0, tzinfo=UTC)  # after the demo files were evaluated
STEP_SECONDS = 60
ADMIN = "admin@example.com"
ALICE = "alice@example.com"  # submitter: submits the demo decisions
BOB = "bob@example.com"  # ml-lead: approves the medium-tier release
CAROL = "carol@example.com"  # release-manager: runs the canary, promotes and rolls back
HERE = Path(__file__).resolve().parent
# The policy the vectors adopted: policies/default.yaml as it was when they were made. Pinned,
# so that changing the shipped default does not change bytes that existing ledgers hold.
POLICY = HERE.parent / "fixtures" / "policy-default-v2.yaml"

EXPORT = "export.jsonl"
VERIFIER_KEY = "verifier.key"
SIGNER_KEY = "signer.key"
TREE = "tree.json"
INCLUSION = "inclusion.json"
CONSISTENCY = "consistency.json"
CHECKPOINTS = "checkpoints"


def ledger_signer() -> Ed25519Signer:
    return Ed25519Signer.generate(ORIGIN, LEDGER_KEY_SEED)


def personal_key(name: str, generation: int = 0) -> Ed25519Signer:
    """A person's key, from a seed derived from their name (and which key of theirs it is)."""
    seed = hashlib.sha256(f"release-ledger test vectors: {name} #{generation}".encode()).digest()
    return Ed25519Signer.generate(PERSONAL_KEY_NAME, seed)


def public_b64(key: Ed25519Signer) -> str:
    return base64.b64encode(key.public_key).decode()


def checkpoint_name(size: int) -> str:
    return f"{CHECKPOINTS}/{size:04d}.txt"


def demo_decision_texts() -> list[str]:
    """The demo decision files (cli/demo/*.yaml), in file-name order."""
    files = sorted(
        (p for p in resources.files("cli.demo").iterdir() if p.name.endswith(".yaml")),
        key=lambda p: p.name,
    )
    return [item.read_text(encoding="utf-8") for item in files]


class _Randomness:
    """A deterministic stand-in for os.urandom (the service draws token ids and secrets from it)."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._draws = 0

    def __call__(self, size: int) -> bytes:
        self._draws += 1
        return hashlib.shake_256(self._seed + self._draws.to_bytes(8, "big")).digest(size)


def build_ledger(db: Path) -> None:
    """Create the vector ledger in a new SQLite file. Each append is one entry and one checkpoint.

    seq 0-2   ledger.init, identity.added (the first admin), policy.adopted (POLICY)
    seq 3-5   identity.added: alice (submitter), bob (ml-lead), carol (release-manager)
    seq 6-11  release.decision: the six demo files, submitted and signed by alice
    seq 12    token.issued: an API token for carol
    seq 13    release.promoted: 1.3 (low tier, rolls out automatically), signed by carol
    seq 14-17 release.approval by bob, release.canary_started, release.canary_result,
              release.promoted: 1.1 (medium tier), superseding 1.3
    seq 18    release.rolled_back: 1.1 back to 1.3
    seq 19    token.revoked: carol's token
    seq 20-21 identity.key_rotated (bob, by his old key), identity.revoked (bob, by the admin)
    """
    store = LedgerStore.open(sqlite_url(db))
    try:
        randomness = _Randomness(b"release-ledger test vectors")
        clock = FixedClock(START, STEP_SECONDS)
        s = LedgerService(store, clock, ledger_signer(), random=randomness)
        admin, alice, bob, carol = (personal_key(name) for name in (ADMIN, ALICE, BOB, CAROL))
        s.setup.initialize(ORIGIN, ADMIN, admin, load_policy_file(POLICY))
        s.identities.add(ALICE, ["submitter"], public_b64(alice), ADMIN, admin)
        s.identities.add(BOB, ["ml-lead"], public_b64(bob), ADMIN, admin)
        s.identities.add(CAROL, ["release-manager"], public_b64(carol), ADMIN, admin)
        refs = {}
        for text in demo_decision_texts():
            recorded = s.decisions.submit(parse_decision_text(text), ALICE, alice)
            refs[recorded.ref.version] = f"{recorded.ref.model}@{recorded.ref.version}"
        token, _ = s.tokens.issue(CAROL, START + timedelta(days=30), CAROL, carol)
        token_id = token.split("_")[1]
        s.lifecycle.promote(refs["1.3"], CAROL, carol)
        s.lifecycle.approve(refs["1.1"], BOB, bob, comment="offline eval reviewed")
        s.lifecycle.start_canary(refs["1.1"], CAROL, carol)
        canary = {"error_rate": "0.011", "p99_latency_ms": 1800, "live_index": "103.5"}
        clock.advance(timedelta(hours=24))  # the medium tier's canary window (format 2)
        s.lifecycle.record_canary(refs["1.1"], True, canary, CAROL, carol)
        s.lifecycle.promote(refs["1.1"], CAROL, carol)
        s.lifecycle.rollback(refs["1.1"], "1.3", "cost spike in production", CAROL, carol)
        s.tokens.revoke(token_id, CAROL, carol)
        s.identities.rotate_key(BOB, public_b64(personal_key(BOB, 1)), BOB, bob)
        s.identities.revoke(BOB, ADMIN, admin)
    finally:
        store.close()


def _one_per_line(items: Iterable[dict[str, Any]]) -> bytes:
    """A JSON array with one element per line: readable, and small diffs when a vector changes."""
    return ("[\n" + ",\n".join(json.dumps(item) for item in items) + "\n]\n").encode()


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def render(db: Path) -> dict[str, bytes]:
    """Every vector file, by path relative to the vector folder, read from the ledger at ``db``."""
    store = LedgerStore.open(sqlite_url(db))
    try:
        service = LedgerService(store, FixedClock(START))
        verifier = Verifier.parse(service.log.verifier_key())
        files: dict[str, bytes] = {
            VERIFIER_KEY: (service.log.verifier_key() + "\n").encode(),
            SIGNER_KEY: (ledger_signer().signer_key() + "\n").encode(),
        }
        for note in store.checkpoint_notes():
            files[checkpoint_name(Checkpoint.open(note, verifier).size)] = note.encode()
        export = io.BytesIO()
        size = service.log.export(export)
        files[EXPORT] = export.getvalue()
        inclusion = [service.log.inclusion_proof(index, size) for index in range(size)]
        consistency = [
            service.log.consistency_proof(old, new) for new in range(1, size + 1) for old in range(1, new + 1)
        ]
        leaves = [base64.b64decode(proof["leaf_hash"]) for proof in inclusion]
        roots = [EMPTY_ROOT, *(base64.b64decode(p["new_root"]) for p in consistency if p["old_size"] == 1)]
        tree = {
            "origin": ORIGIN,
            "size": size,
            "leaf_hash_hex": [leaf.hex() for leaf in leaves],
            "leaf_hash_b64": [_b64(leaf) for leaf in leaves],
            "root_hash_by_size_hex": [root.hex() for root in roots],
            "root_hash_by_size_b64": [_b64(root) for root in roots],
        }
        files[TREE] = (json.dumps(tree, indent=2) + "\n").encode()
        files[INCLUSION] = _one_per_line(inclusion)
        files[CONSISTENCY] = _one_per_line(consistency)
        return files
    finally:
        store.close()


def generate(out: Path, db: Path | None = None) -> list[str]:
    """Build the ledger (at ``db``, or in a temporary directory) and write every vector file under ``out``."""
    if db is None:
        with tempfile.TemporaryDirectory(prefix="rledger-vectors-") as tmp:
            return generate(out, Path(tmp) / "ledger.db")
    build_ledger(db)
    files = render(db)
    shutil.rmtree(out / CHECKPOINTS, ignore_errors=True)
    for name, data in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return sorted(files)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else HERE
    names = generate(out)
    print(f"wrote {len(names)} vector files to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
