"""Backups, restores and moving between backends: `rledger db backup` and `rledger import`.

A ledger with identities, decisions and an approval goes SQLite → PostgreSQL → SQLite and
comes back with the same entry bytes, the same root and the same signed checkpoint note
(Ed25519 is deterministic). Imports that must be refused are refused, with one line, and
leave the target empty.
"""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from cli.main import EXIT_VERIFICATION_FAILED, main
from governance.actions import public_key_b64
from ledger.clock import SystemClock
from ledger.errors import AlreadyInitializedError, VerificationError
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.merkle import verify_consistency
from ledger.tlog.note import Ed25519Signer, Verifier
from services.keys import write_private_key
from services.ledger_service import LedgerService
from services.ports import PendingEntry
from services.restore import import_export, write_backup
from store.ledger_store import LedgerStore
from tests.store.writer_process import (
    ADMIN,
    MEMBER_PUBLIC,
    ORIGIN,
    Writer,
    admin_key,
    build_ledger,
    ledger_key,
    member_key,
    record_decisions,
)


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _sqlite(path: Path) -> str:
    return f"sqlite:///{path}"


def _populate(url: str) -> None:
    build_ledger(url)
    writer = Writer(url)
    for number in range(6):
        writer.append(f"member-{number}@example.com")
    writer.store.close()
    record_decisions(url, ["1.1", "1.2", "1.3"])
    store = LedgerStore.open(url)
    try:
        service = LedgerService(store, SystemClock(), ledger_key())
        bob = member_key("bob@example.com")
        service.identities.add("bob@example.com", ["ml-lead"], public_key_b64(bob), ADMIN, admin_key())
        service.lifecycle.approve("support-summarizer@1.2", "bob@example.com", bob)
    finally:
        store.close()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger: genesis, 8 identities, 3 decisions, an approval (one append each)."""
    db = tmp_path_factory.mktemp("source") / "ledger.db"
    _populate(_sqlite(db))
    return db


@pytest.fixture
def backup(source: Path, tmp_path: Path) -> tuple[Path, Path]:
    store = LedgerStore.open(_sqlite(source))
    try:
        out, note = tmp_path / "backup.jsonl", tmp_path / "backup.jsonl.checkpoint"
        write_backup(store, out, note)
        return out, note
    finally:
        store.close()


def _snapshot(url: str) -> dict[str, object]:
    """Everything a ledger shows the world, and nothing that depends on the backend."""
    store = LedgerStore.open(url)
    try:
        service = LedgerService(store, SystemClock())
        result = service.verification.verify()
        state = service.verification.verify_meaning()
        size = result.size
        return {
            "entries": [b for _, blobs, _ in store.entry_chunks() for b in blobs],
            "root": result.root,
            "note": service.log.latest_checkpoint(),
            "decisions": store.decisions(),
            "identities": sorted(state.identities),
            "inclusion": [service.log.inclusion_proof(i, size) for i in (0, 5, size - 1)],
            "consistency": [service.log.consistency_proof(old, size) for old in (1, 3, 7, size - 1)],
            "meta": store.meta(),
        }
    finally:
        store.close()


def _import(url: str, export: Path, note: Path, signer: Ed25519Signer | None = None) -> str:
    store = LedgerStore.open(url)
    try:
        return import_export(store, export, note.read_text(), signer or ledger_key()).note
    finally:
        store.close()


def test_sqlite_to_postgres_and_back_reproduces_the_ledger(
    source: Path, backup: tuple[Path, Path], postgres_url: str, tmp_path: Path
) -> None:
    original = _snapshot(_sqlite(source))
    export, note = backup
    assert _import(postgres_url, export, note) == note.read_text() == original["note"]
    on_postgres = _snapshot(postgres_url)
    assert on_postgres == original

    store = LedgerStore.open(postgres_url)
    try:
        again = tmp_path / "again"
        again.mkdir()
        write_backup(store, again / "backup.jsonl", again / "backup.checkpoint")
    finally:
        store.close()
    assert (again / "backup.jsonl").read_bytes() == export.read_bytes()
    back = tmp_path / "back.db"
    assert _import(_sqlite(back), again / "backup.jsonl", again / "backup.checkpoint") == original["note"]
    assert _snapshot(_sqlite(back)) == original
    # The stored rows match the original's too, except that only the last checkpoint is recreated.
    for table in ("ledger_entries", "ledger_nodes", "ledger_decisions", "ledger_meta"):
        assert _rows(back, table) == _rows(source, table)
    assert _rows(back, "ledger_checkpoints") == _rows(source, "ledger_checkpoints")[-1:]


def _rows(db: Path, table: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    finally:
        conn.close()


def test_an_auditors_old_checkpoint_is_consistent_with_the_imported_ledger(
    source: Path, backup: tuple[Path, Path], postgres_url: str
) -> None:
    store = LedgerStore.open(_sqlite(source))
    try:
        kept = {size: store.checkpoint_at(size) for size in (3, 6, 11)}  # what auditors kept
    finally:
        store.close()
    _import(postgres_url, *backup)
    store = LedgerStore.open(postgres_url)
    try:
        service = LedgerService(store, SystemClock())
        verifier = service.log.verifier()
        latest = Checkpoint.open(service.log.latest_checkpoint(), verifier)
        notes = [n for n in kept.values() if n is not None]
        assert len(notes) == 3
        service.verification.verify(extra_checkpoints=notes)
        for note in notes:
            old = Checkpoint.open(note, verifier)
            proof = service.log.consistency_proof(old.size, latest.size)
            hashes = [_b64(h) for h in proof["hashes"]]
            verify_consistency(old.size, latest.size, old.root, latest.root, hashes)
    finally:
        store.close()


def test_a_restore_older_than_a_published_checkpoint_fails_verification(
    backup: tuple[Path, Path], postgres_url: str, tmp_path: Path
) -> None:
    """docs/operations.md: check a restore against the last checkpoint you published."""
    export, note = backup
    db = tmp_path / "live.db"
    assert _import(_sqlite(db), export, note)
    writer = Writer(_sqlite(db))
    writer.append("after-the-backup@example.com")
    writer.store.close()
    store = LedgerStore.open(_sqlite(db))
    published = LedgerService(store, SystemClock()).log.latest_checkpoint()  # what auditors now hold
    store.close()
    _import(postgres_url, export, note)  # the restore, from before that checkpoint
    store = LedgerStore.open(postgres_url)
    try:
        service = LedgerService(store, SystemClock())
        assert service.verification.verify().size == 15
        with pytest.raises(VerificationError, match="covers 16 entries but only 15 are present"):
            service.verification.verify(extra_checkpoints=[published])
    finally:
        store.close()


# -- through the command line ---------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _home_with_key(path: Path, signer: Ed25519Signer | None = None) -> Path:
    path.mkdir(mode=0o700)
    write_private_key(path / "signing.key", signer or ledger_key())
    return path


def test_cli_backup_and_import_between_backends(
    source: Path, postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    origin_home = tmp_path / "origin"
    origin_home.mkdir()
    shutil.copyfile(source, origin_home / "ledger.db")
    out = tmp_path / "ledger.jsonl"
    code, stdout, err = _cli(capsys, "--home", str(origin_home), "db", "backup", "--out", str(out))
    assert code == 0, err
    assert stdout.startswith(f"backed up 15 entries to {out}")
    checkpoint = Path(f"{out}.checkpoint")

    pg_home = _home_with_key(tmp_path / "pg")
    on_pg = ("--home", str(pg_home), "--db", postgres_url)
    code, stdout, err = _cli(capsys, *on_pg, "import", str(out), "--checkpoint", str(checkpoint))
    assert code == 0, err
    assert "imported 15 entries of writers.release-ledger.example/log" in stdout
    assert "9 identities, 3 decisions" in stdout
    assert stdout.endswith(checkpoint.read_text())
    code, stdout, err = _cli(capsys, *on_pg, "verify")
    assert code == 0 and "OK: 15 entries verified" in stdout, err
    code, stdout, _ = _cli(capsys, *on_pg, "checkpoint")
    assert stdout == checkpoint.read_text()
    code, stdout, _ = _cli(capsys, *on_pg, "proof", "consistency", "4", "15")
    assert code == 0 and json.loads(stdout)["new_size"] == 15


def _write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def _structurally_valid_but_not_allowed(tmp_path: Path) -> tuple[Path, Path]:
    """A ledger with an identity added under a forged admin signature, appended without the
    governance check: it verifies in structure, not in meaning."""
    db = tmp_path / "forged.db"
    build_ledger(_sqlite(db))
    store = LedgerStore.open(_sqlite(db))
    try:
        payload = {"name": "eve@example.com", "roles": ["admin"], "public_key": MEMBER_PUBLIC, "actor": ADMIN}
        payload["signature"] = base64.b64encode(bytes(64)).decode()
        store.append([PendingEntry("identity.added", payload)], SystemClock().now, ledger_key())
        write_backup(store, tmp_path / "forged.jsonl", tmp_path / "forged.checkpoint")
    finally:
        store.close()
    return tmp_path / "forged.jsonl", tmp_path / "forged.checkpoint"


REFUSALS = [
    "altered-entry",
    "truncated",
    "older-checkpoint",
    "other-log",
    "other-key",
    "not-allowed",
    "missing",
]


@pytest.mark.parametrize("case", REFUSALS)
def test_imports_that_must_be_refused(
    case: str, source: Path, backup: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export, checkpoint = backup
    lines = export.read_bytes().splitlines()
    signer = ledger_key()
    expected_code, message = EXIT_VERIFICATION_FAILED, ""
    if case == "altered-entry":
        lines[5] = lines[5].replace(b"member-", b"member_")
        export, message = _write_lines(tmp_path / "altered.jsonl", lines), "entry 5"
    elif case == "truncated":
        export, message = _write_lines(tmp_path / "short.jsonl", lines[:-1]), "truncated"
    elif case == "older-checkpoint":
        store = LedgerStore.open(_sqlite(source))
        older = store.checkpoint_at(len(lines) - 1)
        store.close()
        assert older is not None
        checkpoint.write_text(older)
        message = "the checkpoint covers 14 entries but the export holds 15"
    elif case == "other-log":
        other = Ed25519Signer.generate("other.example/log", bytes(32))
        checkpoint.write_text(Checkpoint("other.example/log", 15, bytes(32)).sign(other))
        message = "the note carries no signature by writers.release-ledger.example/log"
    elif case == "other-key":
        signer = Ed25519Signer.generate(ORIGIN, bytes(range(1, 33)))
        expected_code, message = 1, "is not the key the export's ledger was created with"
    elif case == "not-allowed":
        export, checkpoint = _structurally_valid_but_not_allowed(tmp_path)
        message = "not allowed by the ledger's rules"
    elif case == "missing":
        export, expected_code, message = tmp_path / "nope.jsonl", 1, "does not exist"
    home = _home_with_key(tmp_path / "home", signer)
    code, out, err = _cli(capsys, "--home", str(home), "import", str(export), "--checkpoint", str(checkpoint))
    assert code == expected_code, err
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert not (home / "ledger.db").exists(), "a refused import leaves the home as it was"


def test_import_refuses_a_database_that_holds_a_ledger(
    ledger_url: str, backup: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_ledger(ledger_url)
    store = LedgerStore.open(ledger_url)
    try:
        with pytest.raises(AlreadyInitializedError, match="import needs an empty database"):
            import_export(store, backup[0], backup[1].read_text(), ledger_key())
    finally:
        store.close()
    home = _home_with_key(tmp_path / "home")
    export, checkpoint = backup
    code, out, err = _cli(
        capsys,
        "--home",
        str(home),
        "--db",
        ledger_url,
        "import",
        str(export),
        "--checkpoint",
        str(checkpoint),
    )
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "already holds a ledger; import needs an empty database" in err
    store = LedgerStore.open(ledger_url)
    try:
        assert store.size() == 3  # untouched
    finally:
        store.close()


def test_an_export_that_changes_while_it_is_imported_is_abandoned(
    ledger_url: str, backup: tuple[Path, Path]
) -> None:
    """The write pass re-derives the tree and must end at the verified checkpoint, or nothing lands."""
    export, note = backup
    verified = Checkpoint.open(note.read_text(), Verifier.parse(ledger_key().verifier_key))
    lines = export.read_bytes().splitlines()
    verifier_key = ledger_key().verifier_key
    store = LedgerStore.open(ledger_url)
    try:
        with pytest.raises(VerificationError, match="changed while it was being imported"):
            store.import_log(
                ORIGIN, ledger_key().verifier_key, [lines[:-1]], ledger_key(), verified, lambda _e: None
            )
        assert not store.is_initialized()
        assert store.size() == 0
        checkpoint, written = store.import_log(
            ORIGIN, verifier_key, [lines[:7], lines[7:]], ledger_key(), verified, lambda _e: None
        )
        assert written == note.read_text() and checkpoint == verified
    finally:
        store.close()
