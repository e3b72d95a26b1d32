"""A value of the wrong type where the ledger writes an integer: SQLite keeps whatever an INSERT
gives a BIGINT column that is not the rowid, and text sorts after every number, so such a row
became "the newest entry". Verification and appends name it as tampering (found by an attacker
review: both crashed with ValueError, "internal error")."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger.clock import FixedClock
from ledger.errors import VerificationError
from ledger.tlog.note import Ed25519Signer
from services.ledger_service import LedgerService
from services.ports import PendingEntry
from store.ledger_store import LedgerStore

ORIGIN = "stored-types.example/ledger"
START = datetime(2026, 1, 5, tzinfo=UTC)
SIGNER = Ed25519Signer.generate(ORIGIN, bytes(range(32)))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "ledger.db"
    store = LedgerStore.open(f"sqlite:///{path}")
    store.initialize(ORIGIN, SIGNER.verifier_key, [PendingEntry("test.genesis", {})], START, SIGNER)
    decisions = [
        PendingEntry("release.decision", {"model": "m", "version": f"1.{n}"}, ("m", f"1.{n}"))
        for n in range(9)
    ]
    store.append(decisions, START, SIGNER)
    store.close()
    yield path


def _insert(db: Path, table: str, row: str) -> None:
    con = sqlite3.connect(db)
    con.execute(f"INSERT INTO {table} VALUES {row}")
    con.commit()
    con.close()


@contextmanager
def _opened(db: Path) -> Iterator[LedgerStore]:
    store = LedgerStore.open(f"sqlite:///{db}")
    try:
        yield store
    finally:
        store.close()


def _dump(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return list(con.iterdump())
    finally:
        con.close()


@pytest.mark.parametrize(
    ("table", "row", "named"),
    [
        ("ledger_entries", "('zzz', x'00', 'a.b', x'7b7d')", "ledger_entries.seq 'zzz'"),
        ("ledger_decisions", "('7x', 'm', '9.9', 'ab')", "ledger_decisions.seq '7x'"),
    ],
)
def test_text_where_an_integer_belongs_is_named_by_verify(db: Path, table: str, row: str, named: str) -> None:
    _insert(db, table, row)
    store = LedgerStore.open(f"sqlite:///{db}")
    service = LedgerService(store, FixedClock(START))
    try:
        with pytest.raises(VerificationError) as caught:
            service.verification.verify()
    finally:
        store.close()
    assert named in str(caught.value), str(caught.value)


def test_text_for_a_checkpoint_size_is_named(db: Path) -> None:
    con = sqlite3.connect(db)
    note = con.execute("SELECT note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1").fetchone()[0]
    con.execute("INSERT INTO ledger_checkpoints VALUES ('big', x'00', ?)", (note,))
    con.commit()
    con.close()
    expected = r"ledger_checkpoints\.size 'big' is stored as str"
    with _opened(db) as store, pytest.raises(VerificationError, match=expected):
        store.latest_checkpoint()


def test_an_append_after_a_text_seq_is_refused_and_writes_nothing(db: Path) -> None:
    _insert(db, "ledger_entries", "('zzz', x'00', 'a.b', x'7b7d')")
    before = _dump(db)
    expected = r"ledger_entries\.seq 'zzz' is stored as str"
    with _opened(db) as store, pytest.raises(VerificationError, match=expected):
        store.append([PendingEntry("test.item", {"n": 99})], START, SIGNER)
    assert _dump(db) == before


def test_a_real_number_seq_is_not_rounded_into_a_genuine_one(db: Path) -> None:
    _insert(db, "ledger_entries", "(100.5, x'01', 'a.b', x'7b7d')")
    expected = r"ledger_entries\.seq 100\.5 is stored as float"
    with _opened(db) as store, pytest.raises(VerificationError, match=expected):
        store.size()
