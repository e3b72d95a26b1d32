"""Generate a report: snapshot the ledger, choose and prove its entries, recompute, render.

snapshot (as of the latest checkpoint) -> entries the report covers (reports.select)
-> inclusion proofs from storage -> evidence.json -> checked like a verifier would
-> content and figures recomputed from the checked evidence (reports.kinds)
-> charts, HTML (Jinja2) -> PDF/A-3b with evidence.json attached (reports.render)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from typing import Any

from ledger.errors import LedgerError, NotFoundError
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import parse_time
from ledger.tlog.merkle import CompactRange
from reports import audit, charts, fmt, release, scorecard, select, source
from reports.completeness import check_completeness, check_ledger_verification
from reports.contract import ContractTerms
from reports.errors import ReportInputError
from reports.evidence import Evidence, verify_evidence
from reports.evidence_stream import streamed
from reports.facts import DECISION
from reports.kept import b64, describe
from reports.kinds import TEMPLATES, Recomputed, recompute
from reports.period import Period
from reports.render import PdfJob, RenderedPdf, render_html, software_version, write_pdf
from services.ledger_service import LedgerService

ProgressFactory = Callable[[int, str], AbstractContextManager[Callable[[int], None]]]
ROWS_PER_PAGE = 40
# Entries an audit's integrity appendix lists (the first ones); all are in evidence.json.
INTEGRITY_ROWS = 40


@contextmanager
def _no_progress(_total: int, _label: str) -> Iterator[Callable[[int], None]]:
    yield lambda _done: None


@dataclass(frozen=True)
class Prepared:
    """A report ready to render: the finished HTML and its evidence."""

    report_type: str
    title: str
    job: PdfJob
    evidence: Evidence
    recomputed: Recomputed
    estimated_pages: int

    @property
    def covered(self) -> int:
        return len(self.evidence.entries)


def _integrity(
    ev: Evidence, recomputed: Recomputed, evidence_sha256: str, show_proofs: bool
) -> dict[str, Any]:
    cp = Checkpoint.parse_body(ev.checkpoint.split("\n\n", 1)[0] + "\n")
    rows = []
    listed = ev.inclusion_proofs if show_proofs else ev.inclusion_proofs[:INTEGRITY_ROWS]
    for proof in listed:
        entry = recomputed.facts.entries[int(proof["leaf_index"])]
        rows.append(
            {
                "seq": entry.seq,
                "time": fmt.when(entry.time),
                "kind": entry.kind,
                "leaf_hex": entry.leaf_hash.hex(),
                "hashes": proof["hashes"] if show_proofs else [],
                "depth": len(proof["hashes"]),
            }
        )
    return {
        "origin": ev.origin,
        "verifier_key": ev.verifier_key,
        "checkpoint_note": ev.checkpoint,
        "size": cp.size,
        "root_b64": ev.checkpoint.split("\n")[2],
        "root_hex": cp.root.hex(),
        "entries": rows,
        "entry_count": len(ev.inclusion_proofs),
        "show_proofs": show_proofs,
        "evidence_sha256": evidence_sha256,
        "report_type": ev.report_type,
    }


def _release_charts(ctx: dict[str, Any]) -> dict[str, str]:
    rows = ctx["scorecard"]["rows"]
    history = ctx["history"]
    this = next((n for n, h in enumerate(history) if h["this"]), None)
    return {
        "subscores": charts.subscores(
            [r["name"] for r in rows],
            [r["baseline"] for r in rows],
            [r["candidate"] for r in rows],
            f"Subscores: baseline v{ctx['scorecard']['baseline_version']} and {ctx['decision']['ref']}",
        ),
        "history": charts.index_history(
            [f"v{h['version']}" for h in history],
            [h["index"] for h in history],
            [h["band"] for h in history],
            this,
            f"Model Iteration Index of every {ctx['decision']['model']} release (ringed: this one)",
        ),
    }


def _scorecard_charts(ctx: dict[str, Any]) -> dict[str, str]:
    b = ctx["baseline"]
    return {
        "composite": charts.composite(
            [b["release"], *(r["release"] for r in ctx["rows"])],
            [b["index"], *(r["index"] for r in ctx["rows"])],
            ["baseline", *(r["band"] for r in ctx["rows"])],
            "Composite index against the baseline (100 = parity)",
        )
    }


def _health_series(trend: list[dict[str, Any]]) -> dict[str, Sequence[str]]:
    """A model's delivery-health lines, each scaled so that up is better (0 to 100)."""
    return {
        "iteration index": [r["iteration_index"] for r in trend],
        "velocity": [r["velocity"] for r in trend],
        "coverage": [r["coverage"] for r in trend],
        "100 - regression surface": [f"{100 - float(r['regression_surface']):.2f}" for r in trend],
        "100 - deployment risk": [f"{100 - float(r['deployment_risk']):.2f}" for r in trend],
    }


def _audit_charts(ctx: dict[str, Any]) -> dict[str, str]:
    return {
        m["model"]: charts.health_trend(
            m["model"],
            [r["decision"].rsplit("@", 1)[1] for r in m["trend"]],
            _health_series(m["trend"]),
            f"Delivery health of {m['model']}: iteration index per release",
        )
        for m in ctx["health"]
    }


