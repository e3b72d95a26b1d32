"""Audit reports at scale (issue 14): the body holds summaries and exceptions, the attached
evidence every entry, and the evidence is written a piece at a time."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pypdf import apply_configuration

from governance.record import DECISION_KIND, decision_record
from ledger.clock import FixedClock
from ledger.scoring.input import parse_decision_text, parse_request
from ledger.tlog.entry import Entry
from ledger.tlog.note import Ed25519Signer
from policies.evaluate import evaluate_request
from reports import audit, verify
from reports.evidence import Evidence, Figure, parse_evidence
from reports.evidence_stream import EvidenceFile, write_evidence
from reports.generate import prepare_audit, render
from reports.period import parse_period
from reports.verify import verify_report
from services.governed import authored
from services.keys import PERSONAL_KEY_NAME
from services.ledger_service import LedgerService
from services.ports import PendingEntry
from services.settings import sqlite_url
from store.ledger_store import LedgerStore
from tests.reports.conftest import Demo

ORIGIN = "test.example/audit-scale"
ADMIN = "admin@example.com"
ALICE = "alice@example.com"
SIGNER_SEED, ADMIN_SEED, ALICE_SEED = bytes(range(32)), bytes(range(32, 64)), bytes(range(64, 96))
START = datetime(2026, 11, 22, tzinfo=UTC)
DECISIONS = 300  # well over audit.MAX_LISTED
PENDING_EVERY = 10  # every tenth decision awaits approval (an exception); the rest are auto-approved


def _record(service: LedgerService, demo_file: str) -> dict[str, Any]:
    data = parse_decision_text((resources.files("cli.demo") / demo_file).read_text())
    data["requested_by"] = ALICE
    data["rollback"] = {**data["rollback"], "rehearsed_at": "2026-11-04T00:00:00Z"}
    policy = service.state().active_policy
    request = parse_request(data)
    return decision_record(policy, request, evaluate_request(policy, request))


def _ledger(path: Path) -> LedgerService:
    """DECISIONS decisions, one second apart, appended through the governed log in one batch."""
    ledger_key = Ed25519Signer.generate(ORIGIN, SIGNER_SEED)
    admin = Ed25519Signer.generate(PERSONAL_KEY_NAME, ADMIN_SEED)
    alice = Ed25519Signer.generate(PERSONAL_KEY_NAME, ALICE_SEED)
    service = LedgerService(
        LedgerStore.open(sqlite_url(path)), FixedClock(START, step_seconds=1.0), ledger_key
    )
    service.setup.initialize(ORIGIN, ADMIN, admin)
    service.identities.add(ALICE, ["submitter"], base64.b64encode(alice.public_key).decode(), ADMIN, admin)
    pending_record = _record(service, "01-support-summarizer-1.1.yaml")
    approved_record = _record(service, "03-support-summarizer-1.3.yaml")
    origin = service.state().statement_origin()
    batch = []
    for i in range(DECISIONS):
        record = pending_record if i % PENDING_EVERY == 0 else approved_record
        body = {**record, "model": "support-summarizer", "version": f"5.{i}"}
        payload = authored(DECISION_KIND, body, alice, origin)
        batch.append(PendingEntry(DECISION_KIND, payload, ("support-summarizer", f"5.{i}")))
    service.governed.append(batch)
    return service


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> LedgerService:
    return _ledger(tmp_path_factory.mktemp("audit-scale") / "ledger.db")


def test_the_body_summarises_and_the_evidence_embeds_every_entry(big: LedgerService) -> None:
    prepared = prepare_audit(big, parse_period("2026-11-01", "2026-12-31"), None)
    assert isinstance(prepared.job.evidence, EvidenceFile)
    evidence = parse_evidence(prepared.job.evidence.read_bytes())
    size = big.store.size()
    embedded = [Entry.parse(e) for e in evidence.entries]
    assert [e.seq for e in embedded] == list(range(size))  # the period starts before the first entry
    decisions = [e for e in embedded if e.kind == DECISION_KIND]
    assert len(decisions) == DECISIONS
    assert evidence.entry_range == {"first": 0, "end": size}

    html = prepared.job.html
    section = html.split("2 Exceptions in the period", 1)[1].split("3 Delivery health", 1)[0]
    refs = set(re.findall(r"support-summarizer@5\.\d+", section))
    # Listed one by one: only the decisions awaiting approval, every tenth one.
    assert refs == {f"support-summarizer@5.{i}" for i in range(0, DECISIONS, PENDING_EVERY)}
    # The open items (every decision approved but not promoted) are cut at MAX_LISTED too.
    assert len(set(re.findall(r"support-summarizer@5\.\d+", html))) <= 2 * audit.MAX_LISTED
    assert f"The first {audit.MAX_LISTED} of {DECISIONS} open items" in html
    figures = {f.name: f.value for f in evidence.figures}
    assert figures["summary.decisions"] == str(DECISIONS)
    assert figures["summary.exceptions"] == str(DECISIONS // PENDING_EVERY)
    assert figures["outcome.pending_approval"] == str(DECISIONS // PENDING_EVERY)
    assert len([n for n in figures if n.startswith("decision.")]) == len(refs)  # the listed ones
    assert "2 Exceptions in the period" in html
    assert f"The first {40} of the {size} entries embedded" in html

    rendered = render(prepared)
    checked = verify_report(rendered.data, big.log.verifier_key())
    assert checked.entries == size
    assert checked.completeness is not None and checked.completeness.first == 0
    # Attached from the file, the PDF is byte for byte the one rendered again from the bytes.
    assert checked.pages is not None and checked.pages.identical_bytes


def _header() -> Evidence:
    return Evidence(
        report_type="audit",
        params={"from": "2026-11-01", "to": "2026-12-31", "model": None},
        origin=ORIGIN,
        verifier_key="key",
        checkpoint="note\n\n— sig\n",
        entries=[],
        inclusion_proofs=[],
        ledger_verification={"entries": 3},
        entry_range={"first": 0, "end": 3},
    )


def test_the_evidence_writer_takes_one_entry_at_a_time() -> None:
    """Each entry is written before the next is asked for: the writer never holds them all."""
    out = io.BytesIO()
    entries = [b"entry %d" % n * 40 for n in range(200)]
    proofs = [{"leaf_index": n, "tree_size": 200, "hashes": ["aGFzaA=="] * (n % 5)} for n in range(200)]
    asked = []

    def source() -> Iterator[tuple[bytes, dict[str, Any]]]:
        for n, entry in enumerate(entries):
            if n > 0:  # the one before is already in the output
                assert base64.b64encode(entries[n - 1]) in out.getvalue(), n
            asked.append(n)
            yield entry, proofs[n]

    figures_after: list[int] = []

    def figures() -> list[Figure]:
        figures_after.append(len(asked))
        return [Figure("summary.decisions", "Decisions", "200")]

    assert write_evidence(out, _header(), source(), figures) == 200
    assert figures_after == [200]  # figures are asked for once every entry is written
    whole = Evidence(**{**_header().__dict__, "entries": entries, "inclusion_proofs": proofs})
    whole = Evidence(**{**whole.__dict__, "figures": figures()})
    assert out.getvalue() == whole.to_bytes()  # the same bytes as the format always had


def test_evidence_beyond_pypdf_stream_limits_is_still_read(demo: Demo) -> None:
    """pypdf refuses streams over 75 MB by default; a 100,000-decision audit's evidence is larger
    (800 MB), so reading it raises the limits. Here the limits around it are far below its size."""
    low = {
        "zlib_maximum_output_length": 1000,
        "maximum_declared_stream_length": 1000,
        "stream_decoding_work_maximum_length": 1000,
    }
    pdf = demo.reports["audit"].read_bytes()
    with apply_configuration(**low):
        raw = verify._evidence_bytes(verify._open(pdf), len(pdf))
    assert len(raw) > 1000 and parse_evidence(raw).report_type == "audit"


def test_the_attachment_may_expand_only_in_proportion_to_the_file() -> None:
    """A decompression bomb gains at most EVIDENCE_EXPANSION times its own size (never past
    4 GiB), not 4 GiB from a small upload; small files keep pypdf's own 75 MB."""
    assert verify.evidence_limit(16 * 2**20) == 64 * 16 * 2**20  # the web app's body cap: 1 GiB
    assert verify.evidence_limit(30_300_000) == 64 * 30_300_000  # a 100,000-decision audit's PDF
    assert verify.evidence_limit(10_000) == 75_000_000
    assert verify.evidence_limit(2**30) == 4 * 2**30
