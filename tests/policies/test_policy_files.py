"""Policy files: the shipped default, the JSON Schema, errors that name the line, the case runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from policies.cases import run_cases
from policies.errors import PolicyFileError
from policies.loader import default_policy_path, load_default_policy, load_policy_text, policy_sha256
from policies.model import Policy

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def test_default_policy_loads_and_is_content_hashed() -> None:
    loaded = load_default_policy()
    assert loaded.policy.policy_id == "default"
    assert loaded.sha256 == policy_sha256(default_policy_path().read_text())
    weights = loaded.policy.scoring.weight_profiles["default"]
    # exact decimals, not floats: 35/30/20/15
    assert [str(weights.performance), str(weights.reliability), str(weights.cost), str(weights.safety)] == [
        "0.35",
        "0.30",
        "0.20",
        "0.15",
    ]


def test_committed_json_schema_matches_the_model() -> None:
    committed = json.loads((POLICIES / "schema.json").read_text())
    assert committed == Policy.model_json_schema(), "run `rledger policy schema > policies/schema.json`"


def test_shipped_cases_all_pass() -> None:
    results = run_cases(load_default_policy(), POLICIES / "cases")
    assert len(results) >= 19
    assert [r.name for r in results if not r.passed] == []


def _mutated(old: str, new: str) -> str:
    text = default_policy_path().read_text()
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "field", "line_text"),
    [
        (
            "default:   {performance: 0.35",
            "default:   {performance: 0.45",
            "scoring.weight_profiles.default",
            "default:   {performance: 0.45",
        ),
        ("low_below: 30", "low_below: eighty", "risk.low_below", "low_below: eighty"),
        ("timezone: Europe/Berlin", "timezone: Mars/Olympus", "freeze_windows.0.timezone", "Mars/Olympus"),
        ("      mode: canary\n", "      mode: rocket\n", "tiers.medium.rollout.mode", "mode: rocket"),
        (
            "  min_distinct_approvers: 1",
            "  min_distinct_approvers: 1\n  surprise: 1",
            "separation_of_duties.surprise",
            "surprise: 1",
        ),
    ],
)
def test_errors_name_the_line_and_the_field(old: str, new: str, field: str, line_text: str) -> None:
    text = _mutated(old, new)
    with pytest.raises(PolicyFileError) as caught:
        load_policy_text(text, source="p.yaml")
    assert caught.value.field == field
    assert caught.value.line is not None
    assert line_text in text.splitlines()[caught.value.line - 1]
    assert f"p.yaml:{caught.value.line}" in str(caught.value)


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(PolicyFileError) as caught:
        load_policy_text("policy_id: x\nversion: [1\n", source="p.yaml")
    assert caught.value.line is not None


def test_policy_check_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check", str(default_policy_path())]) == 0
    assert "OK: default v2" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(_mutated("medium_below: 70", "medium_below: 700"))
    assert main(["policy", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "risk.medium_below" in err and f"{bad}:" in err and "Traceback" not in err


def test_policy_test_cli_reports_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "test", str(default_policy_path()), "--cases", str(POLICIES / "cases")]) == 0
    out = capsys.readouterr().out
    assert "19 passed, 0 failed" in out or " passed, 0 failed" in out
    # Under a policy with a 10-point green margin, the seed's v1.4 case (green) must fail.
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(_mutated("green_margin: 5", "green_margin: 10"))
    assert main(["policy", "test", str(stricter), "--cases", str(POLICIES / "cases")]) == 1
    out = capsys.readouterr().out
    assert "FAIL  seed v1.4" in out
