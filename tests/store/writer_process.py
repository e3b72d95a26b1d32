"""A writer process for the many-writers and crash tests, on either backend.

Each writer appends admin-signed ``identity.added`` statements (cheap, and accepted by the
governance rules, so ``verify_meaning`` re-checks them) one append transaction at a time,
straight through ``LedgerStore.append`` with the governance state machine as its check.
The state is folded incrementally, as ``LedgerService`` did before it replayed the whole
log on every append, so a writer costs O(1) per append on a long log.

After each commit the writer writes ``SEQ LEAF_HEX`` to its acknowledgement file with a
plain ``write``: once it returns, the line survives a SIGKILL of the writer (it sits in the
kernel's page cache). The first line is ``ready`` once the writer has caught up.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import multiprocessing.context
import os
import sys
import time
from collections.abc import Callable
from importlib import resources
from multiprocessing.process import BaseProcess
from pathlib import Path

from sqlalchemy import text

from governance.actions import identity_added, public_key_b64
from governance.state import GovernanceState
from governance.statements import sign_statement
from ledger.clock import SystemClock
from ledger.scoring.input import parse_decision_text
from ledger.tlog.entry import Entry
from ledger.tlog.merkle import leaf_hash
from ledger.tlog.note import Ed25519Signer
from ledger.tlog.verify import VerifiedLog, claimed_size
from policies.loader import load_default_policy, load_policy_text
from services.keys import PERSONAL_KEY_NAME
from services.ledger_service import LedgerService
from services.ports import PendingEntry
from store.ledger_store import LedgerStore

ORIGIN = "writers.release-ledger.example/log"
ADMIN = "admin@example.com"
READY = "ready"


def ledger_key() -> Ed25519Signer:
    return Ed25519Signer.generate(ORIGIN, bytes(range(40, 72)))


def admin_key() -> Ed25519Signer:
    return Ed25519Signer.generate(PERSONAL_KEY_NAME, bytes(range(80, 112)))


def member_key(name: str | None = None) -> Ed25519Signer:
    """``alice@example.com``'s key (no name), with which she submits decisions; any other
    identity's is derived from its name: a key belongs to one identity (ledger format 3)."""
    if name is None:
        return Ed25519Signer.generate(PERSONAL_KEY_NAME, bytes(range(120, 152)))
    return Ed25519Signer.generate(PERSONAL_KEY_NAME, hashlib.sha256(name.encode()).digest())


MEMBER_PUBLIC = public_key_b64(member_key())
SUBMITTER = "alice@example.com"  # the demo decision files are requested_by her


def build_ledger(url: str) -> int:
    """A new ledger (genesis, the admin, the default policy); returns its size."""
    store = LedgerStore.open(url)
    try:
        LedgerService(store, SystemClock(), ledger_key()).setup.initialize(ORIGIN, ADMIN, admin_key())
        return store.size()
    finally:
        store.close()


def record_decisions(url: str, versions: list[str]) -> None:
    """Register the submitter (if need be) and record the first demo decision under each version."""
    store = LedgerStore.open(url)
    try:
        service = LedgerService(store, SystemClock(), ledger_key())
        if SUBMITTER not in service.state().identities:
            service.identities.add(SUBMITTER, ["submitter"], MEMBER_PUBLIC, ADMIN, admin_key())
        text = (resources.files("cli.demo") / "01-support-summarizer-1.1.yaml").read_text(encoding="utf-8")
        for version in versions:
            data = {**parse_decision_text(text), "version": version}
            service.decisions.submit(data, SUBMITTER, member_key())
    finally:
        store.close()


class Writer:
    """``governed``: every append is checked by the governance state machine inside the append
    transaction, as LedgerService does. Ungoverned writers (the crash test's) skip that check,
    and the catch-up on the whole log it needs; what they append is just as valid."""

    def __init__(self, url: str, governed: bool = True) -> None:
        self.governed = governed
        self.store = LedgerStore.open(url)
        self.state = GovernanceState()
        self.signer = ledger_key()
        self.admin = admin_key()
        self.clock = SystemClock()
        # What statements sign over is fixed by the genesis's format (the origin from format 4).
        genesis = GovernanceState()
        genesis.apply(Entry.parse(next(iter(self.store.bodies_from(0)))))
        self.origin = genesis.statement_origin()

    def _catch_up(self, read_from: Callable[[int], list[bytes]]) -> None:
        for data in read_from(self.state.size):
            self.state.apply(Entry.parse(data))

    def append(self, name: str) -> Entry:
        payload = sign_statement(
            "identity.added",
            identity_added(name, ["submitter"], public_key_b64(member_key(name)), ADMIN),
            self.admin,
            origin=self.origin,
        )

        def check(entries: list[Entry], read_from: Callable[[int], list[bytes]], _rows: object) -> None:
            # The derived state rows are left to GovernedLog, which catches them up on its next read.
            self._catch_up(read_from)  # only what other writers appended since we last looked
            for entry in entries:
                self.state.apply(entry)

        if not self.governed:
            pending = [PendingEntry("identity.added", payload)]
            return self.store.append(pending, self.clock.now, self.signer).entries[0]
        # Catch up outside the lock, so that inside it only the newest entries are read.
        self._catch_up(lambda start: list(self.store.bodies_from(start)))
        try:
            result = self.store.append(
                [PendingEntry("identity.added", payload)], self.clock.now, self.signer, check
            )
            return result.entries[0]
        except BaseException:
            self.state = GovernanceState()  # it may hold an entry that did not land
            raise


