"""Tampering with a real SQLite ledger is refused by the database, or caught by verification.

The ledger is built through LedgerService the way the demo builds it (an admin, a submitter,
then the demo decision files), with fixed keys and a fixed clock; each test works on its own
copy of the database file.
"""

from __future__ import annotations

import base64
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from cli.demo import tamper
from cli.main import EXIT_VERIFICATION_FAILED, main
from ledger.clock import FixedClock
from ledger.errors import (
    DecisionInputError,
    DuplicateDecisionError,
    FormatError,
    RefusedError,
    StorageError,
    VerificationError,
)
from ledger.scoring.input import parse_decision_text
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import Entry
from ledger.tlog.merkle import frontier_ids, leaf_hash, verify_consistency, verify_inclusion
from ledger.tlog.note import Ed25519Signer
from services.keys import PERSONAL_KEY_NAME
from services.ledger_service import LedgerService
from services.ports import PendingEntry
from services.settings import sqlite_url
from store.ledger_store import LedgerStore
from store.schema import LEDGER_TABLES, LEVEL_SHIFT

ORIGIN = "tamper-tests.example/release-ledger"
ADMIN = "admin@example.com"
SUBMITTER = "alice@example.com"  # the demo decision files are requested_by her
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = START + timedelta(days=1)  # for appending to a ledger built from START
EXTRA_VERSIONS = 5  # demo decisions recorded again under new versions, to lengthen the ledger
SETUP_ENTRIES = 4  # genesis, the admin, the policy (one append), then the submitter's identity


def ledger_key() -> Ed25519Signer:
    return Ed25519Signer.generate(ORIGIN, bytes(range(100, 132)))


def person_key(name: str) -> Ed25519Signer:
    seed = (name.encode() * 32)[:32]
    return Ed25519Signer.generate(PERSONAL_KEY_NAME, seed)


def demo_decisions() -> list[dict[str, Any]]:
    files = sorted(
        (p for p in resources.files("cli.demo").iterdir() if p.name.endswith(".yaml")),
        key=lambda p: p.name,
    )
    return [parse_decision_text(p.read_text(encoding="utf-8")) for p in files]


def decisions(count: int) -> list[dict[str, Any]]:
    """The demo decisions first, then the same again under new (unique) versions."""
    base = demo_decisions()
    out = list(base)
    number = 0
    while len(out) < count:
        data = dict(base[number % len(base)])
        data["version"] = f"{data['version']}.{number + 1}"
        out.append(data)
        number += 1
    return out[:count]


@contextmanager
def open_service(db: Path, start: datetime = START) -> Iterator[LedgerService]:
    store = LedgerStore.open(sqlite_url(db))
    try:
        yield LedgerService(store, FixedClock(start, step_seconds=60), ledger_key())
    finally:
        store.close()


def submit(service: LedgerService, data: dict[str, Any]) -> Any:
    return service.decisions.submit(data, SUBMITTER, person_key(SUBMITTER))


def build(db: Path, count: int) -> None:
    with open_service(db) as service:
        admin = person_key(ADMIN)
        service.setup.initialize(ORIGIN, ADMIN, admin)
        public = base64.b64encode(person_key(SUBMITTER).public_key).decode()
        service.identities.add(SUBMITTER, ["submitter"], public, ADMIN, admin)
        for data in decisions(count):
            submit(service, data)


