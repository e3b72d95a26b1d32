"""Deliberate tampering with a SQLite ledger file, for the demo and the tests.

This is what an attacker with write access to the database file could do: drop the
append-only triggers and change rows directly. Verification must catch every one.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger.tlog.entry import Entry, parse_time

# An entry as an attacker rewrites it: kind, payload and time; the chain is rebuilt around it.
Rewritten = tuple[str, dict[str, Any], str]

TABLES = ("ledger_meta", "ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_decisions")


def _open_without_guards(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None)
    for table in TABLES:
        conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    return conn


def flip_payload_byte(db: Path, seq: int, *, also_fix_leaf_hash: bool = False) -> None:
    """Change one byte inside entry ``seq``'s payload (a digit or letter, so it stays JSON)."""
    import hashlib

    conn = _open_without_guards(db)
    (body,) = conn.execute("SELECT body FROM ledger_entries WHERE seq = ?", (seq,)).fetchone()
    data = bytearray(body)
    at = data.index(b'"payload":') + 12
    while not chr(data[at]).isalnum():
        at += 1
    data[at] = ord("7") if data[at] != ord("7") else ord("8")
    conn.execute("UPDATE ledger_entries SET body = ? WHERE seq = ?", (bytes(data), seq))
    if also_fix_leaf_hash:
        leaf = hashlib.sha256(b"\x00" + bytes(data)).digest()
        conn.execute("UPDATE ledger_entries SET leaf_hash = ? WHERE seq = ?", (leaf, seq))
    conn.close()


def delete_entry(db: Path, seq: int) -> None:
    conn = _open_without_guards(db)
    conn.execute("DELETE FROM ledger_entries WHERE seq = ?", (seq,))
    conn.close()


def swap_entries(db: Path, a: int, b: int) -> None:
    conn = _open_without_guards(db)
    rows = dict(conn.execute("SELECT seq, body FROM ledger_entries WHERE seq IN (?, ?)", (a, b)).fetchall())
    leaves = dict(
        conn.execute("SELECT seq, leaf_hash FROM ledger_entries WHERE seq IN (?, ?)", (a, b)).fetchall()
    )
    conn.execute("UPDATE ledger_entries SET body = ?, leaf_hash = ? WHERE seq = ?", (rows[b], b"\0" * 32, a))
    conn.execute("UPDATE ledger_entries SET body = ?, leaf_hash = ? WHERE seq = ?", (rows[a], leaves[a], b))
    conn.execute("UPDATE ledger_entries SET leaf_hash = ? WHERE seq = ?", (leaves[b], a))
    conn.close()


def truncate_after(db: Path, keep: int) -> None:
    """Delete every entry from ``keep`` on, leaving checkpoints alone."""
    conn = _open_without_guards(db)
    conn.execute("DELETE FROM ledger_entries WHERE seq >= ?", (keep,))
    conn.close()


def alter_latest_checkpoint_signature(db: Path) -> None:
    conn = _open_without_guards(db)
    size, note = conn.execute(
        "SELECT size, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1"
    ).fetchone()
    head, signature = note.rstrip("\n").rsplit(" ", 1)
    position = 12
    replacement = "A" if signature[position] != "A" else "B"
    changed = signature[:position] + replacement + signature[position + 1 :]
    conn.execute("UPDATE ledger_checkpoints SET note = ? WHERE size = ?", (f"{head} {changed}\n", size))
    conn.close()


