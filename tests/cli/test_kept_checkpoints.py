"""Auditors' own checkpoints (issue 12, part 4): `verify`, online and from an export, takes any
number of `--checkpoint` notes, checks each against the root of the entries at its size, and
prints each size and root in base64, as the notes write them. A checkpoint from another
history (a fork re-signed with the same log key) fails, naming both roots."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from cli.main import EXIT_VERIFICATION_FAILED
from ledger.tlog.checkpoint import Checkpoint
from services.keys import read_private_key
from services.settings import sqlite_url
from store.ledger_store import LedgerStore
from tests.cli.test_cli import ORIGIN, Populated, run
from tests.cli.test_cli import exported as exported
from tests.cli.test_cli import populated as populated


def _notes(home: Path) -> dict[int, str]:
    """Every checkpoint note the ledger stored, by size."""
    store = LedgerStore.open(sqlite_url(home / "ledger.db"))
    try:
        return {int(note.splitlines()[1]): note for note in store.checkpoint_notes()}
    finally:
        store.close()


def _root(note: str) -> str:
    return note.splitlines()[2]


@pytest.fixture
def kept(populated: Populated, tmp_path: Path) -> tuple[Path, Path, str, str]:
    """An early checkpoint an auditor kept, and the latest, as files; with their roots."""
    notes = _notes(populated.home)
    early, latest = notes[4], notes[max(notes)]
    (tmp_path / "early.txt").write_text(early)
    (tmp_path / "latest.txt").write_text(latest)
    return tmp_path / "early.txt", tmp_path / "latest.txt", _root(early), _root(latest)


def test_an_export_is_checked_against_every_kept_checkpoint(
    exported: dict[str, Path], kept: tuple[Path, Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    early, latest, early_root, latest_root = kept
    result = run(
        capsys, "verify", "--export", exported["export"], "--checkpoint", latest, "--checkpoint", early,
        "--key", exported["key"],
    )  # fmt: skip
    assert result.code == 0, result.err
    assert f"consistent with the given checkpoint of size 4, root {early_root}" in result.out
    assert f"root {latest_root}" in result.out


def test_the_database_is_checked_against_every_kept_checkpoint(
    populated: Populated, kept: tuple[Path, Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    early, latest, early_root, latest_root = kept
    result = run(capsys, "--home", populated.home, "verify", "--checkpoint", early, "--checkpoint", latest)
    assert result.code == 0, result.err
    assert f"consistent with the given checkpoint of size 4, root {early_root}" in result.out
    assert f"consistent with the given checkpoint of size {populated.size}, root {latest_root}" in result.out


def test_a_checkpoint_from_another_history_fails_naming_both_roots(
    populated: Populated, exported: dict[str, Path], kept: tuple[Path, Path, str, str], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """What a fork leaves in an auditor's hands: a checkpoint of size 4 signed with the log's
    own key over another root."""
    _, latest, early_root, _ = kept
    signer = read_private_key(populated.home / "signing.key")
    other = bytes(32)
    forked = tmp_path / "forked.txt"
    forked.write_text(Checkpoint(ORIGIN, 4, other).sign(signer))
    other_b64 = base64.b64encode(other).decode()
    for args in (
        ["verify", "--export", exported["export"], "--checkpoint", latest, "--checkpoint", forked,
         "--key", exported["key"]],
        ["--home", populated.home, "verify", "--checkpoint", forked],
    ):  # fmt: skip
        result = run(capsys, *args)
        assert result.code == EXIT_VERIFICATION_FAILED, result.out
        assert other_b64 in result.err and early_root in result.err, result.err