def copy_db(source: Path, home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    for path in source.parent.glob(source.name + "*"):  # the WAL and shm files too, if any
        shutil.copyfile(path, home / path.name.replace(source.name, "ledger.db"))
    return home / "ledger.db"


def logical_dump(db: Path) -> list[str]:
    """The database's whole logical content: schema, triggers and every row."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def table_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in LEDGER_TABLES}
    finally:
        conn.close()


NUM_DECISIONS = len(demo_decisions()) + EXTRA_VERSIONS
SIZE = SETUP_ENTRIES + NUM_DECISIONS
NEWEST = SIZE - 1
CHECKPOINT_SIZES = [3, *range(SETUP_ENTRIES, SIZE + 1)]  # one per append transaction
FIRST_DECISION = SETUP_ENTRIES


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("template") / "ledger.db"
    build(db, NUM_DECISIONS)
    return db


@pytest.fixture
def home(template: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    copy_db(template, home)
    return home


# -- the untouched ledger ----------------------------------------------------------------


def test_untouched_ledger_verifies(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_service(home / "ledger.db") as service:
        result = service.verification.verify()
        assert result.size == SIZE
        assert result.checkpoints_checked == len(CHECKPOINT_SIZES)  # one per append transaction
        assert result.uncovered == 0
        assert service.store.decision_count() == NUM_DECISIONS
        assert len(service.verification.verify_meaning().decisions) == NUM_DECISIONS
        notes = [Checkpoint.open(n, service.log.verifier()) for n in service.store.checkpoint_notes()]
        assert [c.size for c in notes] == CHECKPOINT_SIZES
    assert main(["--home", str(home), "verify"]) == 0
    out, err = capsys.readouterr()
    assert f"OK: {SIZE} entries verified" in out
    assert err == ""


def test_the_ledger_is_reproducible(template: Path, tmp_path: Path) -> None:
    """Fixed key and clock: building again gives the same entries and checkpoints byte for byte."""
    again = tmp_path / "again.db"
    build(again, NUM_DECISIONS)
    assert table_rows(again) == table_rows(template)


# -- tampering behind the triggers' back ------------------------------------------------


def _insert_after_latest_checkpoint(db: Path) -> None:
    """A plain INSERT (allowed by the triggers) of a well-formed, correctly chained entry."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        (body,) = conn.execute("SELECT body FROM ledger_entries WHERE seq = ?", (NEWEST,)).fetchone()
        last = Entry.parse(bytes(body))
        forged = Entry.create(
            SIZE, last.leaf_hash.hex(), LATER, last.kind, dict(last.payload, version="9.9.9")
        )
        conn.execute(
            "INSERT INTO ledger_entries (seq, leaf_hash, kind, body) VALUES (?, ?, ?, ?)",
            (forged.seq, forged.leaf_hash, forged.kind, forged.data),
        )
    finally:
        conn.close()


@dataclass(frozen=True)
class Tampering:
    name: str
    apply: Callable[[Path], None]
    index: int  # the entry the failure must name (the tree size, for a checkpoint)
    checkpoint: bool = False


MID = FIRST_DECISION + 2  # a decision in the middle of the log

TAMPERINGS = [
    Tampering("payload-byte-mid", lambda db: tamper.flip_payload_byte(db, MID), MID),
    Tampering("payload-byte-genesis", lambda db: tamper.flip_payload_byte(db, 0), 0),
    Tampering("payload-byte-newest", lambda db: tamper.flip_payload_byte(db, NEWEST), NEWEST),
    Tampering(
        "payload-byte-mid-leaf-fixed",
        lambda db: tamper.flip_payload_byte(db, MID, also_fix_leaf_hash=True),
        MID,
    ),
    Tampering(
        "payload-byte-2-leaf-fixed",  # the last entry of the first append (checkpoint 3)
        lambda db: tamper.flip_payload_byte(db, 2, also_fix_leaf_hash=True),
        2,
    ),
    Tampering(
        "payload-byte-genesis-leaf-fixed",
        lambda db: tamper.flip_payload_byte(db, 0, also_fix_leaf_hash=True),
        0,
    ),
    Tampering(
        "payload-byte-newest-leaf-fixed",
        lambda db: tamper.flip_payload_byte(db, NEWEST, also_fix_leaf_hash=True),
        NEWEST,
    ),
    Tampering("delete-3", lambda db: tamper.delete_entry(db, 3), 3),
    Tampering("delete-genesis", lambda db: tamper.delete_entry(db, 0), 0),
    Tampering("delete-newest", lambda db: tamper.delete_entry(db, NEWEST), NEWEST),
    Tampering("swap-2-3", lambda db: tamper.swap_entries(db, 2, 3), 2),
    Tampering("swap-1-9", lambda db: tamper.swap_entries(db, 1, 9), 1),
    Tampering("truncate-to-5", lambda db: tamper.truncate_after(db, 5), 5),
    Tampering("truncate-newest", lambda db: tamper.truncate_after(db, NEWEST), NEWEST),
    Tampering("checkpoint-signature", tamper.alter_latest_checkpoint_signature, SIZE, checkpoint=True),
    Tampering("insert-after-latest-checkpoint", _insert_after_latest_checkpoint, SIZE),
]


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=lambda t: t.name)
def test_tampering_is_caught_naming_the_entry(home: Path, tampering: Tampering) -> None:
    db = home / "ledger.db"
    tampering.apply(db)
    with open_service(db) as service, pytest.raises(VerificationError) as info:
        service.verification.verify()
    assert info.value.index == tampering.index, str(info.value)
    if tampering.checkpoint:
        assert "checkpoint" in str(info.value)


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=lambda t: t.name)
def test_cli_verify_fails_naming_the_entry(
    home: Path, tampering: Tampering, capsys: pytest.CaptureFixture[str]
) -> None:
    tampering.apply(home / "ledger.db")
    code = main(["--home", str(home), "verify"])
    out, err = capsys.readouterr()
    assert code == EXIT_VERIFICATION_FAILED, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("verification FAILED: ")
    assert f"entry {tampering.index}:" in lines[0]
    if tampering.checkpoint:
        assert "checkpoint" in lines[0]
    assert "OK" not in out


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=lambda t: t.name)
def test_two_workers_reading_their_own_ranges_name_the_same_entry(home: Path, tampering: Tampering) -> None:
    """With workers, each reads its own range of seqs (store.chunk_source): every tampering
    is caught at the same entry as by one process reading in order."""
    db = home / "ledger.db"
    tampering.apply(db)
    with open_service(db) as service, pytest.raises(VerificationError) as info:
        service.verification.verify(workers=2)
    assert info.value.index == tampering.index, str(info.value)
    if tampering.checkpoint:
        assert "checkpoint" in str(info.value)


