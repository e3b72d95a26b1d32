"""Write the example files that a plain install carries, so the README runs without a checkout.

``rledger examples --out DIR`` writes::

    DIR/default.yaml          the shipped policy, byte for byte (policies/default.yaml)
    DIR/cases/*.yaml          its expected-outcome cases (policies/cases), pointing at ...
    DIR/decisions/*.yaml      ... the decision files they use (the demo's, cli/demo)
    DIR/release.yaml          the README's decision file, dated relative to the clock
    DIR/next-release.json     the next version as JSON, for the README's ``curl`` example
    DIR/canary.yaml           a canary summary that meets the medium tier's criteria
    DIR/terms.yaml            contract terms for ``report scorecard --terms``

so that ``rledger policy test DIR/default.yaml --cases DIR/cases`` runs as it does in a checkout.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

from ledger.errors import InputError

# Inside the policy's limits on any day: the strictest tier (high) wants a rehearsal at most
# 14 days old; an evaluation a day old is what a release pipeline typically records.
REHEARSED_DAYS_BEFORE = 7
EVALUATED_DAYS_BEFORE = 1
_CASE_DECISION_FILE = re.compile(r"^(decision_file:\s*)(\S+)\s*$", re.M)


@dataclass(frozen=True)
class Written:
    out: Path
    files: list[Path]


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def release_yaml(now: datetime) -> str:
    """The README's decision file, rehearsed 7 and evaluated 1 day(s) before ``now`` (aware)."""
    template = Template((resources.files("cli.examples") / "release.yaml").read_text("utf-8"))
    return template.substitute(
        rehearsed_at=_rfc3339(now - timedelta(days=REHEARSED_DAYS_BEFORE)),
        evaluated_at=_rfc3339(now - timedelta(days=EVALUATED_DAYS_BEFORE)),
    )


def next_release_json(now: datetime) -> str:
    """support-summarizer 1.2 against 1.1 as its baseline, as JSON (for ``POST /v1/decisions``)."""
    data = {
        "model": "support-summarizer",
        "version": "1.2",
        "artifact_digest": "sha256:" + "02" * 32,
        "workload": "customer-support",
        "weights": "default",
        "baseline": {
            "version": "1.1",
            "scores": {"performance": 86, "reliability": 82, "cost": 68, "safety": 84},
        },
        "scores": {"performance": 89, "reliability": 84, "cost": 66, "safety": 86},
        "gates": [
            {"name": "jailbreak_resistance", "observed": "0.97", "min": "0.95"},
            {"name": "severe_hallucination_rate", "observed": "0.003", "max": "0.01"},
        ],
        "risk": {
            "change_size": 30,
            "regression_surface": 30,
            "test_coverage": 88,
            "incident_history": 10,
            "observability_gaps": 20,
        },
        "data_sensitivity": {"classification": "confidential", "categories": ["pii"]},
        "rollback": {
            "target_version": "1.1",
            "mechanism": "alias-swap",
            "runbook": "https://runbooks.example/s",
            "rehearsed_at": _rfc3339(now - timedelta(days=REHEARSED_DAYS_BEFORE)),
        },
        "evidence": {
            "eval_suite": "support-v7",
            "evaluated_at": _rfc3339(now - timedelta(days=EVALUATED_DAYS_BEFORE)),
        },
        "requested_by": "alice@example.com",
    }
    return json.dumps(data, indent=2) + "\n"


def _yaml_files(folder: Traversable) -> list[Traversable]:
    return sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)


def _case_text(text: str, name: str, demo_names: set[str]) -> str:
    """A shipped case with its ``decision_file`` pointed at ``../decisions/``."""

    def repoint(match: re.Match[str]) -> str:
        target = Path(match.group(2).strip("'\"")).name
        if target not in demo_names:  # a packaging fault: the case names a file we do not ship
            raise RuntimeError(f"policy case {name} uses {match.group(2)}, which is not shipped")
        return f"{match.group(1)}../decisions/{target}"

    return _CASE_DECISION_FILE.sub(repoint, text)


def write_examples(out: Path, now: datetime) -> Written:
    """Write the example files into ``out`` (created if missing; ``now`` is an aware datetime).

    Raises InputError, naming the file, if any of them already exists: nothing is overwritten,
    and nothing is written at all in that case.
    """
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    policies = resources.files("policies")
    demo = _yaml_files(resources.files("cli.demo"))
    cases = _yaml_files(policies / "cases")
    examples = resources.files("cli.examples")
    demo_names = {f.name for f in demo}
    planned: dict[Path, str] = {
        out / "default.yaml": (policies / "default.yaml").read_text("utf-8"),
        out / "release.yaml": release_yaml(now),
        out / "next-release.json": next_release_json(now),
        out / "canary.yaml": (examples / "canary.yaml").read_text("utf-8"),
        out / "terms.yaml": (examples / "terms.yaml").read_text("utf-8"),
    }
    for case in cases:
        planned[out / "cases" / case.name] = _case_text(case.read_text("utf-8"), case.name, demo_names)
    for decision in demo:
        planned[out / "decisions" / decision.name] = decision.read_text("utf-8")
    existing = [path for path in planned if path.exists()]
    if existing:
        raise InputError(f"{existing[0]} already exists; give --out an empty or new directory")
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Written(out, list(planned))
