"""The hot read and write paths that go to the driver's own cursor (store/driver.py): stored
subtree hashes by range or by list, entry chunks, and the batch insert, on both backends.
Each is checked against what the Merkle tree of the same entries computes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ledger.clock import FixedClock
from ledger.errors import StorageError
from ledger.tlog.entry import parse_time
from ledger.tlog.merkle import CompactRange, leaf_hash
from ledger.tlog.note import Ed25519Signer
from services.ports import PendingEntry
from store import read
from store.database import read_transaction
from store.driver import fetch_all, sql_for
from store.ledger_store import LedgerStore

ORIGIN = "hot-reads.example/ledger"
START = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def store(ledger_url: str) -> Iterator[LedgerStore]:
    """A ledger of 1 + 40 + 33 entries written in three appends, so nodes span appends."""
    signer = Ed25519Signer.generate(ORIGIN, bytes(range(32)))
    store = LedgerStore.open(ledger_url)
    store.initialize(ORIGIN, signer.verifier_key, [PendingEntry("test.genesis", {"n": 0})], START, signer)
    clock = FixedClock(START, step_seconds=1.0)
    store.append([PendingEntry("test.item", {"n": n}) for n in range(1, 41)], clock.now(), signer)
    decisions = [PendingEntry("test.item", {"n": n}, ("model", f"1.{n}")) for n in range(41, 74)]
    store.append(decisions, clock.now(), signer)
    yield store
    store.close()


def _expected_nodes(store: LedgerStore) -> dict[tuple[int, int], bytes]:
    tree, nodes = CompactRange(), {}
    for _, blobs, _ in store.entry_chunks(chunk_entries=7):
        for data in blobs:
            for node_id, value in tree.append(leaf_hash(data)):
                nodes[node_id] = value
    return nodes


def test_entry_chunks_give_every_entry_once_in_order_with_its_leaf_hash(store: LedgerStore) -> None:
    seen: list[bytes] = []
    for position, blobs, recorded in store.entry_chunks(chunk_entries=7):
        assert position == len(seen)
        assert recorded == [leaf_hash(data) for data in blobs]
        seen += blobs
    assert len(seen) == 74
    assert seen == [store.entry(seq) for seq in range(74)]


@pytest.mark.parametrize("pick", ["contiguous", "sparse", "mixed levels"])
def test_stored_nodes_by_range_or_list_equal_the_tree_of_the_entries(store: LedgerStore, pick: str) -> None:
    expected = _expected_nodes(store)
    if pick == "contiguous":
        ids = {(1, i) for i in range(5, 30)}
    elif pick == "sparse":
        ids = {(0, 0), (0, 37), (0, 73), (2, 1), (2, 17)}
    else:
        ids = set(expected)
    assert store.nodes(ids) == {node: expected[node] for node in ids}


def test_a_missing_node_is_named_whichever_way_it_is_read(store: LedgerStore) -> None:
    with pytest.raises(StorageError, match="missing 1 stored node"):
        store.nodes({(1, 3), (1, 4), (1, 99)})  # contiguous enough for a range read
    with pytest.raises(StorageError, match="missing 1 stored node"):
        store.nodes({(0, 2), (0, 500)})  # read as a list


def test_a_driver_error_is_a_storage_error_naming_it(store: LedgerStore) -> None:
    with read_transaction(store.engine) as conn, pytest.raises(StorageError, match="no_such_table"):
        fetch_all(conn, "SELECT x FROM no_such_table WHERE x = ?", (1,))


def test_placeholders_follow_the_driver(store: LedgerStore) -> None:
    with read_transaction(store.engine) as conn:
        text = sql_for(conn, "SELECT ? , ?")
        assert text == ("SELECT ? , ?" if store.dialect == "sqlite" else "SELECT %s , %s")
        assert fetch_all(conn, "SELECT seq FROM ledger_entries WHERE seq = ?", (41,)) == [(41,)]


def test_the_batch_insert_puts_each_value_in_its_column(store: LedgerStore) -> None:
    refs = read.decision_rows(store.engine)
    assert [(r.seq, r.model, r.version) for r in refs] == [(n, "model", f"1.{n}") for n in range(41, 74)]
    for ref in refs:
        data = store.entry(ref.seq)
        assert data is not None and ref.leaf_hex == leaf_hash(data).hex()
    with read_transaction(store.engine) as conn:
        kinds = fetch_all(conn, "SELECT DISTINCT kind FROM ledger_entries ORDER BY kind", ())
    assert kinds == [("test.genesis",), ("test.item",)]


def test_an_invalid_time_is_refused_every_time_not_only_the_first() -> None:
    for _ in range(2):
        with pytest.raises(Exception, match="not a valid date"):
            parse_time("2026-02-30T00:00:00Z")
    assert parse_time("2026-02-28T00:00:00Z") == datetime(2026, 2, 28, tzinfo=UTC)