def run(url: str, prefix: str, count: int, ack_path: str, governed: bool = True) -> None:
    """Append ``count`` entries named PREFIX-N, acknowledging each after it committed."""
    writer = Writer(url, governed)
    if governed:
        writer._catch_up(lambda start: list(writer.store.bodies_from(start)))
    fd = os.open(ack_path, os.O_WRONLY | os.O_APPEND)  # made by the parent (see ack_files)
    try:
        os.write(fd, f"{READY}\n".encode())
        for number in range(count):
            entry = writer.append(f"{prefix}-{number}@example.com")
            os.write(fd, f"{entry.seq} {entry.leaf_hash.hex()}\n".encode())
    finally:
        os.close(fd)
        writer.store.close()


def _warm_up() -> None:
    """Pay the first-use costs (database drivers, parsing and validating a policy) once, at
    import, which for writers happens in the fork server, so that each forked writer starts warm."""
    import psycopg  # noqa: F401
    import sqlalchemy.dialects.postgresql.psycopg
    import sqlalchemy.dialects.sqlite.pysqlite  # noqa: F401

    load_policy_text(load_default_policy().text, source="warm-up")


_warm_up()


def process_context() -> multiprocessing.context.BaseContext:
    """Writers are forked from a server that has imported the ledger once: starting one costs
    milliseconds, not the second an interpreter and its imports take, and the test process's
    own connections are never inherited."""
    context = multiprocessing.get_context("forkserver")
    # "__main__" too: when pytest runs as a script, each child would otherwise import it again.
    context.set_forkserver_preload(["__main__", __name__])
    return context


def _ready(path: Path) -> bool:
    return path.exists() and path.read_text().startswith(READY)


def wait_until_ready(paths: list[Path], processes: list[BaseProcess], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(zip(paths, processes, strict=True))
    while waiting:
        waiting = [(path, p) for path, p in waiting if not _ready(path)]
        for _, process in waiting:
            if not process.is_alive():
                raise AssertionError(f"a writer exited ({process.exitcode}) before it was ready")
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(waiting)} writers were not ready after {timeout} s")
        time.sleep(0.01)


def ack_files(directory: Path, names: list[str]) -> list[Path]:
    """Empty acknowledgement files, made before the writers start: creating a file can wait
    behind the filesystem journal commits that running writers' fsyncs force."""
    paths = [directory / f"{name}.acks" for name in names]
    for path in paths:
        path.touch()
    return paths


def assert_one_whole_history(
    url: str, base: int, acks: list[tuple[int, str]], *, meaning: bool = True
) -> VerifiedLog:
    """The ledger verifies (structure and meaning), holds every acknowledged append as it was
    acknowledged, and nothing half-written: one checkpoint per append after ``base``, every
    stored subtree hash of the tree and no other."""
    store = LedgerStore.open(url)
    try:
        service = LedgerService(store, SystemClock())
        result = service.verification.verify()
        assert result.uncovered == 0
        if meaning:
            service.verification.verify_meaning()
        size = result.size
        sizes = [claimed_size(note) for note in store.checkpoint_notes()]
        assert sizes == [base, *range(base + 1, size + 1)], "one checkpoint per append, no gaps"
        with store.engine.connect() as conn:
            nodes = conn.execute(text("SELECT count(*) FROM ledger_nodes")).scalar_one()
            entries = conn.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one()
        assert entries == size
        assert nodes == size - bin(size).count("1"), "exactly the perfect subtrees above the leaves"
        assert len({seq for seq, _ in acks}) == len(acks), "no sequence number acknowledged twice"
        leaves = [leaf_hash(data).hex() for _, blobs, _ in store.entry_chunks() for data in blobs]
        for seq, leaf in acks:
            assert seq < len(leaves), f"acknowledged entry {seq} is missing"
            assert leaves[seq] == leaf, f"entry {seq} is not the one acknowledged"
        return result
    finally:
        store.close()


def read_acks(path: Path) -> list[tuple[int, str]]:
    """Acknowledged (seq, leaf hex) pairs; a torn last line (killed mid-write) is not an ack."""
    if not path.exists():
        return []
    acks = []
    for line in path.read_text().split("\n"):
        parts = line.split(" ")
        if len(parts) == 2 and len(parts[1]) == 64:
            acks.append((int(parts[0]), parts[1]))
    return acks


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
