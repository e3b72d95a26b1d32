"""The three reports from the demo ledger: contents, verification, tampering, determinism, bad input."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from ledger.tlog.note import Ed25519Signer
from reports.evidence import ATTACHMENT_NAME, parse_evidence
from reports.verify import normalize
from tests.reports.conftest import REPORT_ARGS, Demo

EXIT_FAILED = 3


def _text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


def _evidence(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(PdfReader(path).attachments[ATTACHMENT_NAME][0])
    return data


@pytest.mark.parametrize("name", list(REPORT_ARGS))
def test_each_untouched_report_verifies(demo: Demo, name: str) -> None:
    run = demo.cli("report", "verify", demo.reports[name], "--key", demo.key)
    assert run.code == 0, run.err
    assert f"verified {name} report" in run.out
    assert "figures recomputed from the entries and found in the text" in run.out


def test_release_report_prints_every_decision_field(demo: Demo) -> None:
    text = normalize(_text(demo.reports["release"]))
    evidence = parse_evidence(PdfReader(demo.reports["release"]).attachments[ATTACHMENT_NAME][0])
    size, root = evidence.checkpoint.split("\n")[1:3]
    wanted = [
        "103.95",  # index
        "yellow",  # band
        "medium",  # tier (escalated from low)
        "26.25",  # risk score
        "confidentialdatawithpiiisatleastmediumtier",  # escalation reason
        "default:performance0.35,reliability0.3,cost0.2,safety0.15",  # weights and profile
        "performance8086+60.35+2.1",  # raw subscores: baseline, candidate, delta, weight, contribution
        "jailbreak_resistance",
        "≥0.95",
        "0.97",
        "severe_hallucination_rate",
        "bob@example.com",  # approver
        "ml-lead",
        "verified",
        "confidential",  # data classification
        "pii",
        "alias-swap",  # rollback path
        "https://runbooks.example/support-summarizer",
        "2026-11-0100:00:00UTC",  # last rehearsed
        "default",
        "scoring.bands",  # a rule that fired
        "sha256:ababababab",  # evidence reference digest
        "Checkpointtreesize" + size,
        root,
    ]
    for item in wanted:
        assert item in text, item


def test_audit_and_scorecard_print_key_figures(demo: Demo) -> None:
    audit = normalize(_text(demo.reports["audit"]))
    for item in [
        "support-summarizer@1.1",
        "103.95",
        "claims-assistant@2.0",
        "carol@example.com",
        "Break-glass",
    ]:
        assert item in audit, item
    assert "Decisionsrecordedintheperiod6" in audit
    scorecard = normalize(_text(demo.reports["scorecard"]))
    for item in [
        "Baselinev1.080787285100",
        "Candidatev1.186826884103.95",
        "Versionpinning",
        "Righttobenchmark",
    ]:
        assert item in scorecard, item
    assert "Candidatev1.5gatesFAILED:jailbreak_resistance" in scorecard


def test_pdf_is_pdfa3b_with_evidence_attached_and_fonts_embedded(demo: Demo) -> None:
    reader = PdfReader(demo.reports["release"])
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp or "<pdfaid:part>3</pdfaid:part>" in xmp
    assert "B" in re.findall(r'pdfaid:conformance="?([AB])', xmp)
    spec = root["/AF"][0].get_object()
    assert spec["/F"] == ATTACHMENT_NAME and spec["/AFRelationship"] == "/Data"
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            program = descriptor["/FontFile2"].get_object().get_data()  # embedded TrueType
            assert b"Liberation" in program or "Liberation".encode("utf-16-be") in program
    # Only the families the stylesheet declares from reports/fonts; no system font crept in.
    assert fonts <= {"RL-Sans", "RL-Sans-Bold", "RL-Sans-Italic", "RL-Mono", "RL-Mono-Bold"}, fonts
    ev = parse_evidence(reader.attachments[ATTACHMENT_NAME][0])
    last = ev.entries[-1]
    time = json.loads(last)["time"]
    assert reader.metadata is not None
    assert reader.metadata["/CreationDate"] == "D:" + re.sub(r"[-:T]", "", time[:19]) + "Z"


@pytest.mark.parametrize("name", ["release", "audit"])
def test_same_command_same_bytes(demo: Demo, tmp_path: Path, name: str) -> None:
    again = tmp_path / f"{name}.pdf"
    run = demo.cli(*REPORT_ARGS[name], "--out", again)
    assert run.code == 0, run.err
    assert again.read_bytes() == demo.reports[name].read_bytes()


def _reembed(source: Path, target: Path, evidence: bytes | None) -> None:
    writer = PdfWriter()
    writer.append(PdfReader(source))  # pages only: the attachment is dropped
    if evidence is not None:
        writer.add_attachment(ATTACHMENT_NAME, evidence)
    with target.open("wb") as handle:
        writer.write(handle)


def _verify(demo: Demo, path: Path, key: Path | None = None) -> tuple[int, str]:
    run = demo.cli("report", "verify", path, "--key", key or demo.key)
    return run.code, run.err


def test_changed_reembedded_or_missing_evidence_is_rejected(demo: Demo, tmp_path: Path) -> None:
    source = demo.reports["release"]
    original = PdfReader(source).attachments[ATTACHMENT_NAME][0]
    data = json.loads(original)
    target = tmp_path / "t.pdf"

    # The same bytes re-embedded in a new file: evidence, figures and pages pass, but the new file
    # lacks the rendering's metadata and bookmarks, which are checked last (reports.document_parts).
    _reembed(source, target, original)
    code, err = _verify(demo, target)
    assert code == EXIT_FAILED and "differs from what the report's evidence renders to" in err, err
    assert "page" not in err.split(":")[1] and "evidence.json" not in err, err

    figures = json.loads(original)
    figures["figures"][2]["value"] = "113.95"
    _reembed(source, target, json.dumps(figures).encode())
    code, err = _verify(demo, target)
    assert code == EXIT_FAILED and "Model Iteration Index" in err and err.count("\n") == 1

    entry = json.loads(__import__("base64").b64decode(data["entries"][5]))
    entry["payload"]["comment"] = "edited"
    forged = dict(data)
    forged["entries"] = list(data["entries"])
    forged["entries"][5] = __import__("base64").b64encode(json.dumps(entry).encode()).decode()
    _reembed(source, target, json.dumps(forged).encode())
    code, err = _verify(demo, target)
    assert code == EXIT_FAILED and "evidence.json" in err

    _reembed(source, target, json.dumps(data, indent=4).encode())  # same content, other bytes
    code, err = _verify(demo, target)
    assert code == EXIT_FAILED and "SHA-256 of its evidence.json" in err

    _reembed(source, target, None)
    code, err = _verify(demo, target)
    assert code == EXIT_FAILED and "no evidence.json" in err


def test_wrong_verifier_key_is_rejected(demo: Demo, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    origin = demo.key.read_text().split("+")[0]
    other.write_text(Ed25519Signer.generate(origin, bytes(32)).verifier_key + "\n")
    for name in REPORT_ARGS:
        code, err = _verify(demo, demo.reports[name], other)
        assert code == EXIT_FAILED and "does not verify under the given verifier key" in err


def test_printed_figures_must_match_the_entries(demo: Demo, tmp_path: Path) -> None:
    from ledger.clock import SystemClock
    from reports.generate import prepare_release
    from reports.render import PdfJob, write_pdf
    from services.ledger_service import LedgerService
    from services.settings import sqlite_url
    from store.ledger_store import LedgerStore

    store = LedgerStore.open(sqlite_url(demo.home / "ledger.db"))
    try:
        prepared = prepare_release(LedgerService(store, SystemClock()), "support-summarizer@1.1")
    finally:
        store.close()
    html = prepared.job.html.replace(">103.95<", ">113.95<")
    assert html != prepared.job.html
    target = tmp_path / "lying.pdf"
    target.write_bytes(write_pdf(PdfJob(html, prepared.job.evidence, prepared.job.as_of)).data)
    code, err = _verify(demo, target)
    assert code == EXIT_FAILED and "does not print Model Iteration Index = 103.95" in err


def test_metrics_json_follows_seed_000(demo: Demo) -> None:
    run = demo.cli("metrics", "--from", "2000-01-01", "--to", "2999-12-31", "--json")
    assert run.code == 0, run.err
    result = json.loads(run.out)
    models = {m["model"]: m for m in result["models"]}
    assert set(models) == {"claims-assistant", "support-summarizer"}
    for m in models.values():
        v, c, rs, r = (
            Decimal(m[k]) for k in ("velocity", "coverage", "regression_surface", "deployment_risk")
        )
        expected = (
            v * Decimal("0.30")
            + c * Decimal("0.25")
            + (100 - rs) * Decimal("0.25")
            + (100 - r) * Decimal("0.20")
        )
        assert Decimal(m["iteration_index"]) == expected.quantize(Decimal("0.01"))
    assert models["support-summarizer"]["releases"] == 5
    assert models["support-summarizer"]["promoted"] == 3
    text = demo.cli("metrics", "--from", "2000-01-01", "--to", "2999-12-31", "--model", "claims-assistant")
    assert "claims-assistant: iteration index" in text.out and "support-summarizer" not in text.out


def test_audit_proves_consistency_with_an_earlier_checkpoint(demo: Demo, tmp_path: Path) -> None:
    from services.settings import sqlite_url
    from store.ledger_store import LedgerStore

    store = LedgerStore.open(sqlite_url(demo.home / "ledger.db"))
    try:
        note = store.checkpoint_at(10)
    finally:
        store.close()
    assert note is not None
    earlier = tmp_path / "earlier.txt"
    earlier.write_text(note)
    out = tmp_path / "audit.pdf"
    run = demo.cli(
        "report",
        "audit",
        "--from",
        "2000-01-01",
        "--to",
        "2999-12-31",
        "--since-checkpoint",
        earlier,
        "--out",
        out,
    )
    assert run.code == 0, run.err
    check = demo.cli("report", "verify", out, "--key", demo.key)
    assert check.code == 0, check.err
    assert "consistent with the earlier checkpoint of size 10" in check.out
    forged = tmp_path / "forged.txt"
    forged.write_text(note.replace("\n10\n", "\n11\n"))
    bad = demo.cli(
        "report",
        "audit",
        "--from",
        "2000-01-01",
        "--to",
        "2999-12-31",
        "--since-checkpoint",
        forged,
        "--out",
        out,
    )
    assert bad.code == 1 and "does not verify" in bad.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "release", "nosuch@9", "--out", "x.pdf"], "no decision for nosuch@9"),
        (
            ["report", "audit", "--from", "2026-13-01", "--to", "2026-12-01", "--out", "x.pdf"],
            "not a real date",
        ),
        (
            ["report", "audit", "--from", "yesterday", "--to", "2026-12-01", "--out", "x.pdf"],
            "neither a date",
        ),
        (["report", "audit", "--from", "2026-12-02", "--to", "2026-12-01", "--out", "x.pdf"], "is after"),
        (["report", "scorecard", "--model", "nosuch", "--out", "x.pdf"], "no decisions for model"),
        (
            ["report", "scorecard", "--model", "support-summarizer", "--versions", "9.9", "--out", "x.pdf"],
            "9.9",
        ),
        (["report", "verify", "/nonexistent/r.pdf", "--key", "k"], "does not exist"),
        (
            ["report", "release", "support-summarizer@1.1", "--out", "/nonexistent/dir/r.pdf"],
            "does not exist",
        ),
        (["report", "release", "support-summarizer@1.1", "--sign-cert", "c.pem", "--out", "x.pdf"], "both"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(demo: Demo, args: list[str], message: str) -> None:
    run = demo.cli(*args)
    assert run.code == 1
    assert message in run.err and run.err.count("\n") == 1, run.err


def test_not_a_pdf_and_unreadable_file(demo: Demo, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    run = demo.cli("report", "verify", text, "--key", demo.key)
    assert run.code == 1 and "is not a PDF" in run.err and run.err.count("\n") == 1
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + bytes(100))
    run = demo.cli("report", "verify", broken, "--key", demo.key)
    assert run.code in (1, EXIT_FAILED) and run.err.count("\n") == 1, run.err


def test_require_signature_rejects_an_unsigned_report(demo: Demo) -> None:
    run = demo.cli("report", "verify", demo.reports["scorecard"], "--key", demo.key, "--require-signature")
    assert run.code == EXIT_FAILED and "no signature" in run.err


def test_reader_text_extraction_is_stable(demo: Demo) -> None:
    reader = PdfReader(io.BytesIO(demo.reports["scorecard"].read_bytes()))
    assert len(reader.pages) >= 3


def test_a_long_export_reports_progress(demo: Demo) -> None:
    from collections.abc import Callable, Iterator
    from contextlib import contextmanager

    from ledger.clock import SystemClock
    from reports.generate import prepare_audit, render
    from reports.period import parse_period
    from services.ledger_service import LedgerService
    from services.settings import sqlite_url
    from store.ledger_store import LedgerStore

    seen: dict[str, list[int]] = {}

    @contextmanager
    def bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
        seen[label] = [total]
        yield seen[label].append

    store = LedgerStore.open(sqlite_url(demo.home / "ledger.db"))
    try:
        prepared = prepare_audit(
            LedgerService(store, SystemClock()), parse_period("2000-01-01", "2999-12-31"), None, None, bar
        )
    finally:
        store.close()
    render(prepared, bar)
    assert seen["proving entries"][-1] == seen["proving entries"][0] > 0
    pages = seen["laying out pages"]
    assert pages[-1] == pages[0] and len(pages) > 2
