"""A ledger witnessed by three `rledger witness serve` processes on loopback, quorum 2 (issue 12,
parts 2 and 3): appends are cosigned and stored, `rledger checkpoint` carries the cosignatures,
`verify --witness ... --quorum` holds an export's checkpoint to them, a witness that is down
loses and duplicates nothing and is caught up by `rledger witness sync`, a forked history
never reaches the quorum, and truncating witnessed entries fails `rledger verify`."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.tlog.cosignature import Cosigner
from ledger.tlog.note import Ed25519Signer
from ledger.tlog.witnessed import split_note
from services.keys import write_private_key
from services.settings import sqlite_url
from store.ledger_store import LedgerStore
from tests.api.servers import free_port, wait_until_healthy
from tests.cli.test_cli import (  # noqa: F401  (the autouse fixture keeps RLEDGER_* out)
    ADMIN,
    Result,
    Team,
    _clean_environment,
    init_home,
    invoke,
    run,
)
from tests.witness.helpers import seed
from tests.witness.server import CLOCK

NAMES = ("w1", "w2", "w3")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Witness:
    """One `rledger witness serve` for one log key, restartable on the same port and state."""

    def __init__(self, directory: Path, name: str, log_vkey: Path) -> None:
        self.name = name
        self.signer = Ed25519Signer.generate(f"witness.example/{name}", seed(name))
        self.verifier = Cosigner(self.signer).verifier
        directory.mkdir(parents=True, exist_ok=True)
        self.key = directory / f"{name}.key"
        write_private_key(self.key, self.signer)
        self.vkey = directory / f"{name}.vkey"
        self.vkey.write_text(self.verifier.text + "\n")
        self.state = directory / f"{name}.db"
        self.log_vkey = log_vkey
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        command = [sys.executable, "-m", "cli.main", "witness", "serve", "--key", str(self.key)]
        command += ["--log", str(self.log_vkey), "--state", str(self.state), "--port", str(self.port)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**_env(), "RLEDGER_CLOCK": CLOCK},
            cwd=PROJECT_ROOT,  # the tests run in tmp_path; the package is imported from here
        )
        problem = wait_until_healthy(self.url, self.process, 30)
        if problem:
            self.stop()
            pytest.fail(f"witness {self.name} did not start: {problem}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=10)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("RLEDGER_")}


def write_config(home: Path, witnesses: list[Witness], quorum: int = 2, wait: bool = False) -> None:
    lines = [f"quorum: {quorum}", f"wait_for_quorum: {'true' if wait else 'false'}", "witnesses:"]
    for w in witnesses:
        lines += [f"  - name: {w.name}", f"    url: {w.url}", f"    key: {w.verifier.text}"]
    (home / "witnesses.yaml").write_text("\n".join(lines) + "\n")


class Ledger:
    def __init__(self, team: Team, keys: Path) -> None:
        self.team = team
        self.keys = keys
        self.added = 0

    @property
    def home(self) -> Path:
        return self.team.home

    def add_identity(self, capsys: pytest.CaptureFixture[str], home: Path | None = None) -> Result:
        """One append through the service (identity add), as the admin."""
        home = home or self.home
        self.added += 1
        key = self.keys / f"user{self.added}"
        assert invoke("identity", "keygen", "--out", key) == 0
        return run(
            capsys, "--home", home, "identity", "add", f"user{self.added}@example.com",
            "--roles", "submitter", "--public-key", f"{key}.pub",
            "--as", ADMIN, "--key", home / f"{ADMIN}.key",
        )  # fmt: skip


def sizes(home: Path) -> tuple[int, dict[int, list[str]]]:
    """(entries, cosignature witnesses by size) straight from the database."""
    store = LedgerStore.open(sqlite_url(home / "ledger.db"))
    try:
        by_size: dict[int, list[str]] = {}
        for row in store.cosignatures():
            by_size.setdefault(row.size, []).append(row.witness)
        return store.size(), by_size
    finally:
        store.close()


@pytest.fixture
def witnessed(tmp_path: Path) -> Iterator[tuple[Ledger, list[Witness]]]:
    team = init_home(tmp_path / "home")
    vkey = tmp_path / "log.vkey"
    assert invoke("--home", team.home, "key") == 0
    store = LedgerStore.open(sqlite_url(team.home / "ledger.db"))
    vkey.write_text(store.meta()["verifier_key"] + "\n")
    store.close()
    witnesses = [Witness(tmp_path / "witnesses", name, vkey) for name in NAMES]
    keys = tmp_path / "keys"
    keys.mkdir()
    try:
        write_config(team.home, witnesses)
        yield Ledger(team, keys), witnesses
    finally:
        for w in witnesses:
            w.stop()


def test_appends_are_cosigned_stored_served_and_verified_offline(
    witnessed: tuple[Ledger, list[Witness]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger, witnesses = witnessed
    result = ledger.add_identity(capsys)
    assert result.code == 0, result.err
    count, cosigned = sizes(ledger.home)
    assert f"checkpoint of size {count}: witnessed by 3 of 3 (quorum 2)" in result.err
    assert sorted(cosigned[count]) == sorted(
        f"{w.verifier.name}+{w.verifier.key_id.hex()}" for w in witnesses
    )

    shown = run(capsys, "--home", ledger.home, "checkpoint")
    assert shown.code == 0
    assert f"checkpoint of size {count}: witnessed by 3 of 3" in shown.err
    body, lines = split_note(shown.out)
    assert len(lines) == 4  # the log's signature, then one cosignature per witness
    for w in witnesses:
        assert any(w.verifier.matches(line) and w.verifier.verify(line, body) for line in lines)

    export, checkpoint = tmp_path / "export.jsonl", tmp_path / "cp.txt"
    assert run(capsys, "--home", ledger.home, "export", "--out", export).code == 0
    checkpoint.write_text(shown.out)
    offline = ["verify", "--export", export, "--checkpoint", checkpoint, "--key", tmp_path / "log.vkey"]
    for w in witnesses:
        offline += ["--witness", w.vkey]
    passed = run(capsys, *offline, "--quorum", 2)
    assert passed.code == 0, passed.err
    assert "cosigned by 3 of 3 given witnesses (quorum 2)" in passed.out

    # The same export with a checkpoint carrying one cosignature (w1's) falls short of 2. The
    # witnesses answer concurrently, so their lines are stored in no fixed order: pick w1's.
    w1_line = next(line for line in lines[1:] if witnesses[0].verifier.matches(line))
    checkpoint.write_text(body + "\n" + "\n".join([lines[0], w1_line]) + "\n")
    short = run(capsys, *offline, "--quorum", 2)
    assert short.code == 3
    assert (
        "cosigned by 1 of 3 given witnesses (quorum 2); missing: witness.example/w2, witness.example/w3"
        in (short.err)
    )
    # A cosignature that does not verify (over another checkpoint body) counts for nothing.
    forged = lines[1][:-8] + ("AAAAAAA=" if not lines[1].endswith("AAAAAAA=") else "BBBBBBB=")
    checkpoint.write_text(body + "\n" + "\n".join([lines[0], forged, lines[2]]) + "\n")
    assert run(capsys, *offline, "--quorum", 2).code == 3
    checkpoint.write_text(body + "\n" + "\n".join(lines[:3]) + "\n")
    assert run(capsys, *offline, "--quorum", 2).code == 0


def test_a_witness_that_is_down_loses_nothing_and_is_caught_up(
    witnessed: tuple[Ledger, list[Witness]], capsys: pytest.CaptureFixture[str]
) -> None:
    ledger, witnesses = witnessed
    assert ledger.add_identity(capsys).code == 0
    before, _ = sizes(ledger.home)
    witnesses[2].stop()
    for _ in range(2):
        result = ledger.add_identity(capsys)
        assert result.code == 0, result.err
        assert "witnessed by 2 of 3 (quorum 2)" in result.err
        assert "witness w3: unreachable" in result.err
    count, cosigned = sizes(ledger.home)
    assert count == before + 2  # nothing lost, nothing duplicated
    w3 = f"{witnesses[2].verifier.name}+{witnesses[2].verifier.key_id.hex()}"
    assert w3 not in cosigned[count] and len(cosigned[count]) == 2
    assert run(capsys, "--home", ledger.home, "verify").code == 0

    witnesses[2].start()  # same state: it last cosigned size `before`
    synced = run(capsys, "--home", ledger.home, "witness", "sync")
    assert synced.code == 0, synced.err
    assert f"checkpoint of size {count}: witnessed by 3 of 3 (quorum 2)" in synced.out
    _, cosigned = sizes(ledger.home)
    assert w3 in cosigned[count]
    again = run(capsys, "--home", ledger.home, "witness", "sync")  # nothing to send: nothing stored twice
    assert again.code == 0
    assert sizes(ledger.home) == (count, cosigned)
    online = run(capsys, "--home", ledger.home, "verify")
    assert online.code == 0, online.err
    assert f"the latest witnessed checkpoint (size {count}) is cosigned by 3 of 3" in online.out


def test_truncating_witnessed_entries_fails_verify(
    witnessed: tuple[Ledger, list[Witness]], capsys: pytest.CaptureFixture[str]
) -> None:
    ledger, _ = witnessed
    for _ in range(2):
        assert ledger.add_identity(capsys).code == 0
    count, _ = sizes(ledger.home)
    keep = count - 2
    conn = sqlite3.connect(ledger.home / "ledger.db", isolation_level=None)
    for table in ("ledger_entries", "ledger_checkpoints", "ledger_nodes"):
        conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    conn.execute("DELETE FROM ledger_entries WHERE seq >= ?", (keep,))
    conn.execute("DELETE FROM ledger_checkpoints WHERE size > ?", (keep,))
    conn.execute("DELETE FROM ledger_derived_state")  # it reflects every entry: a careful attacker drops it
    conn.close()
    result = run(capsys, "--home", ledger.home, "verify")
    assert result.code == 3, result.out + result.err
    assert f"cosigned a checkpoint of size {count}, but the database holds only {keep} entries" in result.err
    # Without the witnesses' configuration the operator's own verify cannot tell.
    (ledger.home / "witnesses.yaml").unlink()
    assert run(capsys, "--home", ledger.home, "verify").code == 0


def test_a_forked_history_is_refused_by_the_witnesses_and_never_reaches_quorum(
    witnessed: tuple[Ledger, list[Witness]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger, witnesses = witnessed
    assert ledger.add_identity(capsys).code == 0
    backup = tmp_path / "backup"
    shutil.copytree(ledger.home, backup)  # the operator's backup, cosignatures and key included
    restored_size, restored_cosigned = sizes(backup)
    assert ledger.add_identity(capsys).code == 0  # the real history moves on, witnessed
    # The backup restored into a new home under the same log key, appended differently.
    write_config(backup, witnesses, wait=True)
    first = ledger.add_identity(capsys, home=backup)
    assert first.code == 1
    assert "HTTP 409" in first.err and "NOT yet witnessed: cosigned by 0 of 3" in first.err
    second = ledger.add_identity(capsys, home=backup)
    assert second.code == 1
    assert "HTTP 422" in second.err and "NOT yet witnessed: cosigned by 0 of 3" in second.err
    assert "the entry is recorded" in second.err
    synced = run(capsys, "--home", backup, "witness", "sync")
    assert synced.code == 1
    count, cosigned = sizes(backup)
    assert count == restored_size + 2
    assert cosigned == restored_cosigned  # no witness cosigned anything of the fork
    # Asked online, the witnesses hold the real history's size, which the fork's (longer) one
    # does not extend: they refuse the consistency proof, and verify names the fork.
    checked = run(capsys, "--home", backup, "verify", "--witness", witnesses[0].vkey, "--quorum", 1)
    assert checked.code == 3, checked.out + checked.err
    assert f"holds size {restored_size + 1} and refused the consistency proof" in checked.err
    assert "does not extend the one the witness cosigned (it was forked or rewritten)" in checked.err
    # Without asking them (no configuration), the fork's stored part is still only the backup's.
    (backup / "witnesses.yaml").unlink()
    offline = run(capsys, "--home", backup, "verify", "--witness", witnesses[0].vkey, "--quorum", 1)
    assert offline.code == 0, offline.err  # the fork's own entries verify; its witnessed part is the backup's
    assert f"latest witnessed checkpoint (size {restored_size})" in offline.out
    assert "2 later entries are NOT yet witnessed" in offline.out


def test_a_backup_carries_the_cosignatures_and_verifies_to_the_quorum_offline(
    witnessed: tuple[Ledger, list[Witness]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger, witnesses = witnessed
    assert ledger.add_identity(capsys).code == 0
    count, cosigned = sizes(ledger.home)
    export = tmp_path / "backup.export"
    assert run(capsys, "--home", ledger.home, "db", "backup", "--out", export).code == 0
    body, lines = split_note((tmp_path / "backup.export.checkpoint").read_text())
    assert body.splitlines()[1] == str(count)
    assert len(lines) == 1 + len(cosigned[count]) == 4  # the log's signature and three cosignatures

    offline = ["verify", "--export", export, "--checkpoint", tmp_path / "backup.export.checkpoint"]
    offline += ["--key", tmp_path / "log.vkey"]
    for w in witnesses:
        offline += ["--witness", w.vkey]
    passed = run(capsys, *offline, "--quorum", 3)
    assert passed.code == 0, passed.err
    assert "cosigned by 3 of 3 given witnesses (quorum 3)" in passed.out
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(ledger.home / "signing.key", restored / "signing.key")  # import re-signs with it
    imported = run(
        capsys, "--home", restored, "import", export, "--checkpoint", tmp_path / "backup.export.checkpoint"
    )
    assert imported.code == 0, imported.err