def _charts(kind: str, ctx: dict[str, Any]) -> dict[str, str]:
    if kind == release.REPORT_TYPE:
        return _release_charts(ctx)
    if kind == scorecard.REPORT_TYPE:
        return _scorecard_charts(ctx)
    return _audit_charts(ctx)


def _title(kind: str, ctx: dict[str, Any]) -> str:
    if kind == release.REPORT_TYPE:
        return f"Release report: {ctx['decision']['ref']}"
    if kind == scorecard.REPORT_TYPE:
        return f"Procurement scorecard: {ctx['model']}"
    return f"Auditor export: {ctx['period']['label']} ({ctx['model']})"


def _estimate_pages(kind: str, seqs: list[int], snapshot: source.Snapshot) -> int:
    decisions = sum(1 for s in seqs if snapshot.entries[s].kind == DECISION)
    if kind == audit.REPORT_TYPE:
        # The body lists at most audit.MAX_LISTED decisions, the appendix INTEGRITY_ROWS entries.
        listed = min(decisions, audit.MAX_LISTED)
        return 4 + listed // 3 + listed // ROWS_PER_PAGE + min(len(seqs), INTEGRITY_ROWS) // 60
    return 6 + len(seqs) // 12


def _unsigned_evidence(
    snapshot: source.Snapshot,
    kind: str,
    params: dict[str, Any],
    seqs: list[int],
    proofs: list[dict[str, Any]],
    consistency: dict[str, Any] | None,
    verification: dict[str, Any] | None,
    entry_range: dict[str, Any] | None,
) -> Evidence:
    """The evidence for ``seqs`` before its figures are recomputed and added."""
    return Evidence(
        report_type=kind,
        params=params,
        origin=snapshot.checkpoint.origin,
        verifier_key=snapshot.verifier_key.strip(),
        checkpoint=snapshot.note,
        entries=[snapshot.entries[s].data for s in seqs],
        inclusion_proofs=proofs,
        consistency=consistency,
        ledger_verification=verification,
        entry_range=entry_range,
    )


def _meta(kind: str, title: str, snapshot: source.Snapshot) -> dict[str, Any]:
    return {
        "title": title,
        "kind": kind,
        "as_of": fmt.when(snapshot.as_of),
        "as_of_w3c": parse_time(snapshot.as_of).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": software_version(),
        "origin": snapshot.checkpoint.origin,
    }


def _page(
    kind: str,
    title: str,
    snapshot: source.Snapshot,
    evidence: Evidence,
    recomputed: Recomputed,
    evidence_sha256: str,
) -> dict[str, Any]:
    """What the template renders: the content, then meta, integrity, figures and charts.
    Audits leave the proof hashes out (they would run to many pages)."""
    ctx = recomputed.context
    return {
        **ctx,
        "meta": _meta(kind, title, snapshot),
        "integrity": _integrity(evidence, recomputed, evidence_sha256, kind != audit.REPORT_TYPE),
        "figures": [f.to_json() for f in evidence.figures],
        "charts": _charts(kind, ctx),
    }


def report_html(
    snapshot: source.Snapshot, evidence: Evidence, recomputed: Recomputed, evidence_sha256: str
) -> tuple[str, str]:
    """The report's title and finished HTML, from the snapshot's checkpoint, note and newest
    entry, the evidence (``evidence_sha256``: hex SHA-256 of its bytes as attached) and what it
    recomputes to. The one
    path generating and re-rendering (``reports.rerender``) both take."""
    kind = evidence.report_type
    title = _title(kind, recomputed.context)
    return title, render_html(
        TEMPLATES[kind], _page(kind, title, snapshot, evidence, recomputed, evidence_sha256)
    )


def _prepare(
    service: LedgerService,
    snapshot: source.Snapshot,
    kind: str,
    params: dict[str, Any],
    seqs: list[int],
    update: Callable[[int], None],
    *,
    consistency: dict[str, Any] | None = None,
    verification: dict[str, Any] | None = None,
    first: int | None = None,
) -> Prepared:
    # Every report also proves the genesis entry (seq 0) and the newest entry its checkpoint covers;
    # with ``first``, every entry from it on (``_ranged`` chose them).
    seqs = sorted({*seqs, 0, snapshot.size - 1})
    entry_range = None if first is None else {"first": first, "end": snapshot.size}
    proofs = source.inclusion_proofs(service, snapshot, seqs, update)
    unsigned = _unsigned_evidence(
        snapshot, kind, params, seqs, proofs, consistency, verification, entry_range
    )
    # Parsed once, when the snapshot was read: the checks take those entries, not a second copy.
    checked = verify_evidence(unsigned, snapshot.verifier_key, [snapshot.entries[s] for s in seqs])
    recomputed = recompute(checked)
    # Checked as a verifier will, so that a report which would not verify is never written.
    check_ledger_verification(checked, recomputed, check_completeness(checked))
    evidence = replace(unsigned, figures=recomputed.figures)
    # Written a piece at a time to a temporary file, which WeasyPrint reads itself.
    spooled = streamed(evidence)
    title, html = report_html(snapshot, evidence, recomputed, spooled.sha256)
    job = PdfJob(html, spooled, parse_time(snapshot.as_of))
    return Prepared(kind, title, job, evidence, recomputed, _estimate_pages(kind, seqs, snapshot))


