"""The three report kinds, and recomputing a report's content from checked evidence.

Generating a report and verifying one run the same function, ``recompute``, on the same
checked evidence, so the figures a report prints are by construction the figures its
entries give, and a verifier recomputes them without trusting the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reports import audit, release, scorecard
from reports.errors import ReportInputError, ReportVerificationError
from reports.evidence import CheckedEvidence, Figure
from reports.facts import LedgerFacts, fold

TEMPLATES = {
    release.REPORT_TYPE: "release.html.j2",
    audit.REPORT_TYPE: "audit.html.j2",
    scorecard.REPORT_TYPE: "scorecard.html.j2",
}


@dataclass(frozen=True)
class Recomputed:
    facts: LedgerFacts
    context: dict[str, Any]
    figures: list[Figure]


def extras(checked: CheckedEvidence) -> dict[str, Any]:
    """What the audit export shows beyond the entries: verification results and the old checkpoint."""
    consistency = checked.evidence.consistency or {}
    hashes = consistency.get("hashes")
    return {
        "ledger_verification": checked.evidence.ledger_verification,
        "old_checkpoint": checked.old_checkpoint,
        "consistency_hashes": len(hashes) if isinstance(hashes, list) else 0,
    }


def recompute(checked: CheckedEvidence) -> Recomputed:
    ev = checked.evidence
    facts = fold(checked.entries)
    if checked.checkpoint.size - 1 not in facts.entries:
        raise ReportVerificationError(
            "evidence.json lacks the latest entry its checkpoint covers (the report date)"
        )
    kind = ev.report_type
    try:
        if kind == release.REPORT_TYPE:
            ctx = release.context(facts, checked.checkpoint, ev.params)
            figs = release.figures(ctx)
        elif kind == audit.REPORT_TYPE:
            ctx = audit.context(facts, checked.checkpoint, ev.params, extras(checked))
            figs = audit.figures(ctx)
        elif kind == scorecard.REPORT_TYPE:
            ctx = scorecard.context(facts, checked.checkpoint, ev.params)
            figs = scorecard.figures(ctx)
        else:
            raise ReportVerificationError(f"evidence.json names an unknown report type {kind!r}")
    except ReportInputError as exc:
        raise ReportVerificationError(f"evidence.json: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportVerificationError(
            f"evidence.json: the report cannot be recomputed from its entries ({type(exc).__name__}: {exc})"
        ) from None
    return Recomputed(facts, ctx, figs)
