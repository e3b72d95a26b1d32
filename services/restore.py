"""Backups and restores that work across backends: an export file plus the signed checkpoint
of exactly that many entries.

``write_backup`` takes the latest checkpoint and writes exactly the entries it covers, so the
pair is consistent even while writers append. ``import_export`` rebuilds a ledger from such a
pair in an empty database (SQLite or PostgreSQL): it verifies everything before writing
anything, writes the entries' exact bytes, and ends with one checkpoint of the whole tree
signed by the ledger's own key. Ed25519 signatures are deterministic, so that checkpoint is
byte for byte the one the backup carried.

Both take any ``ports.LogStore``; opening the database (by URL, on either backend) is the
caller's business (``cli/db_cmds.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from governance.record import DECISION_KIND
from ledger.errors import (
    AlreadyInitializedError,
    FormatError,
    InputError,
    LedgerError,
    StorageError,
    VerificationError,
)
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import Entry
from ledger.tlog.exportfile import read_export_chunks, read_first_line, write_export
from ledger.tlog.note import Signer, Verifier
from ledger.tlog.witnessed import with_cosignatures
from services.ports import LogStore
from services.setup import GENESIS_KIND
from services.verification import verify_export_file, verify_export_meaning


@dataclass(frozen=True)
class ImportResult:
    origin: str
    size: int
    root: bytes
    note: str
    decisions: int
    identities: int


@dataclass(frozen=True)
class BackupResult:
    size: int
    note: str


def export_genesis(path: Path) -> tuple[str, str]:
    """(origin, verifier key) as the export's first entry, ``ledger.init``, records them."""
    first = read_first_line(path)
    try:
        genesis = Entry.parse(first)
    except FormatError as exc:
        raise VerificationError(f"the first line is not a ledger entry: {exc}", index=0) from None
    origin, key = genesis.payload.get("origin"), genesis.payload.get("verifier_key")
    if genesis.kind != GENESIS_KIND or not isinstance(origin, str) or not isinstance(key, str):
        raise VerificationError(f"the export does not start with a {GENESIS_KIND} entry", index=0)
    return origin, key


def _decision_of(entry: Entry) -> tuple[str, str] | None:
    if entry.kind != DECISION_KIND:
        return None
    return str(entry.payload["model"]), str(entry.payload["version"])


def import_export(
    store: LogStore,
    path: Path,
    checkpoint_note: str,
    signer: Signer,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Rebuild a ledger from an export and the signed checkpoint of all of it, into an empty database.

    Refused, with nothing written: a signing key that is not the ledger's own (the one its
    genesis entry records), an export that does not verify against the checkpoint or whose
    entries the governance rules would not have allowed, a checkpoint that covers fewer
    entries than the export holds, and a database that already holds a ledger.
    """
    origin, verifier_key = export_genesis(path)
    _check_ledger_key(signer, origin, verifier_key)
    if store.is_initialized():  # checked again inside the import's transaction
        raise AlreadyInitializedError(f"{store.url} already holds a ledger; import needs an empty database")
    verified = verify_export_file(path, checkpoint_note, verifier_key, workers=workers, progress=progress)
    given = Checkpoint.open(checkpoint_note, Verifier.parse(verifier_key))
    _check_whole_export(given, verified.size)
    state = verify_export_meaning(path)
    try:
        with path.open("rb") as source:
            chunks = (blobs for _, blobs, _ in read_export_chunks(source))
            checkpoint, note = store.import_log(origin, verifier_key, chunks, signer, given, _decision_of)
    except OSError as exc:
        raise InputError(f"cannot read export file {path}: {exc}") from None
    return ImportResult(
        origin, checkpoint.size, checkpoint.root, note, len(state.decisions), len(state.identities)
    )


def _check_ledger_key(signer: Signer, origin: str, verifier_key: str) -> None:
    """An import re-signs the checkpoint, so it needs the key the genesis entry records."""
    if signer.name != origin:
        raise InputError(f"the signing key is for {signer.name!r}; the export's ledger is {origin!r}")
    if signer.verifier_key != verifier_key:
        raise InputError(
            f"the signing key ({signer.verifier_key}) is not the key the export's ledger was created "
            f"with ({verifier_key}); an import re-signs the ledger's checkpoint, so it needs that key"
        )


def _check_whole_export(given: Checkpoint, exported: int) -> None:
    if given.size != exported:
        raise VerificationError(
            f"the checkpoint covers {given.size} entries but the export holds {exported}; an import "
            "needs the signed checkpoint of the whole export (`rledger db backup` writes the pair)",
            expected=str(exported),
            actual=str(given.size),
        )


def write_backup(store: LogStore, out: Path, checkpoint_out: Path) -> BackupResult:
    """Write the latest checkpoint, with its stored cosignature lines, and exactly the entries
    it covers (appends may carry on).

    Raises LedgerError before genesis, StorageError if fewer entries are read than the
    checkpoint covers, InputError if a file cannot be written; on any failure neither file
    is left behind.
    """
    latest = store.latest_checkpoint()
    if latest is None:
        raise LedgerError("the ledger has no checkpoint yet; nothing to back up")
    size, stored = latest
    # The witnesses' cosignatures go with it, so `verify --export --witness` works on a backup.
    note = with_cosignatures(stored, [row.line for row in store.cosignatures(size)])

    def entries(handle: BinaryIO) -> None:
        count = write_export((b for _, blobs, _ in store.entry_chunks(end=size) for b in blobs), handle)
        if count != size:
            raise StorageError(f"the latest checkpoint covers {size} entries but only {count} were read")

    def checkpoint(handle: BinaryIO) -> None:
        handle.write(note.encode())

    _write_all([(out, entries), (checkpoint_out, checkpoint)])
    return BackupResult(size, note)


def _write_all(files: list[tuple[Path, Callable[[BinaryIO], None]]]) -> None:
    """Write each file in turn, atomically; if any fails, remove those already written."""
    written: list[Path] = []
    try:
        for target, write in files:
            _write_atomically(target, write)
            written.append(target)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise InputError(f"cannot write the backup: {exc}") from None
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _write_atomically(target: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write and fsync ``target.partial``, then rename it: readers never see a half-written file."""
    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
