"""The governance commands end to end through `rledger`, as a team would use them."""

from __future__ import annotations

import json
import stat
from datetime import datetime
from pathlib import Path

import pytest

from cli.main import main
from policies.loader import default_policy_path
from tests.cli.conftest import CLI_START
from tests.governance.test_controls_at_action import freeze_policy_text

DEMO = Path(__file__).resolve().parents[2] / "cli" / "demo"


class Cli:
    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.home = home
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = main(["--home", str(self.home), *args])
        out, err = self.capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert code == 0, err
        return out


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    run = Cli(tmp_path / "home", capsys)
    out = run.ok("init", "--origin", "cli.example/log", "--admin", "root@example.com")
    assert "PRIVATE+KEY" not in out
    keys = tmp_path / "keys"
    keys.mkdir()
    for name, roles in [
        ("alice", "submitter"),
        ("bob", "ml-lead"),
        ("carol", "compliance"),
        ("rita", "release-manager"),
    ]:
        run.ok("identity", "keygen", "--out", str(keys / name))
        run.ok(
            "identity",
            "add",
            f"{name}@example.com",
            "--roles",
            roles,
            "--public-key",
            str(keys / f"{name}.pub"),
            "--as",
            "root@example.com",
            "--key",
            str(run.home / "root@example.com.key"),
        )
    return run


def _as(cli: Cli, name: str) -> list[str]:
    return ["--as", f"{name}@example.com", "--key", str(cli.home.parent / "keys" / f"{name}.key")]


def test_init_writes_private_keys_0600(cli: Cli) -> None:
    for path in (
        cli.home / "signing.key",
        cli.home / "root@example.com.key",
        cli.home.parent / "keys" / "bob.key",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert (cli.home / "root@example.com.pub").read_text().strip()


def test_write_commands_demand_an_identity(cli: Cli) -> None:
    code, _, err = cli("decision", "submit", str(DEMO / "01-support-summarizer-1.1.yaml"))
    assert code != 0 and "--as NAME --key FILE" in err


def test_a_medium_release_through_its_whole_lifecycle(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cli.ok("decision", "submit", str(DEMO / "01-support-summarizer-1.1.yaml"), *_as(cli, "alice"))
    assert "index 103.95" in out and "tier medium" in out
    ref = "support-summarizer@1.1"

    code, out, _ = cli("gate", ref)
    assert code == 1 and "missing 1 more from role ml-lead" in out
    out = cli.ok("decision", "status", ref)
    assert "missing: 1 from role ml-lead (can approve: bob@example.com)" in out

    code, _, err = cli("approve", ref, *_as(cli, "alice"), "--role", "submitter")
    assert code == 1 and "requester may never approve" in err
    cli.ok("approve", ref, "--comment", "eval reviewed", *_as(cli, "bob"))

    code, out, _ = cli("gate", ref)
    assert code == 1 and "canary none" in out
    cli.ok("canary", "start", ref, *_as(cli, "alice"))
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"error_rate": 0.01, "p99_latency_ms": 1200, "live_index": 104.2}))
    code, _, err = cli("canary", "result", ref, "--pass", "--summary", str(good), *_as(cli, "alice"))
    assert code == 1 and "a result may be recorded from 2026-11-22T09:00:00Z" in err
    monkeypatch.setenv("RLEDGER_CLOCK", "2026-11-22T09:00:00Z")  # the 24-hour window has passed
    bad = tmp_path / "bad.yaml"
    bad.write_text("error_rate: 0.5\np99_latency_ms: 100\nlive_index: 104\n")
    code, _, err = cli("canary", "result", ref, "--pass", "--summary", str(bad), *_as(cli, "alice"))
    assert code == 1 and "error_rate 0.5 is above 0.02" in err
    cli.ok("canary", "result", ref, "--pass", "--summary", str(good), *_as(cli, "alice"))

    assert cli("gate", ref)[0] == 0
    gate_json = json.loads(cli("gate", ref, "--json")[1])
    assert gate_json["may_promote_now"] is True and gate_json["checks"]
    code, _, err = cli("promote", ref, *_as(cli, "alice"))
    assert code == 1 and "has none of the roles" in err  # requesting is not deciding
    cli.ok("promote", ref, *_as(cli, "rita"))
    out = cli.ok("decision", "status", ref, "--json")
    assert json.loads(out)["phase"] == "promoted"

    out = cli.ok("decision", "replay", ref)
    assert json.loads(out)["identical"] is True
    out = cli.ok("policy", "explain", ref)
    assert "scoring.bands: yellow" in out and "risk.escalations: medium" in out

    out = cli.ok("verify")
    assert "every entry was allowed" in out
    cli.ok("export", "--out", str(tmp_path / "e.jsonl"))
    (tmp_path / "c.txt").write_text(cli.ok("checkpoint"))
    key = cli.ok("key").strip()
    out = cli.ok(
        "verify", "--export", str(tmp_path / "e.jsonl"), "--checkpoint", str(tmp_path / "c.txt"), "--key", key
    )
    assert "every entry was allowed" in out