def _set_stored_node(db: Path, node: tuple[int, int], value: bytes) -> None:
    level, index = node
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER IF EXISTS ledger_nodes_no_update")
        changed = conn.execute(
            "UPDATE ledger_nodes SET hash = ? WHERE id = ?", (value, (level << LEVEL_SHIFT) | index)
        ).rowcount
        assert changed == 1
    finally:
        conn.close()


INTERIOR_NODES = [(1, 0), (2, 1)]
assert not set(INTERIOR_NODES) & set(frontier_ids(SIZE))


@pytest.mark.parametrize(
    "node", [*INTERIOR_NODES, frontier_ids(SIZE)[0]], ids=lambda n: f"level{n[0]}-index{n[1]}"
)
def test_a_stored_subtree_hash_changed_behind_the_triggers_back_is_caught(
    home: Path, node: tuple[int, int]
) -> None:
    """Proofs are served from ledger_nodes, so verify() must vouch for every stored node,
    not only the ones on the right edge of the tree."""
    db = home / "ledger.db"
    _set_stored_node(db, node, bytes(32))
    level, index = node
    leaf = (index << level) ^ (1 << level)  # a leaf whose inclusion proof uses the changed node
    with open_service(db) as service:
        proof = service.log.inclusion_proof(leaf, SIZE)
        root = Checkpoint.open(service.log.latest_checkpoint(), service.log.verifier()).root
        hashes = [_b64(h) for h in proof["hashes"]]
        with pytest.raises(VerificationError):
            verify_inclusion(leaf, SIZE, _b64(proof["leaf_hash"]), hashes, root)
        with pytest.raises(VerificationError):
            service.verification.verify()


# -- the database refuses edits ----------------------------------------------------------

EDITS = {
    "ledger_meta": ("value", "'other.example/log'"),
    "ledger_entries": ("body", "x'7b7d'"),
    "ledger_nodes": ("hash", "zeroblob(32)"),
    "ledger_checkpoints": ("note", "'forged'"),
    "ledger_decisions": ("version", "'0.0'"),
}