def reseal(
    source: Path, target: Path, ledger_key: object, rewrite: Callable[[list[Entry]], list[Rewritten]]
) -> None:
    """Copy the ledger at ``source`` into a new file ``target`` whose entries are what
    ``rewrite`` makes of the old ones (``(kind, payload, time)`` each), with the hash chain,
    Merkle tree and checkpoints rebuilt and signed with ``ledger_key``: everything an operator
    holding the database and the log key can do. Only the meaning pass can catch it.
    """
    from ledger.tlog.note import Ed25519Signer
    from services.ports import PendingEntry
    from services.settings import sqlite_url
    from store.ledger_store import LedgerStore

    assert isinstance(ledger_key, Ed25519Signer)
    old = LedgerStore.open(sqlite_url(source))
    meta = old.meta()
    entries = [Entry.parse(b) for _, blobs, _ in old.entry_chunks() for b in blobs]
    old.close()
    pending = []
    for kind, payload, time in rewrite(entries):
        decision = (payload["model"], payload["version"]) if kind == "release.decision" else None
        pending.append(PendingEntry(kind, payload, decision, parse_time(time)))
    new = LedgerStore.open(sqlite_url(target))
    new.initialize(meta["origin"], meta["verifier_key"], pending, parse_time(entries[0].time), ledger_key)
    new.close()


def forge_approval_and_reseal(source: Path, target: Path, ledger_key: object) -> int:
    """What the operator could do with the ledger key alone: rewrite an approval's signature,
    then rebuild the chain and re-sign a checkpoint. Returns the forged entry's seq.

    Structural verification passes on the result (the operator holds the checkpoint key);
    only the approver's own key could have made a valid approval signature, so verifying
    the log's meaning must catch it.
    """
    forged: list[int] = []

    def rewrite(entries: list[Entry]) -> list[Rewritten]:
        forged.append(next(e.seq for e in entries if e.kind == "release.approval"))
        out = []
        for e in entries:
            payload = dict(e.payload)
            if e.seq == forged[0]:
                payload["signature"] = base64.b64encode(bytes(64)).decode()
            out.append((e.kind, payload, e.time))
        return out

    reseal(source, target, ledger_key, rewrite)
    return forged[0]


def forge_attested_rotation_and_reseal(source: Path, target: Path, ledger_key: object, victim: str) -> int:
    """Issue 11's first attack: append a rotation of ``victim``'s key to one the operator made,
    authorised only by a token attestation; an approval in the victim's name signed with that
    key; and a rotation back, then reseal. Returns the seq of the first forged entry.

    From ledger format 4 a token attestation authorises nothing, so the meaning pass refuses
    the first forged entry whatever the token names.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from governance.statements import sign_statement
    from ledger.tlog.note import Ed25519Signer

    forged = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    public = base64.b64encode(forged.public_key().public_bytes_raw()).decode()
    first: list[int] = []

    def rewrite(entries: list[Entry]) -> list[Rewritten]:
        out: list[Rewritten] = [(e.kind, dict(e.payload), e.time) for e in entries]
        genesis, last = entries[0].payload, entries[-1]
        original = _registered_key(entries, victim)
        decision = next(e for e in reversed(entries) if e.kind == "release.decision")
        token = {"token": "0123456789abcdef"}
        rotate = {"name": victim, "public_key": public, "actor": victim, "attestation": token}
        approval = {
            "decision": decision.leaf_hash.hex(),
            "model": decision.payload["model"],
            "version": decision.payload["version"],
            "approver": victim,
            "role": "ml-lead",
            "verdict": "approve",
            "comment": "",
        }
        signer = Ed25519Signer("rledger-identity", forged)
        approval = sign_statement("release.approval", approval, signer, origin=str(genesis["origin"]))
        back = {"name": victim, "public_key": original, "actor": victim, "attestation": token}
        first.append(len(out))
        out += [
            ("identity.key_rotated", rotate, last.time),
            ("release.approval", approval, last.time),
            ("identity.key_rotated", back, last.time),
        ]
        return out

    reseal(source, target, ledger_key, rewrite)
    return first[0]


def _registered_key(entries: list[Entry], name: str) -> str:
    key = ""
    for e in entries:
        if e.kind in ("identity.added", "identity.key_rotated") and e.payload.get("name") == name:
            key = str(e.payload["public_key"])
    return key
