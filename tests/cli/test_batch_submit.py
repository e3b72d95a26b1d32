"""``rledger decision submit`` with many files, a directory or JSON Lines: checked first, then
one transaction (all or nothing), or one append per file with --keep-going; and --server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import api as api
from tests.cli.test_cli import (
    ALICE,
    DEMO_DIR,
    DEMO_FILES,
    Team,
    init_home,
    ledger_state,
    run,
    stored_checkpoints,
)
from tests.cli.test_cli import _clean_environment as _clean_environment
from tests.cli.test_remote_cmds import Remote
from tests.cli.test_remote_cmds import remote as remote
from tests.decisions.bad_inputs import valid_data
from tests.governance.conftest import team as team


@pytest.fixture
def home_team(tmp_path: Path) -> Team:
    return init_home(tmp_path / "home")


def _args(team: Team, *paths: object) -> list[object]:
    return ["--home", team.home, "decision", "submit", *paths, "--as", ALICE, "--key", team.alice_key]


def _decision(version: str, **override: Any) -> dict[str, Any]:
    data = valid_data()
    data.update(version=version, **override)
    return data


def _json_line(data: dict[str, Any]) -> str:
    return json.dumps(data, default=str)


def test_many_files_are_recorded_in_one_transaction(
    home_team: Team, capsys: pytest.CaptureFixture[str]
) -> None:
    before = ledger_state(home_team.home)
    result = run(capsys, *_args(home_team, DEMO_FILES[0], DEMO_FILES[3]))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith(f"{DEMO_FILES[0]}: recorded entry {before.size}, hash ")
    assert "support-summarizer@1.1: index 103.95 (104), band yellow" in lines[0]
    assert lines[1].startswith(f"{DEMO_FILES[3]}: recorded entry {before.size + 1}, hash ")
    assert lines[2] == f"recorded 2 decisions in one transaction (entries {before.size} to {before.size + 1})"
    after = ledger_state(home_team.home)
    assert (after.size, after.decisions) == (before.size + 2, 2)
    # one append: one new checkpoint, covering both
    assert sorted(stored_checkpoints(home_team.home))[-2:] == [before.size, before.size + 2]


def test_a_directory_gives_its_decision_files_in_name_order(
    home_team: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "decisions"
    folder.mkdir()
    for path in DEMO_FILES[:3]:
        shutil.copy(path, folder / path.name)
    (folder / "notes.txt").write_text("not a decision")
    (folder / "extra.json").write_text(_json_line(_decision("9.1")))
    result = run(capsys, *_args(home_team, folder))
    assert result.code == 0, result.err
    named = [line.split(": recorded")[0] for line in result.out.splitlines()[:-1]]
    assert named == [str(folder / n) for n in sorted([p.name for p in DEMO_FILES[:3]] + ["extra.json"])]
    assert ledger_state(home_team.home).decisions == 4
    empty = tmp_path / "empty"
    empty.mkdir()
    failed = run(capsys, *_args(home_team, empty))
    assert failed.code == 1 and "holds no *.yaml, *.yml or *.json decision files" in failed.err


def test_json_lines_one_decision_per_line(
    home_team: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join([_json_line(_decision("4.1")), "", _json_line(_decision("4.2"))]) + "\n")
    result = run(capsys, *_args(home_team, batch))
    assert result.code == 0, result.err
    assert result.out.startswith(f"{batch} line 1: recorded entry ")
    assert f"{batch} line 3: recorded entry " in result.out
    assert "fraud-scorer@4.2: index 103.95 (104), band yellow" in result.out
    assert ledger_state(home_team.home).decisions == 2


def test_one_bad_file_records_nothing_and_every_problem_is_named(
    home_team: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing_field = _decision("5.2")
    del missing_field["scores"]["safety"]
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "\n".join(
            [
                _json_line(_decision("5.1")),
                _json_line(missing_field),
                "{not json",
                _json_line(_decision("5.1")),
            ]
        )
    )
    not_mine = tmp_path / "bob.json"
    not_mine.write_text(_json_line(_decision("5.5", requested_by="bob@example.com")))
    before = ledger_state(home_team.home)
    result = run(capsys, *_args(home_team, DEMO_FILES[0], batch, not_mine, tmp_path / "absent.yaml"))
    assert result.code == 1
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines[0] == "error: 5 of 7 decisions refused; nothing was recorded"
    assert lines[1] == f"  {batch} line 2: scores.safety: Field required"
    assert lines[2].startswith(f"  {batch} line 3: ") and "not valid JSON" in lines[2]
    assert lines[3] == f"  {batch} line 4: fraud-scorer@5.1 is already in this batch, at {batch} line 1"
    assert lines[4].startswith(f"  {not_mine}: ") and "requested_by is 'bob@example.com'" in lines[4]
    assert (
        lines[5] == f"  {tmp_path / 'absent.yaml'}: decision file {tmp_path / 'absent.yaml'} does not exist"
    )
    assert ledger_state(home_team.home) == before


def test_a_decision_already_recorded_refuses_the_batch(
    home_team: Team, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, *_args(home_team, DEMO_FILES[0])).code == 0
    before = ledger_state(home_team.home)
    result = run(capsys, *_args(home_team, DEMO_FILES[1], DEMO_FILES[0]))
    assert result.code == 1
    assert f"{DEMO_FILES[0]}: a decision for support-summarizer@1.1 is already recorded" in result.err
    assert ledger_state(home_team.home) == before


def test_keep_going_records_each_alone_and_fails_naming_the_count(
    home_team: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((DEMO_DIR / DEMO_FILES[1].name).read_text().replace("safety:", "safe:", 1))
    before = ledger_state(home_team.home)
    result = run(capsys, *_args(home_team, DEMO_FILES[0], bad, DEMO_FILES[2], "--keep-going"))
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith(f"{DEMO_FILES[0]}: recorded entry {before.size}, hash ")
    assert lines[1].startswith(f"{bad}: FAILED: ")
    assert lines[2].startswith(f"{DEMO_FILES[2]}: recorded entry {before.size + 1}, hash ")
    assert lines[3] == "recorded 2 of 3 decisions; 1 failed"
    assert result.err.strip() == "error: 1 of 3 decisions failed (listed above); the others are recorded"
    after = ledger_state(home_team.home)
    assert after.decisions == 2
    assert sorted(stored_checkpoints(home_team.home))[-2:] == [before.size + 1, before.size + 2]  # one each
    again = run(capsys, *_args(home_team, DEMO_FILES[0], DEMO_FILES[3], "--keep-going"))
    assert again.code == 1 and "recorded 1 of 2 decisions; 1 failed" in again.out


def test_one_file_keeps_the_single_submit_output(home_team: Team, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, *_args(home_team, DEMO_FILES[0]))
    assert result.code == 0, result.err
    assert result.out.startswith("recorded entry ")
    assert result.out.splitlines()[1].startswith("support-summarizer@1.1: index 103.95 (104)")


def test_server_batch_is_one_request_and_all_or_nothing(remote: Remote) -> None:
    folder = remote.home / "batch"
    folder.mkdir()
    for path in DEMO_FILES[:3]:
        shutil.copy(path, folder / path.name)
    size = remote.api.team.store.size()
    result = remote.run("decision", "submit", str(folder), who=ALICE)
    assert result.code == 0, result.err
    assert remote.posts == ["/v1/decisions/batch"]
    assert f"{folder / DEMO_FILES[0].name}: recorded entry {size} on http://testserver" in result.out
    assert "recorded 3 decisions in one transaction on http://testserver" in result.out
    assert remote.api.team.store.size() == size + 3
    # the server refuses a decision already recorded: nothing new, and the file is named
    again = remote.run("decision", "submit", str(DEMO_FILES[3]), str(DEMO_FILES[0]), who=ALICE)
    assert again.code == 1
    assert (
        f"items[1] ({DEMO_FILES[0]}): a decision for support-summarizer@1.1 is already recorded" in again.err
    )
    assert remote.api.team.store.size() == size + 3
    kept = remote.run("decision", "submit", str(DEMO_FILES[3]), str(DEMO_FILES[0]), "--keep-going", who=ALICE)
    assert kept.code == 1 and "recorded 1 of 2 decisions; 1 failed" in kept.out
    assert remote.api.team.store.size() == size + 4
