"""The commands the README shows, used as it shows them (issue 9, section 5): `token create`
inside `$(...)`, `import` into a new home, and `examples` after a plain install."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli.examples.write import write_examples
from cli.main import main
from tests.conftest import PROJECT_ROOT

ROOT = "root@example.com"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    home = tmp_path / "home"
    assert (
        _run(capsys, "--home", str(home), "init", "--origin", "readme.example/log", "--admin", ROOT)[0] == 0
    )
    return home


def test_token_create_prints_only_the_token_on_stdout(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    admin = ("--as", ROOT, "--key", str(home / f"{ROOT}.key"))
    code, out, err = _run(capsys, "--home", str(home), "token", "create", ROOT, "--expires", "30d", *admin)
    assert code == 0, err
    assert out.count("\n") == 1  # `TOKEN=$(rledger token create ...)` captures exactly the token
    token = out.strip()
    assert token and " " not in token
    assert "recorded entry 3: token " in err and "the token (shown only now) is on stdout" in err
    assert token not in err


def test_import_into_a_new_home_says_to_copy_the_signing_key(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = tmp_path / "backup.jsonl"
    assert _run(capsys, "--home", str(home), "db", "backup", "--out", str(backup))[0] == 0
    restored = tmp_path / "restored"
    args = ("import", str(backup), "--checkpoint", f"{backup}.checkpoint")
    code, out, err = _run(capsys, "--home", str(restored), *args)
    assert (code, out) == (1, "")
    assert err == (
        "error: import needs the ledger's own signing key (the signing.key of the home that made the "
        f"backup): copy it to {restored / 'signing.key'} with mode 0600, or set RLEDGER_SIGNING_KEY\n"
    )
    assert not (restored / "ledger.db").exists()
    # what the README shows: copy the key, then import
    restored.mkdir(mode=0o700)
    shutil.copy2(home / "signing.key", restored / "signing.key")
    code, out, err = _run(capsys, "--home", str(restored), *args)
    assert code == 0, err
    assert out.startswith("imported 3 entries of readme.example/log")


def test_examples_write_the_shipped_policy_and_runnable_cases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RLEDGER_CLOCK", "2027-06-15T12:00:00Z")
    out_dir = tmp_path / "ex"
    code, out, err = _run(capsys, "examples", "--out", str(out_dir))
    assert code == 0, err
    shipped = (PROJECT_ROOT / "policies" / "default.yaml").read_bytes()
    assert (out_dir / "default.yaml").read_bytes() == shipped
    release = (out_dir / "release.yaml").read_text()
    # dated relative to the clock it ran on: rehearsed 7 days, evaluated 1 day before
    assert 'rehearsed_at: "2027-06-08T12:00:00Z"' in release
    assert 'evaluated_at: "2027-06-14T12:00:00Z"' in release
    assert "$" not in release
    code, out, err = _run(
        capsys, "policy", "test", str(out_dir / "default.yaml"), "--cases", str(out_dir / "cases")
    )
    assert code == 0, out + err
    assert "0 failed" in out
    for name in ("canary.yaml", "terms.yaml", "next-release.json"):
        assert (out_dir / name).is_file()


def test_examples_never_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "canary.yaml").write_text("mine\n")
    code, out, err = _run(capsys, "examples", "--out", str(tmp_path))
    assert (code, out) == (1, "")
    assert err == f"error: {tmp_path / 'canary.yaml'} already exists; give --out an empty or new directory\n"
    assert (tmp_path / "canary.yaml").read_text() == "mine\n"
    assert not (tmp_path / "default.yaml").exists()


def test_the_example_release_submits_under_the_shipped_policy(tmp_path: Path) -> None:
    """release.yaml and next-release.json are valid decisions scored as the README says."""
    from datetime import UTC, datetime

    from ledger.scoring.input import load_decision_file, parse_request
    from policies.evaluate import evaluate_request
    from policies.loader import load_default_policy

    write_examples(tmp_path, datetime(2027, 6, 15, 12, tzinfo=UTC))
    policy = load_default_policy()
    first = evaluate_request(policy, parse_request(load_decision_file(tmp_path / "release.yaml"))).outcome()
    assert (first["index"], first["band"], first["tier"]) == ("103.95", "yellow", "medium")
    second = evaluate_request(
        policy, parse_request(load_decision_file(tmp_path / "next-release.json"))
    ).outcome()
    assert second["band"] != "red"
