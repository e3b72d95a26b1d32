"""Issue 12's first acceptance line on the demo: three witnesses on loopback with quorum 2,
`rledger demo --witnesses FILE` has its appends cosigned, `verify --export ... --witness ...
--quorum 2` passes on its export, and the same export with one cosignature left fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.demo_cmd import demo_ledger_key
from ledger.tlog.witnessed import split_note
from tests.cli.test_cli import _clean_environment, run  # noqa: F401  (autouse: no RLEDGER_* leaks in)
from tests.witness.test_witnessed_log import NAMES, Witness, sizes, write_config


@pytest.fixture
def witnesses(tmp_path: Path) -> Iterator[list[Witness]]:
    vkey = tmp_path / "demo-log.vkey"
    vkey.write_text(demo_ledger_key().verifier_key + "\n")
    started: list[Witness] = []
    try:
        for name in NAMES:
            started.append(Witness(tmp_path / "witnesses", name, vkey))
        yield started
    finally:
        for w in started:
            w.stop()


def test_the_demo_with_witnesses_is_cosigned_and_its_export_verifies_to_the_quorum(
    witnesses: list[Witness], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    write_config(config_dir, witnesses, quorum=2)
    home = tmp_path / "demo"
    shown = run(capsys, "demo", "--dir", home, "--witnesses", config_dir / "witnesses.yaml")
    assert shown.code == 0, shown.err
    count, cosigned = sizes(home)
    assert (home / "witnesses.yaml").exists()
    assert f"checkpoint of size {count}: witnessed by 3 of 3 (quorum 2)" in shown.out
    assert "cosigned by 3 of 3 given witnesses (quorum 2)" in shown.out
    # Every checkpoint after the genesis one was sent as it was written, and cosigned by all.
    labels = sorted(f"{w.verifier.name}+{w.verifier.key_id.hex()}" for w in witnesses)
    assert len(cosigned) > 20
    assert all(sorted(names) == labels for names in cosigned.values())
    assert max(cosigned) == count

    export, checkpoint = tmp_path / "export.jsonl", tmp_path / "checkpoint.txt"
    assert run(capsys, "--home", home, "export", "--out", export).code == 0
    note = run(capsys, "--home", home, "checkpoint").out
    checkpoint.write_text(note)
    (tmp_path / "log.vkey").write_text(demo_ledger_key().verifier_key + "\n")
    offline = ["verify", "--export", export, "--checkpoint", checkpoint, "--key", tmp_path / "log.vkey"]
    for w in witnesses:
        offline += ["--witness", w.vkey]
    passed = run(capsys, *offline, "--quorum", 2)
    assert passed.code == 0, passed.err
    assert f"the checkpoint (size {count}) is cosigned by 3 of 3 given witnesses (quorum 2)" in passed.out

    body, lines = split_note(note)
    assert len(lines) == 4  # the log's signature, then w1, w2, w3
    checkpoint.write_text(body + "\n" + "\n".join(lines[:2]) + "\n")  # only one cosignature kept
    short = run(capsys, *offline, "--quorum", 2)
    assert short.code == 3
    kept = next(w for w in witnesses if w.verifier.matches(lines[1]))
    missing = ", ".join(w.verifier.name for w in witnesses if w is not kept)
    assert f"cosigned by 1 of 3 given witnesses (quorum 2); missing: {missing}" in short.err


def test_the_demo_without_witnesses_writes_no_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "demo"
    shown = run(capsys, "demo", "--dir", home)
    assert shown.code == 0, shown.err
    assert not (home / "witnesses.yaml").exists()
    assert "witnesses:" not in shown.out and "cosigned" not in shown.out
    assert sizes(home)[1] == {}  # no cosignatures: nothing was sent anywhere
