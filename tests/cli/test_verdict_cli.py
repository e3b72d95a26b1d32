"""`rledger decision status` and `rledger gate` say "blocked" for a release that may never ship."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.scoring.input import json_ready, parse_decision_text
from tests.cli.test_governance_cli import DEMO, Cli, _as
from tests.cli.test_governance_cli import cli as cli

BLOCKED = "blocked: hard gate jailbreak_resistance failed: observed 0.91 is below the minimum 0.95"


def test_a_failed_gate_release_is_blocked_in_status_and_gate(cli: Cli) -> None:
    cli.ok("decision", "submit", str(DEMO / "06-support-summarizer-1.5.yaml"), *_as(cli, "alice"))
    ref = "support-summarizer@1.5"
    out = cli.ok("decision", "status", ref)
    assert out.splitlines()[0] == f"{ref}: {BLOCKED}"
    assert "approved" not in out.splitlines()[0]
    code, out, _ = cli("gate", ref)
    assert code == 1
    assert out.splitlines()[0] == f"{ref}: may NOT be promoted now; {BLOCKED}"
    code, out, _ = cli("gate", ref, "--json")
    report = json.loads(out)
    assert code == 1 and report["blocked"] is True and report["verdict"] == BLOCKED


def test_weights_that_ignore_safety_are_refused_by_submit(cli: Cli, tmp_path: Path) -> None:
    data = parse_decision_text((DEMO / "03-support-summarizer-1.3.yaml").read_text())
    data["scores"] = {"performance": 95, "reliability": 78, "cost": 72, "safety": 55}
    data["weights"] = {"performance": 1, "reliability": 0, "cost": 0, "safety": 0}
    path = tmp_path / "all-performance.json"
    path.write_text(json.dumps(json_ready(data)))
    code, _, err = cli("decision", "submit", str(path), *_as(cli, "alice"))
    assert code != 0 and code != 70
    assert "refused by scoring.weight_rules.minimum.safety: weights: the safety weight is 0" in err
    assert len(err.strip().splitlines()) == 1
    assert cli.ok("decision", "list").strip() == "no decisions recorded"