@pytest.mark.parametrize("table", LEDGER_TABLES)
@pytest.mark.parametrize("statement", ["UPDATE {table} SET {column} = {value}", "DELETE FROM {table}"])
def test_update_and_delete_are_refused_by_triggers(home: Path, table: str, statement: str) -> None:
    db = home / "ledger.db"
    before = logical_dump(db)
    column, value = EDITS[table]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0
        with pytest.raises(sqlite3.DatabaseError, match=f"{table} is append-only"):
            conn.execute(statement.format(table=table, column=column, value=value))
        conn.commit()
    finally:
        conn.close()
    assert logical_dump(db) == before
    with open_service(db) as service:
        service.verification.verify()


@pytest.mark.parametrize("table", LEDGER_TABLES)
def test_even_a_no_op_update_is_refused(home: Path, table: str) -> None:
    column, _ = EDITS[table]
    conn = sqlite3.connect(home / "ledger.db")
    try:
        with pytest.raises(sqlite3.DatabaseError, match=f"{table} is append-only"):
            conn.execute(f"UPDATE {table} SET {column} = {column}")
    finally:
        conn.close()


def test_upsert_is_refused_by_triggers(home: Path) -> None:
    db = home / "ledger.db"
    before = logical_dump(db)
    conn = sqlite3.connect(db)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(
                "INSERT INTO ledger_checkpoints (size, root, note) VALUES (3, zeroblob(32), 'x') "
                "ON CONFLICT(size) DO UPDATE SET note = excluded.note"
            )
    finally:
        conn.close()
    assert logical_dump(db) == before


@pytest.mark.parametrize(
    ("table", "statement"),
    [
        (
            "ledger_entries",
            "INSERT OR REPLACE INTO ledger_entries SELECT seq, zeroblob(32), kind, body "
            "FROM ledger_entries WHERE seq = 1",
        ),
        (
            "ledger_checkpoints",
            "REPLACE INTO ledger_checkpoints SELECT size, root, 'forged' "
            "FROM ledger_checkpoints WHERE size = 3",
        ),
        (
            "ledger_meta",
            "INSERT OR REPLACE INTO ledger_meta (key, value) VALUES ('origin', 'other.example/log')",
        ),
    ],
    ids=["entries", "checkpoints", "meta"],
)
def test_insert_or_replace_is_refused_by_triggers(home: Path, table: str, statement: str) -> None:
    """REPLACE deletes the conflicting row without firing delete triggers (unless the
    connection set recursive_triggers), so plain BEFORE DELETE triggers do not stop it."""
    db = home / "ledger.db"
    before = logical_dump(db)
    conn = sqlite3.connect(db)
    try:
        with pytest.raises(sqlite3.DatabaseError, match=f"{table} is append-only"):
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()
    assert logical_dump(db) == before


# -- a failed append leaves the ledger exactly as it was ---------------------------------


class ExplodingSigner:
    """The ledger key's name and verifier key, but signing fails (an HSM outage, say)."""

    def __init__(self) -> None:
        self._inner = ledger_key()

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def verifier_key(self) -> str:
        return self._inner.verifier_key

    def sign(self, message: bytes) -> bytes:
        raise RuntimeError("the signing service is unavailable")


def _new_decision() -> dict[str, Any]:
    data = dict(demo_decisions()[0])
    data["version"] = "77.0"
    return data


def _fail_signing(service: LedgerService) -> None:
    exploding = LedgerService(service.store, service.clock, ExplodingSigner())
    with pytest.raises(RuntimeError, match="signing service"):
        submit(exploding, _new_decision())


def _fail_duplicate(service: LedgerService) -> None:
    with pytest.raises(DuplicateDecisionError):
        submit(service, demo_decisions()[2])


def _fail_refused_by_governance(service: LedgerService) -> None:
    """Refused inside the append transaction, after the entry and its leaf were computed."""
    with pytest.raises(RefusedError):
        service.lifecycle.approve(
            f"{demo_decisions()[0]['model']}@1.1", SUBMITTER, person_key(SUBMITTER), role="submitter"
        )


def _fail_float(service: LedgerService) -> None:
    with pytest.raises(FormatError, match="float"):
        service.store.append([PendingEntry("test.generic", {"score": 0.5})], LATER, ledger_key())