def test_policy_adopt_and_diff(cli: Cli, tmp_path: Path) -> None:
    cli.ok("decision", "submit", str(DEMO / "04-support-summarizer-1.4.yaml"), *_as(cli, "alice"))
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(
        default_policy_path()
        .read_text()
        .replace("green_margin: 5", "green_margin: 10")
        .replace('version: "2"', 'version: "3"')
    )
    out = cli.ok("policy", "diff", str(default_policy_path()), str(stricter))
    assert "support-summarizer@1.4" in out and "band: green -> yellow" in out
    code, _, err = cli("policy", "adopt", str(stricter), *_as(cli, "bob"))
    assert code == 1 and "is not an admin" in err
    out = cli.ok(
        "policy",
        "adopt",
        str(stricter),
        "--as",
        "root@example.com",
        "--key",
        str(cli.home / "root@example.com.key"),
    )
    assert "adopted default v3" in out


def test_gate_and_promote_say_no_once_a_freeze_is_adopted(cli: Cli, tmp_path: Path) -> None:
    """A freeze of the policy in force holds a release approved before it (format 3)."""
    cli.ok("decision", "submit", str(DEMO / "04-support-summarizer-1.4.yaml"), *_as(cli, "alice"))
    ref = "support-summarizer@1.4"
    assert cli("gate", ref)[0] == 0
    frozen = tmp_path / "frozen.yaml"
    frozen.write_text(freeze_policy_text(datetime.fromisoformat(CLI_START)))
    root = ["--as", "root@example.com", "--key", str(cli.home / "root@example.com.key")]
    cli.ok("policy", "adopt", str(frozen), *root)
    code, out, _ = cli("gate", ref)
    assert code == 1 and "freeze_windows.incident-freeze: frozen by the policy in force, default@3" in out
    code, _, err = cli("promote", ref, *_as(cli, "rita"))
    assert code == 1 and "freeze_windows.incident-freeze" in err


def test_revoked_people_sign_nothing(cli: Cli) -> None:
    cli.ok("decision", "submit", str(DEMO / "01-support-summarizer-1.1.yaml"), *_as(cli, "alice"))
    cli.ok(
        "identity",
        "revoke",
        "bob@example.com",
        "--as",
        "root@example.com",
        "--key",
        str(cli.home / "root@example.com.key"),
    )
    code, _, err = cli("approve", "support-summarizer@1.1", *_as(cli, "bob"))
    assert code == 1 and "revoked" in err


def test_a_key_readable_by_others_is_refused(cli: Cli) -> None:
    key = cli.home.parent / "keys" / "alice.key"
    key.chmod(0o644)
    code, _, err = cli("decision", "submit", str(DEMO / "01-support-summarizer-1.1.yaml"), *_as(cli, "alice"))
    assert code == 1 and "readable by others" in err


def test_approve_shows_what_is_signed_from_the_entry(cli: Cli) -> None:
    cli.ok("decision", "submit", str(DEMO / "01-support-summarizer-1.1.yaml"), *_as(cli, "alice"))
    out = cli.ok("approve", "support-summarizer@1.1", *_as(cli, "bob"))
    shown, recorded = out.splitlines()[:3], out.splitlines()[-1]
    assert shown[0].startswith("signing an approval of support-summarizer@1.1 (entry ")
    assert (
        "index 103.95, band " in shown[1] and "tier medium" in shown[1] and "failed gates: none" in shown[1]
    )
    assert "data confidential; rollback to 1.0 (rehearsed 2026-11-01T00:00:00Z)" in shown[2]
    assert recorded.startswith("recorded entry ") and "approve by bob@example.com as ml-lead" in recorded
