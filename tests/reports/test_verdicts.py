"""Reports print the verdicts and caveats status gives, and the scorecard compares like with like.

Built on a small team ledger (tests/governance/conftest.py) and the reports' pure contexts, so
no PDF is rendered here; tests/reports/test_pages.py renders.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from governance.verdict import AUTO_APPROVED
from reports import audit, release, scorecard, source
from reports.contract import ContractTerms
from reports.errors import ReportInputError
from reports.facts import LedgerFacts, fold
from reports.generate import prepare_release, prepare_scorecard
from tests.governance.conftest import Team
from tests.governance.conftest import team as team

BLOCKED = "blocked: hard gate jailbreak_resistance failed: observed 0.91 is below the minimum 0.95"
# Against baseline 80/78/72/85: 115.4 under these custom weights, 103.5 under the default profile.
CUSTOM_SCORES = {"performance": 99, "reliability": 70, "cost": 72, "safety": 80}
CUSTOM_WEIGHTS = {"performance": "0.85", "reliability": 0, "cost": 0, "safety": "0.15"}


def _facts(team: Team) -> tuple[LedgerFacts, Any]:
    snapshot = source.take_snapshot(team.service)
    return fold(snapshot.entries), snapshot.checkpoint


@pytest.fixture
def mixed(team: Team) -> Team:
    """support-summarizer 1.1 and 1.4 (default profile), 1.2 (regulated), 1.5 (failed gate),
    1.6 (custom weights: recorded 115.4 green, the highest; escalated to the high tier)."""
    team.submit("01-support-summarizer-1.1.yaml")
    team.submit("02-support-summarizer-1.2.yaml", weights="regulated")
    team.submit("04-support-summarizer-1.4.yaml")
    team.submit("06-support-summarizer-1.5.yaml")
    team.submit("03-support-summarizer-1.3.yaml", version="1.6", scores=CUSTOM_SCORES, weights=CUSTOM_WEIGHTS)
    return team


def _rows(ctx: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["version"]: r for r in ctx["rows"]}


def test_scorecard_recomputes_every_index_under_one_profile(mixed: Team) -> None:
    facts, checkpoint = _facts(mixed)
    ctx = scorecard.context(facts, checkpoint, {"model": "support-summarizer"})
    assert ctx["weights"]["profile"] == "default"  # the profile most of them used
    rows = _rows(ctx)
    assert {v: (r["index"], r["band"], r["recomputed"]) for v, r in rows.items()} == {
        "1.1": ("103.95", "yellow", False),
        "1.2": ("102.85", "yellow", True),  # recorded 101.25 under regulated
        "1.4": ("109.25", "green", False),
        "1.5": ("107.7", "red", False),
        "1.6": ("103.5", "yellow", True),  # recorded 115.4, green, under its own weights
    }
    assert rows["1.2"]["recorded"].startswith("101.25 (yellow) under profile regulated")
    assert rows["1.6"]["recorded"].startswith("115.4 (green) under custom weights (performance 0.85")
    assert [r["version"] for r in ctx["recomputed"]] == ["1.2", "1.6"]
    # The pinned version is chosen under that one profile: not 1.6, whose 115.4 came from its own weights.
    assert ctx["recommended"]["version"] == "1.4"
    assert ctx["terms"]["pinned_version"] == "1.4"
    assert rows["1.5"]["status"] == BLOCKED
    assert [c["version"] for c in ctx["caveats"]] == ["1.6", "1.6"]
    assert ctx["caveats"][0]["text"].startswith("custom weights (performance 0.85, reliability 0")
    figures = {f.name: f.value for f in scorecard.figures(ctx)}
    assert figures["weights.profile"] == "default" and figures["1.6.index"] == "103.5"


def test_scorecard_under_a_stated_profile_and_an_unknown_one(mixed: Team) -> None:
    facts, checkpoint = _facts(mixed)
    ctx = scorecard.context(facts, checkpoint, {"model": "support-summarizer", "profile": "regulated"})
    rows = _rows(ctx)
    assert ctx["weights"]["profile"] == "regulated" and ctx["weights"]["safety"] == "0.35"
    assert (rows["1.4"]["index"], rows["1.4"]["recomputed"]) == ("108.75", True)
    assert (rows["1.2"]["index"], rows["1.2"]["recomputed"]) == ("101.25", False)
    assert rows["1.6"]["index"] == "101"
    with pytest.raises(ReportInputError, match="weight profile 'cautious' is not in policy default"):
        scorecard.context(facts, checkpoint, {"model": "support-summarizer", "profile": "cautious"})


def test_release_and_audit_say_blocked_auto_approved_and_custom_weights(mixed: Team) -> None:
    mixed.submit("03-support-summarizer-1.3.yaml")
    facts, checkpoint = _facts(mixed)
    leaf = {d.ref: d.leaf_hex for d in facts.decisions.values()}
    failed = release.context(facts, checkpoint, {"decision": leaf["support-summarizer@1.5"]})
    assert (failed["decision"]["verdict"], failed["decision"]["blocked"]) == (BLOCKED, True)
    assert ("verdict", BLOCKED) in {(f.name, f.value) for f in release.figures(failed)}
    low = release.context(facts, checkpoint, {"decision": leaf["support-summarizer@1.3"]})
    assert low["decision"]["verdict"] == f"{AUTO_APPROVED}, not yet promoted"
    custom = release.context(facts, checkpoint, {"decision": leaf["support-summarizer@1.6"]})
    assert custom["caveats"][0].startswith("custom weights (performance 0.85")
    assert "raised the tier from low to high" in custom["caveats"][1]

    ctx = audit.context(facts, checkpoint, {"from": "2026-01-01", "to": "2027-12-31"}, {})
    items = {(i["decision"], i["item"]) for i in ctx["open_items"]}
    assert ("support-summarizer@1.5", BLOCKED) in items
    assert not any("approved" in text for ref, text in items if ref == "support-summarizer@1.5")
    details = {d["ref"]: d for d in ctx["decisions"]}
    assert details["support-summarizer@1.5"]["phase"] == BLOCKED
    assert details["support-summarizer@1.6"]["caveats"][0].startswith("custom weights")


def _text(html: str) -> str:
    """The HTML as a reader sees it: tags dropped, whitespace collapsed, entities left as they are."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_release_cover_and_the_scorecard_legend_as_rendered(mixed: Team) -> None:
    cover = _text(prepare_release(mixed.service, "support-summarizer@1.5").job.html)
    assert f"Verdict: {BLOCKED} ." in cover
    assert "approved, not yet promoted" not in cover
    sheet = _text(prepare_scorecard(mixed.service, "support-summarizer", [], ContractTerms()).job.html)
    assert "under one set of weights, the default profile of policy default v2" in sheet
    assert "v1.6, recorded 115.4 (green) under custom weights" in sheet
    assert "shall serve version v1.4" in sheet
