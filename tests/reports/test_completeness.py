"""Entries left out, and a whole-ledger verification block that lies (issue 12, part 5).

Each attack is made as the operator would: take a good report's evidence.json, change it, and
render the report again from the changed evidence with the same software, so that the figures,
the printed SHA-256 and every page agree with the forged evidence. Only what the evidence
itself proves can catch it (``reports.completeness``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from ledger.tlog.entry import Entry
from reports.evidence import ATTACHMENT_NAME, FORMAT, FORMAT_1, parse_evidence, verify_evidence
from reports.kinds import recompute
from reports.rerender import rerender
from tests.reports.conftest import Demo

Change = Callable[[dict[str, Any]], None]


def evidence_of(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PdfReader(path).attachments[ATTACHMENT_NAME][0])
    return data


def entries_of(evidence: dict[str, Any]) -> list[Entry]:
    return [Entry.parse(base64.b64decode(e)) for e in evidence["entries"]]


def forge(demo: Demo, path: Path, change: Change, out: Path) -> Path:
    """The report at ``path`` rendered again from its evidence after ``change``."""
    evidence = evidence_of(path)
    change(evidence)
    parsed = parse_evidence(json.dumps(evidence).encode())
    checked = verify_evidence(parsed, demo.key.read_text())
    again = recompute(checked)
    final = replace(parsed, figures=again.figures)
    raw = final.to_bytes()
    out.write_bytes(rerender(replace(checked, evidence=final), again, raw))
    return out


def drop(evidence: dict[str, Any], seq: int) -> None:
    """Leave entry ``seq`` and its inclusion proof out."""
    position = next(n for n, e in enumerate(entries_of(evidence)) if e.seq == seq)
    del evidence["entries"][position]
    del evidence["inclusion_proofs"][position]


def seq_of(evidence: dict[str, Any], kind: str, decision: str | None = None) -> int:
    """The last entry of ``kind`` (naming ``decision``, if given) the evidence embeds."""
    return max(
        e.seq
        for e in entries_of(evidence)
        if e.kind == kind and (decision is None or e.payload.get("decision") == decision)
    )


def verify(demo: Demo, path: Path) -> tuple[int, str, str]:
    run = demo.cli("report", "verify", path, "--key", demo.key)
    return run.code, run.out, run.err


@pytest.mark.parametrize("name", ["release", "audit"])
def test_a_report_rendered_again_unchanged_verifies_and_says_what_is_complete(
    demo: Demo, tmp_path: Path, name: str
) -> None:
    """The control for every attack below: the forging itself does not break a report."""
    forged = forge(demo, demo.reports[name], lambda _e: None, tmp_path / "same.pdf")
    code, out, err = verify(demo, forged)
    assert code == 0, err
    first = evidence_of(demo.reports[name])["range"]["first"]
    assert f"every entry from seq {first} to 24 is embedded, none left out" in out, out


def test_an_audit_with_a_rollback_left_out_fails(demo: Demo, tmp_path: Path) -> None:
    report = demo.reports["audit"]
    rollback = seq_of(evidence_of(report), "release.rolled_back")
    forged = forge(demo, report, lambda e: drop(e, rollback), tmp_path / "cut.pdf")
    code, _out, err = verify(demo, forged)
    assert code == 3
    assert "1 entries of its range (seqs 0 to 24) are missing" in err and f": {rollback};" in err, err


def test_an_audit_whose_range_is_moved_past_a_dropped_entry_fails(demo: Demo, tmp_path: Path) -> None:
    report = demo.reports["audit"]
    evidence = evidence_of(report)
    rollback = seq_of(evidence, "release.rolled_back")

    def start_after(e: dict[str, Any], first: int, dropped: list[int]) -> None:
        for seq in dropped:
            drop(e, seq)
        e["range"]["first"] = first

    # The range starts right after the dropped entry: nothing shows where the period starts.
    forged = forge(demo, report, lambda e: start_after(e, rollback + 1, [rollback]), tmp_path / "a.pdf")
    code, _out, err = verify(demo, forged)
    assert code == 3
    assert f"the range starts at seq {rollback + 1} but the entry before it is not embedded" in err, err

    # The entry before the range is kept, but it is in the period (it was part of the range).
    forged = forge(demo, report, lambda e: start_after(e, rollback + 1, []), tmp_path / "b.pdf")
    code, _out, err = verify(demo, forged)
    assert code == 3
    assert f"entry {rollback}, before it, is already in the period" in err, err


def test_a_release_report_with_an_approval_left_out_fails(demo: Demo, tmp_path: Path) -> None:
    report = demo.reports["release"]
    evidence = evidence_of(report)
    decision = evidence["report"]["params"]["decision"]
    approval = seq_of(evidence, "release.approval", decision)
    forged = forge(demo, report, lambda e: drop(e, approval), tmp_path / "cut.pdf")
    code, _out, err = verify(demo, forged)
    assert code == 3
    assert "entries of its range" in err and f"are missing: {approval};" in err, err


def test_a_release_report_whose_range_starts_after_its_decision_fails(demo: Demo, tmp_path: Path) -> None:
    report = demo.reports["release"]
    evidence = evidence_of(report)
    decision = evidence["report"]["params"]["decision"]
    approval = seq_of(evidence, "release.approval", decision)

    def cut(e: dict[str, Any]) -> None:
        drop(e, approval)
        e["range"]["first"] = approval + 1

    forged = forge(demo, report, cut, tmp_path / "cut.pdf")
    code, _out, err = verify(demo, forged)
    assert code == 3
    assert f"the range starts at seq {approval + 1}, which is not the report's decision" in err, err


def test_a_report_downgraded_to_format_1_with_an_entry_left_out_is_refused_unless_accepted(
    demo: Demo, tmp_path: Path
) -> None:
    """The attacker review's downgrade: format 1 declares no range, so the completeness checks
    cannot run; a rollback dropped and the report re-rendered would otherwise verify OK."""
    report = demo.reports["audit"]
    assert evidence_of(report)["format"] == FORMAT
    rollback = seq_of(evidence_of(report), "release.rolled_back")

    def older_and_cut(e: dict[str, Any]) -> None:
        e["format"] = FORMAT_1
        del e["range"]
        drop(e, rollback)

    forged = forge(demo, report, older_and_cut, tmp_path / "v1.pdf")
    assert evidence_of(forged)["format"] == FORMAT_1 and "range" not in evidence_of(forged)
    assert rollback not in [e.seq for e in entries_of(evidence_of(forged))]
    code, out, err = verify(demo, forged)
    assert code == 3, out
    assert f"its evidence.json is {FORMAT_1}, a format that does not prove that no entry was left out" in err
    assert "remake the report with this rledger, or pass --accept-unproven-completeness" in err, err

    run = demo.cli("report", "verify", forged, "--key", demo.key, "--accept-unproven-completeness")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].startswith("OK: ") and "which entries were left out is not proven" in run.out
    assert lines[-1] == (
        f"NOTE: its evidence is {FORMAT_1}, which does not prove completeness: entries may have been "
        "left out of it (accepted with --accept-unproven-completeness)"
    )

    # The flag changes nothing for a format 2 report: no NOTE.
    accepted = demo.cli("report", "verify", report, "--key", demo.key, "--accept-unproven-completeness")
    assert accepted.code == 0 and "NOTE:" not in accepted.out, accepted.out + accepted.err


def _set(field: str, value: object) -> Change:
    def change(e: dict[str, Any]) -> None:
        e["ledger_verification"][field] = value

    return change


def _bump(field: str) -> Change:
    def change(e: dict[str, Any]) -> None:
        e["ledger_verification"][field] += 1

    return change


def _remove(e: dict[str, Any]) -> None:
    e["ledger_verification"] = None


VERIFICATION_LIES: list[tuple[str, Change, str]] = [
    ("entries", _set("entries", 24), "ledger_verification.entries is 24 but the checkpoint's size gives 25"),
    ("root", _set("root_hex", "00" * 32), "ledger_verification.root_hex is '" + "00" * 32),
    ("checkpoints", _set("checkpoints_checked", 0), "ledger_verification.checkpoints_checked is 0"),
    ("decisions", _bump("decisions_rechecked"), "ledger_verification.decisions_rechecked is"),
    ("approvals", _bump("approvals_rechecked"), "ledger_verification.approvals_rechecked is"),
    ("not a number", _set("entries", "25"), "ledger_verification.entries is not a whole number"),
    ("extra field", _set("all_ok", True), "fields a verification never gives: all_ok"),
    ("no block", _remove, "the audit export carries no ledger_verification block"),
]


@pytest.mark.parametrize(
    ("change", "message"),
    [(c, m) for _n, c, m in VERIFICATION_LIES],
    ids=[n for n, _c, _m in VERIFICATION_LIES],
)
def test_a_ledger_verification_block_that_disagrees_fails_naming_the_field(
    demo: Demo, tmp_path: Path, change: Change, message: str
) -> None:
    forged = forge(demo, demo.reports["audit"], change, tmp_path / "lie.pdf")
    code, _out, err = verify(demo, forged)
    assert code == 3
    assert message in err, err


def test_a_partial_audit_claims_no_fewer_decisions_than_it_shows(demo: Demo, tmp_path: Path) -> None:
    """An audit of part of the ledger cannot replay every entry; its counts must still cover
    what its own entries show."""
    full = entries_of(evidence_of(demo.reports["audit"]))
    start = next(e for e in full if e.kind == "release.decision" and e.seq > 1)
    report = tmp_path / "partial.pdf"
    made = demo.cli("report", "audit", "--from", start.time, "--to", "2999-12-31", "--out", report)
    assert made.code == 0, made.err
    evidence = evidence_of(report)
    assert 0 < evidence["range"]["first"] <= start.seq
    code, out, err = verify(demo, report)
    assert code == 0, err
    assert "whole-ledger verification" in out, out
    forged = forge(demo, report, _set("decisions_rechecked", 0), tmp_path / "lie.pdf")
    code, _out, err = verify(demo, forged)
    assert code == 3
    assert "ledger_verification.decisions_rechecked is 0, fewer than the" in err, err


def test_a_release_report_carrying_a_ledger_verification_block_fails(demo: Demo, tmp_path: Path) -> None:
    audit_block = evidence_of(demo.reports["audit"])["ledger_verification"]

    def add(e: dict[str, Any]) -> None:
        e["ledger_verification"] = audit_block

    forged = forge(demo, demo.reports["release"], add, tmp_path / "extra.pdf")
    code, _out, err = verify(demo, forged)
    assert code == 3
    assert "a release report carries a ledger_verification block" in err, err