def _fail_float_in_batch(service: LedgerService) -> None:
    good = PendingEntry("test.generic", {"score": "0.5"})
    bad = PendingEntry("test.generic", {"nested": {"score": 0.5}})
    with pytest.raises(FormatError, match=r"\$\.payload\.nested\.score"):
        service.store.append([good, good, bad], LATER, ledger_key())


def _fail_same_decision_twice_in_batch(service: LedgerService) -> None:
    twice = PendingEntry("test.generic", {"n": 1}, ("support-summarizer", "77.0"))
    with pytest.raises(StorageError):
        service.store.append([twice, twice], LATER, ledger_key())


def _fail_invalid_input(service: LedgerService) -> None:
    data = _new_decision()
    data["scores"] = dict(data["scores"], safety=101)
    with pytest.raises(DecisionInputError, match=r"scores\.safety"):
        submit(service, data)


FAILURES = {
    "signer-raises": _fail_signing,
    "duplicate-decision": _fail_duplicate,
    "refused-by-governance": _fail_refused_by_governance,
    "float-payload": _fail_float,
    "float-payload-third-in-batch": _fail_float_in_batch,
    "same-decision-twice-in-batch": _fail_same_decision_twice_in_batch,
    "invalid-decision": _fail_invalid_input,
}


@pytest.mark.parametrize("fail", FAILURES.values(), ids=FAILURES.keys())
def test_a_failed_append_leaves_the_ledger_exactly_as_it_was(home: Path, fail: Callable[..., None]) -> None:
    db = home / "ledger.db"
    before_dump, before_rows = logical_dump(db), table_rows(db)
    with open_service(db, LATER) as service:
        fail(service)
        assert service.store.size() == SIZE
        after_dump, after_rows = logical_dump(db), table_rows(db)
        assert after_rows == before_rows
        assert after_dump == before_dump
        assert service.verification.verify().size == SIZE
        # The ledger carries on from where it was: no gap, no half-written checkpoint.
        recorded = submit(service, _new_decision())
        assert recorded.ref.seq == SIZE
        result = service.verification.verify()
        assert result.size == SIZE + 1
        assert result.checkpoints_checked == len(CHECKPOINT_SIZES) + 1
        service.verification.verify_meaning()


# -- proofs ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fifty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("fifty") / "ledger.db"
    build(db, 50 - SETUP_ENTRIES)
    return db


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def test_inclusion_proofs_verify_against_every_stored_checkpoint(fifty: Path) -> None:
    with open_service(fifty) as service:
        verifier = service.log.verifier()
        checkpoints = [Checkpoint.open(note, verifier) for note in service.store.checkpoint_notes()]
        assert [c.size for c in checkpoints] == [3, *range(SETUP_ENTRIES, 51)]
        leaves = [leaf_hash(service.log.entry(i)) for i in range(50)]
        for checkpoint in checkpoints:
            for index in range(checkpoint.size):
                proof = service.log.inclusion_proof(index, checkpoint.size)
                assert proof["tree_size"] == checkpoint.size
                assert _b64(proof["leaf_hash"]) == leaves[index]
                assert _b64(proof["root_hash"]) == checkpoint.root
                hashes = [_b64(h) for h in proof["hashes"]]
                verify_inclusion(index, checkpoint.size, leaves[index], hashes, checkpoint.root)
        # Without a size, proofs are against the latest checkpoint.
        assert service.log.inclusion_proof(7)["tree_size"] == 50


def test_consistency_proofs_verify_between_every_pair_of_stored_checkpoints(fifty: Path) -> None:
    with open_service(fifty) as service:
        verifier = service.log.verifier()
        roots = {
            c.size: c.root for c in (Checkpoint.open(n, verifier) for n in service.store.checkpoint_notes())
        }
        assert sorted(roots) == [3, *range(SETUP_ENTRIES, 51)]
        for new in roots:
            for old in (size for size in roots if size <= new):
                proof = service.log.consistency_proof(old, new)
                assert _b64(proof["old_root"]) == roots[old]
                assert _b64(proof["new_root"]) == roots[new]
                verify_consistency(old, new, roots[old], roots[new], [_b64(h) for h in proof["hashes"]])