def _ranged(seqs: list[int], first: int, size: int) -> list[int]:
    """``seqs`` with every seq from ``first`` to ``size - 1`` and the one before ``first``: what
    ``reports.completeness`` requires of a release or audit report's evidence."""
    return sorted({*seqs, *range(max(first - 1, 0), size)})


def prepare_release(
    service: LedgerService, decision_id: str, progress: ProgressFactory | None = None
) -> Prepared:
    ref = service.resolve(decision_id)
    snapshot = source.take_snapshot(service)
    if ref.seq >= snapshot.size:
        raise NotFoundError(f"{decision_id} is not yet covered by a signed checkpoint")
    index = select.Index.build(snapshot.entries)
    seqs = _ranged(select.release_entries(index, ref.leaf_hex), ref.seq, snapshot.size)
    with (progress or _no_progress)(len(seqs), "proving entries") as update:
        return _prepare(
            service, snapshot, release.REPORT_TYPE, {"decision": ref.leaf_hex}, seqs, update, first=ref.seq
        )


def prepare_scorecard(
    service: LedgerService,
    model: str,
    versions: list[str],
    terms: ContractTerms,
    progress: ProgressFactory | None = None,
) -> Prepared:
    snapshot = source.take_snapshot(service)
    index = select.Index.build(snapshot.entries)
    recorded = [
        str(snapshot.entries[s].payload["version"])
        for leaf, s in index.decision_seq.items()
        if index.decision_model[leaf] == model
    ]
    if not recorded:
        raise ReportInputError(f"the ledger has no decisions for model {model!r}")
    missing = [v for v in versions if v not in recorded]
    if missing:
        raise ReportInputError(
            f"no decision for {model}@{', '.join(missing)}; recorded versions: {', '.join(recorded)}"
        )
    params: dict[str, Any] = {"model": model, "versions": versions, "terms": terms.to_params()}
    seqs = select.scorecard_entries(index, model)
    with (progress or _no_progress)(len(seqs), "proving entries") as update:
        return _prepare(service, snapshot, scorecard.REPORT_TYPE, params, seqs, update)


def _earlier_checkpoint(service: LedgerService, note: str, snapshot: source.Snapshot) -> Checkpoint:
    """The ``--since-checkpoint`` note, signed by this ledger's key and a prefix of its history:
    ReportInputError naming both roots otherwise (a checkpoint of another history, a fork)."""
    current = snapshot.checkpoint
    try:
        old = Checkpoint.open(note, service.log.verifier())
    except LedgerError as exc:
        raise ReportInputError(
            f"the earlier checkpoint does not verify under this ledger's key: {exc}"
        ) from None
    if old.size > current.size or old.size == 0:
        raise ReportInputError(
            f"the earlier checkpoint's size {old.size} is not between 1 and {current.size}"
        )
    mine = CompactRange()
    for entry in snapshot.entries[: old.size]:
        mine.append(entry.leaf_hash)
    if mine.root() != old.root:
        raise ReportInputError(
            f"the earlier checkpoint ({describe(old.size, old.root)}) is not of this ledger's history: "
            f"its tree at that size has root {b64(mine.root())}"
        )
    return old


def prepare_audit(
    service: LedgerService,
    period: Period,
    model: str | None,
    since_checkpoint: str | None = None,
    progress: ProgressFactory | None = None,
) -> Prepared:
    snapshot, verification = source.verified_snapshot(service)
    consistency = None
    if since_checkpoint is not None:
        old = _earlier_checkpoint(service, since_checkpoint, snapshot)
        consistency = {
            "old_checkpoint": since_checkpoint,
            "old_size": old.size,
            "new_size": snapshot.size,
            "hashes": source.consistency_proof(service, old.size, snapshot.size),
        }
    index = select.Index.build(snapshot.entries)
    first = next((e.seq for e in snapshot.entries if parse_time(e.time) >= period.start), snapshot.size)
    seqs = _ranged(select.audit_entries(index, period.start, period.end, model), first, snapshot.size)
    params: dict[str, Any] = {"from": period.start_text, "to": period.end_text, "model": model}
    with (progress or _no_progress)(len(seqs), "proving entries") as update:
        return _prepare(
            service,
            snapshot,
            audit.REPORT_TYPE,
            params,
            seqs,
            update,
            consistency=consistency,
            verification=verification,
            first=first,
        )


def render(prepared: Prepared, progress: ProgressFactory | None = None) -> RenderedPdf:
    """Lay out and write the PDF; with a progress factory, a bar counts pages as they are laid out."""
    with (progress or _no_progress)(prepared.estimated_pages, "laying out pages") as update:
        rendered = write_pdf(prepared.job, lambda n: update(min(n, prepared.estimated_pages)))
        update(prepared.estimated_pages)
    return rendered
