"""The auditors' page: the three reports download, and an uploaded report or export gets the
verdict `rledger report verify` and `rledger verify --export` give, through the same functions."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cli.main import main
from tests.web.conftest import Web, signed_in

ERIN = "erin@example.com"


def _export(web: Web) -> tuple[bytes, str]:
    out = io.BytesIO()
    web.team.service.log.export(out)
    return out.getvalue(), web.team.service.log.latest_checkpoint()


def test_an_export_verifies_as_the_cli_says_and_a_tampered_one_fails_with_its_reason(
    web: Web, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web.team.submit("01-support-summarizer-1.1.yaml")
    client, csrf = signed_in(web, ERIN)
    export, note = _export(web)
    files = {"export": ("ledger.jsonl", export), "checkpoint": ("checkpoint.txt", note.encode())}
    answer = client.post("/auditors/verify-export", data={"csrf": csrf}, files=files)
    assert answer.status_code == 200, answer.text
    assert "OK: every entry was allowed" in answer.text
    (tmp_path / "ledger.jsonl").write_bytes(export)
    (tmp_path / "checkpoint.txt").write_text(note)
    key = web.team.service.log.verifier_key()
    capsys.readouterr()
    args = [
        "verify",
        "--export",
        str(tmp_path / "ledger.jsonl"),
        "--checkpoint",
        str(tmp_path / "checkpoint.txt"),
    ]
    assert main([*args, "--key", key]) == 0
    cli_lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    for line in cli_lines:  # the same lines, HTML-escaped
        assert line.replace("'", "&#39;") in answer.text, line

    tampered = export.replace(b"support-summarizer", b"support-summarizzer", 1)
    files = {"export": ("ledger.jsonl", tampered), "checkpoint": ("checkpoint.txt", note.encode())}
    failed = client.post("/auditors/verify-export", data={"csrf": csrf}, files=files)
    (tmp_path / "ledger.jsonl").write_bytes(tampered)
    capsys.readouterr()
    assert main([*args, "--key", key]) != 0
    cli_error = capsys.readouterr().err.strip().removeprefix("error: ")
    assert failed.status_code == 422 and "does not verify" in failed.text
    assert cli_error.replace("'", "&#39;") in failed.text


@pytest.mark.slow
def test_a_release_report_downloads_and_verifies_and_an_altered_one_does_not(web: Web) -> None:
    ref = web.team.submit("01-support-summarizer-1.1.yaml")
    client, csrf = signed_in(web, ERIN)
    page = client.get("/auditors").text
    assert "support-summarizer@1.1" in page
    pdf = client.get("/auditors/reports/release", params={"decision": web.team.service.resolve(ref).leaf_hex})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    answer = client.post(
        "/auditors/verify-report", data={"csrf": csrf}, files={"report": ("r.pdf", pdf.content)}
    )
    assert answer.status_code == 200 and "OK: r.pdf is a verified release report" in answer.text
    altered = pdf.content + b"\n% appended\n"
    failed = client.post("/auditors/verify-report", data={"csrf": csrf}, files={"report": ("r.pdf", altered)})
    assert failed.status_code == 422 and "r.pdf does not verify" in failed.text
    not_pdf = client.post(
        "/auditors/verify-report", data={"csrf": csrf}, files={"report": ("x.pdf", b"hello")}
    )
    assert not_pdf.status_code == 422 and "not a PDF" in not_pdf.text


def test_a_bad_report_request_is_a_clear_error_page_not_a_traceback(web: Web) -> None:
    client, _ = signed_in(web, ERIN)
    answer = client.get("/auditors/reports/release", params={"decision": "nope"})
    assert answer.status_code in (404, 422) and answer.headers["content-type"].startswith("text/html")
    assert "nope" in answer.text and 'role="alert"' in answer.text
    missing = client.get("/auditors/reports/audit", params={"from": "2026-13-01", "to": "2026-12-01"})
    assert missing.status_code == 422 and 'role="alert"' in missing.text


def _downgraded(data: bytes, key: str) -> bytes:
    """The report switched to evidence format 1 and rendered again from it (the attacker review's
    downgrade), as tests/reports/test_completeness.py forges it."""
    import json
    from dataclasses import replace

    from pypdf import PdfReader

    from reports.evidence import ATTACHMENT_NAME, FORMAT_1, parse_evidence, verify_evidence
    from reports.kinds import recompute
    from reports.rerender import rerender

    evidence = json.loads(PdfReader(io.BytesIO(data)).attachments[ATTACHMENT_NAME][0])
    evidence["format"] = FORMAT_1
    del evidence["range"]
    parsed = parse_evidence(json.dumps(evidence).encode())
    checked = verify_evidence(parsed, key)
    again = recompute(checked)
    final = replace(parsed, figures=again.figures)
    return rerender(replace(checked, evidence=final), again, final.to_bytes())


@pytest.mark.slow
def test_a_report_reads_the_same_on_the_page_as_on_the_command_line_and_format_1_is_refused(
    web: Web, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One description for every door (reports.outcome.describe): every line the CLI prints,
    completeness, links and the unsigned caveat included, is on the page, and nothing else is."""
    ref = web.team.submit("01-support-summarizer-1.1.yaml")
    client, csrf = signed_in(web, ERIN)
    pdf = client.get("/auditors/reports/release", params={"decision": web.team.service.resolve(ref).leaf_hex})
    key = web.team.service.log.verifier_key()
    report = tmp_path / "r.pdf"
    report.write_bytes(pdf.content)
    capsys.readouterr()
    assert main(["report", "verify", str(report), "--key", key]) == 0
    cli_lines = capsys.readouterr().out.splitlines()
    assert any("every entry from seq" in line for line in cli_lines)
    assert any("no action that runs anything" in line for line in cli_lines)
    assert any("it is unsigned" in line for line in cli_lines)
    answer = client.post(
        "/auditors/verify-report", data={"csrf": csrf}, files={"report": (str(report), pdf.content)}
    )
    assert answer.status_code == 200, answer.text
    for line in cli_lines:
        assert line.strip().replace("'", "&#39;") in answer.text, line
    from reports.outcome import describe
    from reports.verify import verify_report
    from web.outcomes import report_lines

    result = verify_report(pdf.content, key)
    assert report_lines(str(report), result) == describe(str(report), result) == cli_lines

    older = tmp_path / "v1.pdf"
    older.write_bytes(_downgraded(pdf.content, key))
    capsys.readouterr()
    assert main(["report", "verify", str(older), "--key", key]) != 0
    cli_error = capsys.readouterr().err.strip()
    assert "does not prove that no entry was left out" in cli_error, cli_error
    refused = client.post(
        "/auditors/verify-report", data={"csrf": csrf}, files={"report": (str(older), older.read_bytes())}
    )
    assert refused.status_code == 422 and cli_error.replace("'", "&#39;") in refused.text
    capsys.readouterr()
    args = ["report", "verify", str(older), "--key", key, "--accept-unproven-completeness"]
    assert main(args) == 0
    accepted = capsys.readouterr().out.splitlines()
    assert accepted == describe(
        str(older), verify_report(older.read_bytes(), key, accept_unproven_completeness=True)
    )
    assert accepted[-1].startswith("NOTE: its evidence is release-ledger/report-evidence/1")
