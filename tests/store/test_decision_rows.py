"""The decision lookup table is derived from the entries, so it is never trusted on its own.

The attack: the operator drops the guard triggers and swaps the ``seq`` and ``leaf_hex`` of
two ``ledger_decisions`` rows. Verification must fail naming the row, and an approval of
one model must be refused rather than signing the other model's entry hash. On SQLite and
PostgreSQL (the ``ledger_url`` fixture).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from ledger.clock import FixedClock
from ledger.errors import VerificationError
from services.ledger_service import LedgerService
from store.ledger_store import LedgerStore
from tests.store.test_tamper import ADMIN, ORIGIN, START, SUBMITTER, demo_decisions, ledger_key, person_key

APPROVER = "bob@example.com"
SUMMARIZER, CLAIMS = "support-summarizer@1.1", "claims-assistant@2.0"


@contextmanager
def open_service(url: str) -> Iterator[LedgerService]:
    store = LedgerStore.open(url)
    try:
        yield LedgerService(store, FixedClock(START, step_seconds=60), ledger_key())
    finally:
        store.close()


def _add(service: LedgerService, name: str, role: str) -> None:
    public = base64.b64encode(person_key(name).public_key).decode()
    service.identities.add(name, [role], public, ADMIN, person_key(ADMIN))


@pytest.fixture
def url(ledger_url: str) -> str:
    """A ledger with a submitter, an ml-lead approver and every demo decision, on each backend."""
    with open_service(ledger_url) as service:
        service.setup.initialize(ORIGIN, ADMIN, person_key(ADMIN))
        _add(service, SUBMITTER, "submitter")
        _add(service, APPROVER, "ml-lead")
        for data in demo_decisions():
            service.decisions.submit(data, SUBMITTER, person_key(SUBMITTER))
    return ledger_url


def _swap_rows(url: str, first: str, second: str) -> tuple[int, int]:
    """Swap the seq and leaf_hex of two lookup rows behind the triggers' back; their seqs."""
    store = LedgerStore.open(url)
    try:
        a, b = (store.decision_by_version(*ref.rsplit("@", 1)) for ref in (first, second))
        assert a is not None and b is not None
        with store.engine.begin() as conn:
            if store.dialect == "sqlite":
                conn.execute(text("DROP TRIGGER IF EXISTS ledger_decisions_no_update"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS ledger_decisions_append_only ON ledger_decisions"))
            move = text("UPDATE ledger_decisions SET seq = :to, leaf_hex = :leaf WHERE seq = :at")
            conn.execute(move, {"at": a.seq, "to": -1, "leaf": b.leaf_hex})
            conn.execute(move, {"at": b.seq, "to": a.seq, "leaf": a.leaf_hex})
            conn.execute(move, {"at": -1, "to": b.seq, "leaf": b.leaf_hex})
        return a.seq, b.seq
    finally:
        store.close()


def test_untouched_rows_verify(url: str) -> None:
    with open_service(url) as service:
        service.verification.verify()
        assert service.resolve(SUMMARIZER).model == "support-summarizer"


def test_swapped_rows_fail_verification_naming_the_row(url: str) -> None:
    summarizer_seq, claims_seq = _swap_rows(url, SUMMARIZER, CLAIMS)
    with open_service(url) as service, pytest.raises(VerificationError) as info:
        service.verification.verify()
    message = str(info.value)
    assert f"{CLAIMS} (seq {summarizer_seq})" in message or f"{SUMMARIZER} (seq {claims_seq})" in message
    assert "points at the decision for" in message


def test_approving_through_a_swapped_row_is_refused(url: str) -> None:
    _, claims_seq = _swap_rows(url, SUMMARIZER, CLAIMS)
    with open_service(url) as service:
        size = service.store.size()
        with pytest.raises(VerificationError) as info:
            service.lifecycle.approve(SUMMARIZER, APPROVER, person_key(APPROVER))
        assert f"{SUMMARIZER} (seq {claims_seq})" in str(info.value)
        assert f"points at the decision for {CLAIMS}" in str(info.value)
        assert service.store.size() == size
        assert all(not d.approvals for d in service.state().decisions.values())


def test_a_row_missing_for_a_decision_fails_verification(url: str) -> None:
    store = LedgerStore.open(url)
    try:
        ref = store.decision_by_version("claims-assistant", "2.0")
        assert ref is not None
        with store.engine.begin() as conn:
            if store.dialect == "sqlite":
                conn.execute(text("DROP TRIGGER IF EXISTS ledger_decisions_no_delete"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS ledger_decisions_append_only ON ledger_decisions"))
            conn.execute(text("DELETE FROM ledger_decisions WHERE seq = :seq"), {"seq": ref.seq})
    finally:
        store.close()
    with open_service(url) as service, pytest.raises(VerificationError) as info:
        service.verification.verify()
    assert info.value.index == ref.seq
    assert f"the decision for {CLAIMS} has no row" in str(info.value)


_ADD = (
    "INSERT INTO ledger_decisions (seq, model, version, leaf_hex) "
    "VALUES ({seq}, 'claims-assistant', '3.0', :other)"
)


def _tamper(url: str, statement: str, **params: object) -> None:
    store = LedgerStore.open(url)
    try:
        with store.engine.begin() as conn:
            if store.dialect == "sqlite":
                conn.execute(text("DROP TRIGGER IF EXISTS ledger_decisions_no_update"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS ledger_decisions_append_only ON ledger_decisions"))
            conn.execute(text(statement), params)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        pytest.param(
            "UPDATE ledger_decisions SET seq = 1 WHERE seq = :seq", "points at a ", id="onto-another-kind"
        ),
        pytest.param(_ADD.format(seq=100000), "points at no entry", id="an-extra-row-past-the-end"),
        pytest.param(_ADD.format(seq=-7), "points at no entry", id="an-extra-row-before-the-start"),
        pytest.param(
            "UPDATE ledger_decisions SET leaf_hex = :other WHERE seq = :seq",
            "names leaf hash",
            id="another-leaf-hash",
        ),
        pytest.param(
            "UPDATE ledger_decisions SET version = '9.9' WHERE seq = :seq",
            "points at the decision for claims-assistant@2.0",
            id="another-version",
        ),
    ],
)
def test_any_row_that_disagrees_with_its_entry_fails_verification_naming_it(
    url: str, change: str, named: str
) -> None:
    with open_service(url) as service:
        ref = service.store.decision_by_version("claims-assistant", "2.0")
        assert ref is not None
    _tamper(url, change, seq=ref.seq, other="ab" * 32)
    with open_service(url) as service, pytest.raises(VerificationError) as info:
        service.verification.verify()
    message = str(info.value)
    assert "the decision lookup row for claims-assistant@" in message
    assert named in message
    assert "altered behind the ledger's back" in message


def test_two_workers_reading_their_own_ranges_verify_on_each_backend(url: str) -> None:
    """Workers open their own engine on the database (store.chunk_source) and read by seq."""
    with open_service(url) as service:
        one, two = service.verification.verify(workers=1), service.verification.verify(workers=2)
        assert (two.size, two.root, two.checkpoints_checked) == (one.size, one.root, one.checkpoints_checked)
    _swap_rows(url, SUMMARIZER, CLAIMS)
    with open_service(url) as service, pytest.raises(VerificationError) as info:
        service.verification.verify(workers=2)
    assert "points at the decision for" in str(info.value)
