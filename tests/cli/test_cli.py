"""The ``rledger`` command line, driven in-process through ``main([...])`` and once as a real process."""

from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import cli.demo
from cli.main import main
from ledger.errors import VerificationError
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.merkle import verify_consistency, verify_inclusion
from ledger.tlog.note import Verifier
from services.keys import read_private_key
from services.settings import sqlite_url
from store.ledger_store import LedgerStore
from tests.decisions.bad_inputs import BAD_CASES, UNRECORDABLE_CASES, BadCase, broken, dump_yaml, valid_data

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = Path(cli.demo.__file__).resolve().parent
DEMO_FILES = sorted(DEMO_DIR.glob("*.yaml"))
ORIGIN = "test.release-ledger.example/log"
ADMIN = "admin@example.com"
ALICE = "alice@example.com"  # requested_by in every demo file

# demo file -> (index, band, tier) as seed 001 and seed 000 give them
DEMO_EXPECTED = {
    "01-support-summarizer-1.1.yaml": ("support-summarizer@1.1", "103.95", "yellow", "medium"),
    "02-support-summarizer-1.2.yaml": ("support-summarizer@1.2", "102.85", "yellow", "medium"),
    "03-support-summarizer-1.3.yaml": ("support-summarizer@1.3", "102.85", "yellow", "low"),
    "04-support-summarizer-1.4.yaml": ("support-summarizer@1.4", "109.25", "green", "low"),
    "05-claims-assistant-2.0.yaml": ("claims-assistant@2.0", "104.1", "yellow", "high"),
    "06-support-summarizer-1.5.yaml": ("support-summarizer@1.5", "107.7", "red", "low"),
}


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No settings leak in from the machine, and a stray default home lands in tmp_path."""
    for name in list(os.environ):
        if name.startswith("RLEDGER_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def invoke(*args: object) -> int:
    return main([str(a) for a in args])


def run(capsys: pytest.CaptureFixture[str], *args: object) -> Result:
    capsys.readouterr()
    code = invoke(*args)
    out, err = capsys.readouterr()
    if "--verbose" not in args:
        assert "Traceback" not in err, err
        assert "Traceback" not in out, out
    assert "PRIVATE+KEY" not in out + err
    return Result(code, out, err)


def assert_clean_failure(result: Result, *fragments: str) -> str:
    """Non-zero exit, nothing on stdout, and exactly one line on stderr holding every fragment."""
    assert result.code != 0
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got {result.err!r}"
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


@dataclass(frozen=True)
class Team:
    """A ledger home with its first admin and one submitter, alice."""

    home: Path
    admin_key: Path
    alice_key: Path

    def submit(self, path: Path) -> list[object]:
        """Arguments for alice submitting a decision file."""
        return ["--home", self.home, "decision", "submit", path, "--as", ALICE, "--key", self.alice_key]


def init_home(home: Path) -> Team:
    assert invoke("--home", home, "init", "--origin", ORIGIN, "--admin", ADMIN) == 0
    keys = home.parent / f"{home.name}-keys"
    keys.mkdir()
    assert invoke("identity", "keygen", "--out", keys / "alice") == 0
    admin_key = home / f"{ADMIN}.key"
    added = invoke(
        "--home", home, "identity", "add", ALICE, "--roles", "submitter",
        "--public-key", keys / "alice.pub", "--as", ADMIN, "--key", admin_key,
    )  # fmt: skip
    assert added == 0
    return Team(home, admin_key, keys / "alice.key")


@dataclass(frozen=True)
class LedgerState:
    size: int
    checkpoint: str | None
    decisions: int
    entries: bytes


def ledger_state(home: Path) -> LedgerState:
    store = LedgerStore.open(sqlite_url(home / "ledger.db"))
    try:
        latest = store.latest_checkpoint()
        return LedgerState(
            store.size(),
            None if latest is None else latest[1],
            store.decision_count(),
            b"\n".join(blob for _, blobs, _ in store.entry_chunks() for blob in blobs),
        )
    finally:
        store.close()


def stored_checkpoints(home: Path) -> dict[int, Checkpoint]:
    store = LedgerStore.open(sqlite_url(home / "ledger.db"))
    try:
        verifier = Verifier.parse(store.meta()["verifier_key"])
        return {cp.size: cp for cp in (Checkpoint.open(n, verifier) for n in store.checkpoint_notes())}
    finally:
        store.close()


@dataclass(frozen=True)
class Populated:
    team: Team
    verifier_key: str
    first_decision: int  # seq of the first demo decision
    size: int
    hashes: dict[str, str]  # MODEL@VERSION -> leaf hash hex

    @property
    def home(self) -> Path:
        return self.team.home


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Populated:
    """A ledger holding the six demo decisions, submitted by alice. Tests must not write to it."""
    team = init_home(tmp_path_factory.mktemp("populated") / "home")
    first = ledger_state(team.home).size
    for path in DEMO_FILES:
        assert invoke(*team.submit(path)) == 0
    store = LedgerStore.open(sqlite_url(team.home / "ledger.db"))
    try:
        hashes = {f"{ref.model}@{ref.version}": ref.leaf_hex for ref in store.decisions()}
        key = store.meta()["verifier_key"]
        size = store.size()
    finally:
        store.close()
    assert size == first + len(DEMO_FILES)
    return Populated(team, key, first, size, hashes)


@pytest.fixture
def team(tmp_path: Path) -> Team:
    return init_home(tmp_path / "home")


# -- init -------------------------------------------------------------------------------------


def test_init_creates_private_key_and_prints_verifier_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "new-home"
    result = run(capsys, "--home", home, "init", "--origin", ORIGIN, "--admin", ADMIN)
    assert result.code == 0, result.err
    assert result.err == ""
    key_path = home / "signing.key"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / f"{ADMIN}.key").stat().st_mode) == 0o600
    secret = key_path.read_text().strip()
    assert secret.startswith(f"PRIVATE+KEY+{ORIGIN}+")
    material = secret.split("+", 4)[4]
    assert len(material) > 40
    assert material not in result.out  # not even the key material alone
    admin_secret = (home / f"{ADMIN}.key").read_text().strip()
    assert admin_secret.split("+", 4)[4] not in result.out
    verifier_key = result.out.strip().splitlines()[-1]
    assert verifier_key.startswith(f"{ORIGIN}+")
    assert Verifier.parse(verifier_key).name == ORIGIN
    assert read_private_key(key_path).verifier_key == verifier_key
    assert (home / "ledger.db").exists()
    key_result = run(capsys, "--home", home, "key")
    assert key_result.code == 0
    assert key_result.out.strip() == verifier_key
    assert ledger_state(home).size >= 1


def test_init_twice_fails_cleanly_and_keeps_the_key(team: Team, capsys: pytest.CaptureFixture[str]) -> None:
    key_before = (team.home / "signing.key").read_bytes()
    state_before = ledger_state(team.home)
    result = run(capsys, "--home", team.home, "init", "--origin", ORIGIN, "--admin", "other@example.com")
    assert_clean_failure(result, "already")
    assert (team.home / "signing.key").read_bytes() == key_before
    assert not (team.home / "other@example.com.key").exists()
    assert ledger_state(team.home) == state_before


def test_init_over_a_ledger_whose_key_was_removed_is_refused(
    team: Team, capsys: pytest.CaptureFixture[str]
) -> None:
    (team.home / "signing.key").unlink()
    state_before = ledger_state(team.home)
    result = run(
        capsys, "--home", team.home, "init", "--origin", "other.example/log", "--admin", "x@example.com"
    )
    assert_clean_failure(result, "already")
    assert not (team.home / "signing.key").exists()
    assert not (team.home / "x@example.com.key").exists()
    assert ledger_state(team.home) == state_before


@pytest.mark.parametrize("origin", ["bad+origin", "has space", ""])
def test_init_with_a_bad_origin_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], origin: str
) -> None:
    home = tmp_path / "home"
    assert_clean_failure(run(capsys, "--home", home, "init", "--origin", origin, "--admin", ADMIN))
    assert not (home / "signing.key").exists()
    assert not (home / f"{ADMIN}.key").exists()


# -- uninitialised homes ------------------------------------------------------------------------

UNINITIALISED_COMMANDS: list[list[str]] = [
    ["verify"],
    ["checkpoint"],
    ["key"],
    ["export", "--out", "{tmp}/export.jsonl"],
    ["proof", "inclusion", "0"],
    ["proof", "consistency", "1", "1"],
    ["decision", "list"],
    ["decision", "show", "abcd1234"],
    ["decision", "show", "support-summarizer@1.1"],
    ["decision", "status", "support-summarizer@1.1"],
    ["decision", "submit", str(DEMO_FILES[0]), "--as", ALICE, "--key", "{tmp}/alice.key"],
]


@pytest.mark.parametrize("existing", [False, True], ids=["no-dir", "empty-dir"])
@pytest.mark.parametrize("command", UNINITIALISED_COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_commands_on_an_uninitialised_home_fail_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], existing: bool
) -> None:
    assert invoke("identity", "keygen", "--out", tmp_path / "alice") == 0
    home = tmp_path / "nothing-here"
    if existing:
        home.mkdir()
    args = [part.replace("{tmp}", str(tmp_path)) for part in command]
    line = assert_clean_failure(run(capsys, "--home", home, *args), "init")
    assert line.startswith("error:")
    assert not (home / "ledger.db").exists()
    assert not (home / "signing.key").exists()
    assert not (tmp_path / "export.jsonl").exists()


# -- submit, show, list -------------------------------------------------------------------------


def test_submit_demo_files_prints_index_band_and_tier(team: Team, capsys: pytest.CaptureFixture[str]) -> None:
    first = ledger_state(team.home).size
    for seq, path in enumerate(DEMO_FILES, start=first):
        name, index, band, tier = DEMO_EXPECTED[path.name]
        result = run(capsys, *team.submit(path))
        assert result.code == 0, result.err
        assert result.err == ""
        assert f"recorded entry {seq}," in result.out
        assert re.search(r"hash [0-9a-f]{64}", result.out)
        assert f"{name}: index {index} " in result.out
        assert f"band {band}" in result.out
        assert f"tier {tier}" in result.out
    state = ledger_state(team.home)
    assert state.size == first + len(DEMO_FILES)
    assert state.decisions == len(DEMO_FILES)


def test_submit_reports_escalations(team: Team, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, *team.submit(DEMO_DIR / "05-claims-assistant-2.0.yaml"))
    assert result.code == 0, result.err
    assert "escalated" in result.out
    assert "restricted" in result.out


def test_submit_a_json_file(team: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "decision.json"
    path.write_text(json.dumps(valid_data(), default=str), encoding="utf-8")
    result = run(capsys, *team.submit(path))
    assert result.code == 0, result.err
    assert "fraud-scorer@3.1: index 103.95 (104), band yellow" in result.out


def test_submit_needs_an_actor_and_the_requester(team: Team, capsys: pytest.CaptureFixture[str]) -> None:
    before = ledger_state(team.home)
    anonymous = run(capsys, "--home", team.home, "decision", "submit", DEMO_FILES[0])
    assert_clean_failure(anonymous, "--as")
    as_admin = run(
        capsys,
        "--home",
        team.home,
        "decision",
        "submit",
        DEMO_FILES[0],
        "--as",
        ADMIN,
        "--key",
        team.admin_key,
    )
    assert_clean_failure(as_admin, "requested_by")
    wrong_key = run(
        capsys,
        "--home",
        team.home,
        "decision",
        "submit",
        DEMO_FILES[0],
        "--as",
        ALICE,
        "--key",
        team.admin_key,
    )
    assert_clean_failure(wrong_key)
    assert ledger_state(team.home) == before


def test_show_by_model_and_version(populated: Populated, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--home", populated.home, "decision", "show", "support-summarizer@1.1")
    assert result.code == 0
    assert result.err == ""
    assert "support-summarizer@1.1: index 103.95 (104), band yellow" in result.out
    assert populated.hashes["support-summarizer@1.1"] in result.out
    assert "weights (default)" in result.out
    assert "jailbreak_resistance: pass" in result.out


def test_show_json_by_version_full_hash_and_prefix(
    populated: Populated, capsys: pytest.CaptureFixture[str]
) -> None:
    leaf = populated.hashes["support-summarizer@1.4"]
    shown = []
    for ident in ("support-summarizer@1.4", leaf, leaf[:12], leaf[:12].upper()):
        result = run(capsys, "--home", populated.home, "decision", "show", ident, "--json")
        assert result.code == 0, result.err
        shown.append(json.loads(result.out))
    assert all(item == shown[0] for item in shown)
    details = shown[0]
    assert details["hash"] == leaf
    assert details["seq"] == populated.first_decision + 3
    assert details["kind"] == "release.decision"
    assert details["payload"]["model"] == "support-summarizer"
    assert details["payload"]["version"] == "1.4"
    assert details["payload"]["assessment"]["index"] == "109.25"
    assert details["payload"]["assessment"]["band"] == "green"


def test_show_shortest_unique_prefix(populated: Populated, capsys: pytest.CaptureFixture[str]) -> None:
    leaf = populated.hashes["claims-assistant@2.0"]
    others = [h for name, h in populated.hashes.items() if name != "claims-assistant@2.0"]
    length = 4
    while any(h.startswith(leaf[:length]) for h in others):
        length += 1
    result = run(capsys, "--home", populated.home, "decision", "show", leaf[:length], "--json")
    assert result.code == 0
    assert json.loads(result.out)["hash"] == leaf


def _absent_prefix(hashes: dict[str, str]) -> str:
    for candidate in ("0000", "ffff", "1234", "abcd", "9876"):
        prefix = candidate * 2
        if not any(h.startswith(prefix) for h in hashes.values()):
            return prefix
    raise AssertionError("no unused prefix")  # pragma: no cover


@pytest.mark.parametrize(
    ("ident", "fragment"),
    [
        ("nobody@1.0", "no decision for nobody@1.0"),
        ("support-summarizer@9.9", "no decision"),
        ("ABSENT", "no decision whose hash starts with"),
        ("abc", "neither MODEL@VERSION nor a hex hash prefix"),
        ("not-a-hash", "neither MODEL@VERSION nor a hex hash prefix"),
        ("x" * 70, "neither"),
    ],
)
def test_show_unknown_ids_fail_cleanly(
    populated: Populated, capsys: pytest.CaptureFixture[str], ident: str, fragment: str
) -> None:
    if ident == "ABSENT":
        ident = _absent_prefix(populated.hashes)
    result = run(capsys, "--home", populated.home, "decision", "show", ident)
    assert_clean_failure(result, fragment)


def test_show_genesis_hash_is_not_a_decision(
    populated: Populated, capsys: pytest.CaptureFixture[str]
) -> None:
    store = LedgerStore.open(sqlite_url(populated.home / "ledger.db"))
    try:
        genesis = store.nodes({(0, 0)})[(0, 0)].hex()
    finally:
        store.close()
    assert_clean_failure(run(capsys, "--home", populated.home, "decision", "show", genesis), "no decision")


def test_show_ambiguous_prefix_fails_cleanly(
    populated: Populated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two decisions whose hashes share a prefix: that prefix is refused, a longer one resolves.

    A natural 4-digit collision needs hundreds of decisions, so on a copy of the ledger we
    add one row to the lookup index (INSERT is allowed; only UPDATE and DELETE are refused)
    whose hash shares the first 8 digits of a real decision's.
    """
    copy = tmp_path / "copy"
    copy.mkdir()
    src = sqlite3.connect(populated.home / "ledger.db")
    dst = sqlite3.connect(copy / "ledger.db")
    try:
        src.backup(dst)
    finally:
        src.close()
    real = populated.hashes["support-summarizer@1.2"]
    twin = real[:8] + ("0" if real[8] != "0" else "1") * 56
    try:
        dst.execute(
            "INSERT INTO ledger_decisions (seq, model, version, leaf_hex) VALUES (?, ?, ?, ?)",
            (10**6, "ghost", "0.1", twin),
        )
        dst.commit()
    finally:
        dst.close()
    for prefix in (real[:4], real[:8]):
        result = run(capsys, "--home", copy, "decision", "show", prefix)
        assert_clean_failure(result, prefix, "matches 2 decisions")
    result = run(capsys, "--home", copy, "decision", "show", real[:9], "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["hash"] == real


def test_list(populated: Populated, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--home", populated.home, "decision", "list")
    assert result.code == 0
    lines = result.out.strip().splitlines()
    assert lines[0].split() == ["seq", "decision", "index", "band", "tier", "hash"]
    rows = [line.split() for line in lines[1:]]
    assert len(rows) == len(DEMO_FILES)
    for seq, (row, path) in enumerate(zip(rows, DEMO_FILES, strict=True), start=populated.first_decision):
        name, index, band, tier = DEMO_EXPECTED[path.name]
        assert row[:5] == [str(seq), name, index, band, tier]
        assert populated.hashes[name].startswith(row[5])


def test_list_by_model_and_empty(
    populated: Populated, team: Team, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(capsys, "--home", populated.home, "decision", "list", "--model", "claims-assistant")
    assert result.code == 0
    assert len(result.out.strip().splitlines()) == 2
    assert "claims-assistant@2.0" in result.out
    assert "support-summarizer" not in result.out
    empty = run(capsys, "--home", team.home, "decision", "list")
    assert empty.code == 0
    assert "no decisions recorded" in empty.out


# -- checkpoint, key, export, verify --------------------------------------------------------------


def test_checkpoint_and_key(populated: Populated, capsys: pytest.CaptureFixture[str]) -> None:
    key = run(capsys, "--home", populated.home, "key")
    assert key.code == 0
    assert key.out.strip() == populated.verifier_key
    note = run(capsys, "--home", populated.home, "checkpoint")
    assert note.code == 0
    checkpoint = Checkpoint.open(note.out, Verifier.parse(key.out))
    assert checkpoint.origin == ORIGIN
    assert checkpoint.size == populated.size
    assert note.out.splitlines()[:2] == [ORIGIN, str(checkpoint.size)]


def test_verify_database(populated: Populated, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--home", populated.home, "verify")
    assert result.code == 0, result.err
    assert result.out.startswith(f"OK: {populated.size} entries verified")


@pytest.fixture(scope="module")
def exported(populated: Populated, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exported")
    export, note, key = folder / "export.jsonl", folder / "checkpoint.txt", folder / "verifier.key"
    assert invoke("--home", populated.home, "export", "--out", export) == 0
    store = LedgerStore.open(sqlite_url(populated.home / "ledger.db"))
    try:
        latest = store.latest_checkpoint()
        assert latest is not None
        note.write_text(latest[1], encoding="utf-8")
    finally:
        store.close()
    key.write_text(populated.verifier_key + "\n", encoding="utf-8")
    return {"export": export, "checkpoint": note, "key": key}


def test_export_writes_every_entry(
    populated: Populated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "export.jsonl"
    result = run(capsys, "--home", populated.home, "export", "--out", out)
    assert result.code == 0
    assert f"exported {populated.size} entries" in result.out
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert len(lines) - 1 == populated.size
    assert b"\n".join(lines[:-1]) == ledger_state(populated.home).entries
    assert not (tmp_path / "export.jsonl.partial").exists()
    entries = [json.loads(line) for line in lines[:-1]]
    assert [e["seq"] for e in entries] == list(range(populated.size))
    assert entries[0]["kind"] == "ledger.init"
    assert entries[0]["payload"]["verifier_key"] == populated.verifier_key
    assert [e["kind"] for e in entries[populated.first_decision :]] == ["release.decision"] * len(DEMO_FILES)
    assert b"PRIVATE" not in out.read_bytes()


@pytest.mark.parametrize("key_form", ["file", "inline"])
def test_verify_export_offline(
    exported: dict[str, Path],
    populated: Populated,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    key_form: str,
) -> None:
    key = str(exported["key"]) if key_form == "file" else populated.verifier_key
    # offline: the home given here is empty and never consulted
    result = run(
        capsys,
        "--home",
        tmp_path / "no-home",
        "verify",
        "--export",
        exported["export"],
        "--checkpoint",
        exported["checkpoint"],
        "--key",
        key,
    )
    assert result.code == 0, result.err
    assert result.out.startswith(f"OK: {populated.size} entries verified")
    assert not (tmp_path / "no-home").exists()


def _mutated(lines: list[bytes], how: str, at: int) -> list[bytes]:
    """``lines`` with one tampering around line ``at`` (a decision that is not the last entry)."""
    out = list(lines)
    if how == "edit-payload":
        assert b"support-v7" in out[at]
        out[at] = out[at].replace(b"support-v7", b"support-v8")
    elif how == "edit-index":
        assert b'"index":"102.85"' in out[at]
        out[at] = out[at].replace(b'"index":"102.85"', b'"index":"112.85"')
    elif how == "delete":
        del out[at]
    elif how == "swap":
        out[at], out[at + 1] = out[at + 1], out[at]
    elif how == "truncate":
        out = out[:at]
    elif how == "duplicate":
        out.insert(at + 1, out[at])
    return out


@pytest.mark.parametrize("how", ["edit-payload", "edit-index", "delete", "swap", "truncate", "duplicate"])
def test_verify_export_catches_mutations(
    exported: dict[str, Path],
    populated: Populated,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    how: str,
) -> None:
    at = populated.first_decision + 1  # support-summarizer@1.2
    expected = {"duplicate": at + 1}.get(how, at)
    lines = exported["export"].read_bytes().split(b"\n")[:-1]
    bad = tmp_path / "tampered.jsonl"
    bad.write_bytes(b"".join(line + b"\n" for line in _mutated(lines, how, at)))
    result = run(
        capsys, "verify", "--export", bad, "--checkpoint", exported["checkpoint"], "--key", exported["key"]
    )
    line = assert_clean_failure(result, f"entry {expected}")
    assert line.startswith("verification FAILED:")


def test_verify_export_catches_an_edited_last_entry(
    exported: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = exported["export"].read_bytes().split(b"\n")[:-1]
    assert b"support-v7" in lines[-1]
    lines[-1] = lines[-1].replace(b"support-v7", b"support-v8")
    bad = tmp_path / "tampered.jsonl"
    bad.write_bytes(b"".join(line + b"\n" for line in lines))
    result = run(
        capsys, "verify", "--export", bad, "--checkpoint", exported["checkpoint"], "--key", exported["key"]
    )
    assert_clean_failure(result, "checkpoint")


def test_verify_export_with_a_wrong_key_or_bad_checkpoint(
    exported: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = init_home(tmp_path / "other").home
    wrong = read_private_key(other / "signing.key").verifier_key
    result = run(
        capsys,
        "verify",
        "--export",
        exported["export"],
        "--checkpoint",
        exported["checkpoint"],
        "--key",
        wrong,
    )
    assert_clean_failure(result)
    note = exported["checkpoint"].read_text()
    size_line = note.splitlines()[1]
    forged = tmp_path / "forged.txt"
    forged.write_text(note.replace(f"\n{size_line}\n", "\n99\n", 1), encoding="utf-8")
    result = run(
        capsys, "verify", "--export", exported["export"], "--checkpoint", forged, "--key", exported["key"]
    )
    assert_clean_failure(result)
    missing = run(
        capsys,
        "verify",
        "--export",
        tmp_path / "missing.jsonl",
        "--checkpoint",
        exported["checkpoint"],
        "--key",
        exported["key"],
    )
    assert_clean_failure(missing, "does not exist")


# -- proofs -------------------------------------------------------------------------------------


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _check_inclusion(proof: dict[str, Any], root: bytes) -> None:
    verify_inclusion(
        proof["leaf_index"],
        proof["tree_size"],
        _b64(proof["leaf_hash"]),
        [_b64(h) for h in proof["hashes"]],
        root,
    )


def test_inclusion_proofs_verify_against_the_checkpoint(
    populated: Populated, capsys: pytest.CaptureFixture[str]
) -> None:
    note = run(capsys, "--home", populated.home, "checkpoint").out
    checkpoint = Checkpoint.open(note, Verifier.parse(populated.verifier_key))
    store = LedgerStore.open(sqlite_url(populated.home / "ledger.db"))
    try:
        leaves = store.nodes({(0, i) for i in range(checkpoint.size)})
    finally:
        store.close()
    for index in range(checkpoint.size):
        result = run(capsys, "--home", populated.home, "proof", "inclusion", index)
        assert result.code == 0, result.err
        proof = json.loads(result.out)
        assert set(proof) >= {"leaf_index", "tree_size", "leaf_hash", "root_hash", "hashes"}
        assert proof["leaf_index"] == index
        assert proof["tree_size"] == checkpoint.size
        assert _b64(proof["root_hash"]) == checkpoint.root
        assert _b64(proof["leaf_hash"]) == leaves[(0, index)]
        _check_inclusion(proof, checkpoint.root)


def test_inclusion_proofs_at_every_checkpointed_size(
    populated: Populated, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoints = stored_checkpoints(populated.home)
    assert max(checkpoints) == populated.size
    assert set(range(populated.first_decision, populated.size + 1)) <= set(checkpoints)
    for size, checkpoint in checkpoints.items():
        for index in range(size):
            result = run(capsys, "--home", populated.home, "proof", "inclusion", index, "--size", size)
            assert result.code == 0, result.err
            proof = json.loads(result.out)
            assert proof["tree_size"] == size
            assert _b64(proof["root_hash"]) == checkpoint.root
            _check_inclusion(proof, checkpoint.root)


def test_inclusion_proof_fails_against_another_root(
    populated: Populated, capsys: pytest.CaptureFixture[str]
) -> None:
    proof = json.loads(run(capsys, "--home", populated.home, "proof", "inclusion", 2).out)
    older = stored_checkpoints(populated.home)[populated.size - 1]
    with pytest.raises(VerificationError, match="root"):
        _check_inclusion(proof, older.root)


def test_consistency_proofs_verify(populated: Populated, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoints = stored_checkpoints(populated.home)
    for new in sorted(checkpoints):
        for old in range(1, new + 1):
            result = run(capsys, "--home", populated.home, "proof", "consistency", old, new)
            assert result.code == 0, result.err
            proof = json.loads(result.out)
            assert set(proof) >= {"old_size", "new_size", "old_root", "new_root", "hashes"}
            assert (proof["old_size"], proof["new_size"]) == (old, new)
            assert _b64(proof["new_root"]) == checkpoints[new].root
            if old in checkpoints:
                assert _b64(proof["old_root"]) == checkpoints[old].root
            verify_consistency(
                old, new, _b64(proof["old_root"]), checkpoints[new].root, [_b64(h) for h in proof["hashes"]]
            )


@pytest.mark.parametrize(
    "args",
    [
        ["inclusion", "SIZE"],
        ["inclusion", "1000"],
        ["inclusion", "0", "--size", "SIZE+1"],
        ["inclusion", "3", "--size", "3"],
        ["inclusion", "0", "--size", "0"],
        ["inclusion", "--", "-1"],
        ["inclusion", "abc"],
        ["consistency", "0", "3"],
        ["consistency", "5", "3"],
        ["consistency", "1", "SIZE+1"],
        ["consistency", "SIZE+1", "SIZE+1"],
        ["consistency", "3", "abc"],
    ],
    ids=lambda a: "_".join(a),
)
def test_out_of_range_proof_arguments_fail_cleanly(
    populated: Populated, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    size = populated.size
    concrete = [a.replace("SIZE+1", str(size + 1)).replace("SIZE", str(size)) for a in args]
    result = run(capsys, "--home", populated.home, "proof", *concrete)
    assert result.code != 0
    assert result.out == ""
    assert result.err.strip()
    assert "error" in result.err.lower()


# -- bad decision files through the CLI --------------------------------------------------------


@pytest.fixture(scope="module")
def one_decision(tmp_path_factory: pytest.TempPathFactory) -> Team:
    """A ledger with one decision, for tests that must leave it unchanged."""
    team = init_home(tmp_path_factory.mktemp("one-decision") / "home")
    assert invoke(*team.submit(DEMO_FILES[0])) == 0
    return team


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda c: c.id)
def test_bad_decision_file_is_refused_with_one_line(
    one_decision: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: BadCase
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(dump_yaml(broken(case)), encoding="utf-8")
    before = ledger_state(one_decision.home)
    result = run(capsys, *one_decision.submit(path))
    line = assert_clean_failure(result, case.field, case.fragment)
    assert result.code == 1
    assert line.startswith("error:")
    assert "more problem" not in line
    assert ledger_state(one_decision.home) == before


@pytest.mark.parametrize("case", UNRECORDABLE_CASES, ids=lambda c: c.id)
def test_unrecordable_numbers_are_bad_input_not_internal_errors(
    one_decision: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: BadCase
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(dump_yaml(broken(case)), encoding="utf-8")
    before = ledger_state(one_decision.home)
    result = run(capsys, *one_decision.submit(path))
    assert ledger_state(one_decision.home) == before
    assert "internal error" not in result.err
    assert result.code == 1
    assert_clean_failure(result, case.field)


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("unclosed.yaml", "model: [unclosed\n", "YAML"),
        ("nested.yaml", "a: b: c\n", "YAML"),
        ("broken.json", '{"model": "x",', "JSON"),
        ("list.yaml", "- model: x\n- model: y\n", "mapping"),
        ("list.json", '[{"model": "x"}]', "mapping"),
        ("empty.yaml", "", "mapping"),
    ],
)
def test_unparseable_decision_files_fail_with_one_line(
    one_decision: Team,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str,
    fragment: str,
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    before = ledger_state(one_decision.home)
    result = run(capsys, *one_decision.submit(path))
    assert_clean_failure(result, fragment)
    assert ledger_state(one_decision.home) == before


def test_missing_decision_file(
    one_decision: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = ledger_state(one_decision.home)
    result = run(capsys, *one_decision.submit(tmp_path / "nope.yaml"))
    assert_clean_failure(result, "does not exist")
    assert ledger_state(one_decision.home) == before


def test_duplicate_decision_is_refused(
    team: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, *team.submit(DEMO_FILES[0])).code == 0
    export_before = tmp_path / "before.jsonl"
    assert run(capsys, "--home", team.home, "export", "--out", export_before).code == 0
    before = ledger_state(team.home)
    # the same model and version again, even with otherwise different content
    text = DEMO_FILES[0].read_text().replace("support-v7", "support-v8")
    again = tmp_path / "again.yaml"
    again.write_text(text, encoding="utf-8")
    for path in (DEMO_FILES[0], again):
        result = run(capsys, *team.submit(path))
        assert_clean_failure(result, "support-summarizer@1.1", "already recorded")
    assert ledger_state(team.home) == before
    export_after = tmp_path / "after.jsonl"
    assert run(capsys, "--home", team.home, "export", "--out", export_after).code == 0
    assert export_after.read_bytes() == export_before.read_bytes()


def test_traceback_only_with_verbose(
    one_decision: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(dump_yaml(broken(BAD_CASES[0])), encoding="utf-8")
    quiet = run(capsys, *one_decision.submit(path))
    assert quiet.code == 1
    assert "Traceback" not in quiet.err
    loud = run(capsys, "--verbose", *one_decision.submit(path))
    assert loud.code == 1
    assert "Traceback" in loud.err
    assert "scores" in loud.err


# -- demo and settings -----------------------------------------------------------------------------


def test_demo_catches_every_tampering(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = tmp_path / "demo"
    result = run(capsys, "demo", "--dir", directory)
    assert result.code == 0, result.err
    assert "NOT caught" not in result.out
    assert "NOT refused" not in result.out
    caught = [line for line in result.out.splitlines() if ": caught -> " in line]
    assert len(caught) >= 5
    for attack in ("payload byte changed", "entry deleted", "swapped", "truncated", "signature altered"):
        assert any(attack in line for line in caught), attack
    assert "UPDATE refused by the database" in result.out
    assert "support-summarizer@1.1: index 103.95 (104), band yellow" in result.out
    assert (directory / "ledger.db").exists()
    assert stat.S_IMODE((directory / "signing.key").stat().st_mode) == 0o600
    # the kept demo ledger still verifies
    assert run(capsys, "--home", directory, "verify").code == 0


def test_demo_refuses_a_non_empty_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = tmp_path / "busy"
    directory.mkdir()
    (directory / "keep.txt").write_text("mine")
    assert_clean_failure(run(capsys, "demo", "--dir", directory), "not empty")
    assert sorted(p.name for p in directory.iterdir()) == ["keep.txt"]


def test_rledger_home_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "env-home"
    monkeypatch.setenv("RLEDGER_HOME", str(home))
    assert run(capsys, "init", "--origin", ORIGIN, "--admin", ADMIN).code == 0
    assert (home / "signing.key").exists()
    assert (home / "ledger.db").exists()
    assert not (tmp_path / ".rledger").exists()
    assert run(capsys, "key").out.strip() == read_private_key(home / "signing.key").verifier_key
    listed = run(capsys, "decision", "list")
    assert listed.code == 0
    assert "no decisions recorded" in listed.out
    # --home wins over the environment
    assert_clean_failure(run(capsys, "--home", tmp_path / "elsewhere", "decision", "list"), "init")


def test_default_home_is_dot_rledger_in_the_working_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init", "--origin", ORIGIN, "--admin", ADMIN).code == 0
    assert (tmp_path / ".rledger" / "signing.key").exists()


def test_help_and_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    helped = run(capsys, "--help")
    assert helped.code == 0
    for command in ("init", "verify", "checkpoint", "key", "export", "proof", "decision", "demo"):
        assert command in helped.out
    unknown = run(capsys, "frobnicate")
    assert unknown.code != 0
    assert "Traceback" not in unknown.err


# -- a real process ------------------------------------------------------------------------------


def _process_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RLEDGER_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def rledger_process(*args: object, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *(str(a) for a in args)],
        cwd=cwd,
        env=_process_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_console_script_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init = rledger_process("init", "--origin", ORIGIN, "--admin", ADMIN, cwd=tmp_path, RLEDGER_HOME=str(home))
    assert init.returncode == 0, init.stderr
    assert init.stderr == ""
    assert stat.S_IMODE((home / "signing.key").stat().st_mode) == 0o600
    assert init.stdout.strip().splitlines()[-1] == read_private_key(home / "signing.key").verifier_key

    # register alice in-process (quicker), then submit as her in real processes
    assert invoke("identity", "keygen", "--out", tmp_path / "alice") == 0
    added = invoke(
        "--home", home, "identity", "add", ALICE, "--roles", "submitter",
        "--public-key", tmp_path / "alice.pub", "--as", ADMIN, "--key", home / f"{ADMIN}.key",
    )  # fmt: skip
    assert added == 0
    team = Team(home, home / f"{ADMIN}.key", tmp_path / "alice.key")
    submitted = rledger_process(*team.submit(DEMO_FILES[0]), cwd=tmp_path)
    assert submitted.returncode == 0, submitted.stderr
    assert submitted.stderr == ""
    assert "index 103.95 (104), band yellow" in submitted.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text(dump_yaml(broken(BAD_CASES[0])), encoding="utf-8")
    before = ledger_state(home)
    refused = rledger_process(*team.submit(bad), cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.strip().splitlines() == ["error: scores: Field required"]
    assert ledger_state(home) == before

    verified = rledger_process("--home", home, "verify", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"OK: {before.size} entries verified")
    for output in (init, submitted, refused, verified):
        assert "PRIVATE+KEY" not in output.stdout + output.stderr
        assert "Traceback" not in output.stderr