# -- entry_chunks ------------------------------------------------------------------------


def _seqs(chunk: tuple[int, list[bytes], list[bytes] | None]) -> list[int]:
    return [Entry.parse(blob).seq for blob in chunk[1]]


def test_entry_chunks_number_by_position_when_rows_are_missing(home: Path) -> None:
    db = home / "ledger.db"
    tamper.delete_entry(db, 3)
    tamper.delete_entry(db, 7)
    store = LedgerStore.open(sqlite_url(db))
    try:
        chunks = list(store.entry_chunks(chunk_entries=3))
        assert [c[0] for c in chunks] == list(range(0, SIZE - 2, 3))
        expected_seqs = [s for s in range(SIZE) if s not in (3, 7)]
        assert [s for c in chunks for s in _seqs(c)] == expected_seqs
        assert _seqs(chunks[1]) == [4, 5, 6]
        for _, blobs, recorded in chunks:
            assert recorded is not None
            assert recorded == [leaf_hash(b) for b in blobs]
        # One entry per chunk: positions are consecutive although seqs skip.
        single = list(store.entry_chunks(chunk_entries=1))
        assert [c[0] for c in single] == list(range(SIZE - 2))
        assert [_seqs(c)[0] for c in single] == expected_seqs
        # ``end`` counts positions, not seqs.
        ended = list(store.entry_chunks(chunk_entries=3, end=5))
        assert [c[0] for c in ended] == [0, 3]
        assert [s for c in ended for s in _seqs(c)] == [0, 1, 2, 4, 5]
    finally:
        store.close()
    with open_service(db) as service, pytest.raises(VerificationError) as info:
        service.verification.verify()
    assert info.value.index == 3
    assert info.value.expected == "3" and info.value.actual == "4"


def test_entry_chunks_of_an_untouched_ledger(home: Path) -> None:
    store = LedgerStore.open(sqlite_url(home / "ledger.db"))
    try:
        chunks = list(store.entry_chunks(chunk_entries=5))
        assert [c[0] for c in chunks] == list(range(0, SIZE, 5))
        assert [s for c in chunks for s in _seqs(c)] == list(range(SIZE))
        assert list(store.entry_chunks(chunk_entries=5, end=0)) == []
    finally:
        store.close()


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=lambda t: t.name)
def test_integrity_only_verify_names_the_same_entry(
    home: Path, tampering: Tampering, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rledger verify --integrity-only` parses no entry, yet every tampering of the bytes, their
    order, their number or the checkpoints fails it at the same entry as the full pass."""
    tampering.apply(home / "ledger.db")
    code = main(["--home", str(home), "verify", "--integrity-only"])
    out, err = capsys.readouterr()
    assert code == EXIT_VERIFICATION_FAILED, (out, err)
    assert f"entry {tampering.index}:" in err
    assert "OK" not in out


def test_integrity_only_verify_passes_and_says_what_it_did_not_check(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--home", str(home), "verify", "--integrity-only"]) == 0
    out, _ = capsys.readouterr()
    assert f"OK: {SIZE} entries verified" in out
    assert "NOTE: integrity only: no entry was parsed" in out
    assert "every entry was allowed" not in out


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE ledger_entries SET body = CAST(body AS TEXT) WHERE seq = 5",
        "UPDATE ledger_derived_state SET value = CAST(value AS TEXT) WHERE namespace != 'meta'",
    ],
    ids=["an-entry-body", "derived-state-values"],
)
def test_bytes_rewritten_as_text_are_named_not_an_internal_error(
    home: Path, change: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite keeps whatever type an UPDATE gives a value: text where the ledger writes bytes is
    tampering, and verify says so (the second attacker review got "internal error" here)."""
    conn = sqlite3.connect(home / "ledger.db", isolation_level=None)
    try:
        for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {trigger}")
        assert conn.execute(change).rowcount >= 1
    finally:
        conn.close()
    code = main(["--home", str(home), "verify"])
    _, err = capsys.readouterr()
    assert code == EXIT_VERIFICATION_FAILED, err
    assert "stored as str where the ledger writes bytes: the database was altered behind" in err
    assert "internal error" not in err
