"""``rledger metrics``: the auditor export's delivery-health figures, as JSON, without a PDF."""

from __future__ import annotations

import base64
from typing import Any

from reports import health, select, source
from reports.facts import fold
from reports.period import Period
from services.ledger_service import LedgerService


def delivery_metrics(service: LedgerService, period: Period, model: str | None) -> dict[str, Any]:
    snapshot = source.take_snapshot(service)
    index = select.Index.build(snapshot.entries)
    seqs = select.audit_entries(index, period.start, period.end, model)
    facts = fold(snapshot.entries[s] for s in seqs)
    scope = [
        d
        for d in facts.decisions.values()
        if period.contains_time(d.time) and (model is None or d.model == model)
    ]
    return {
        "period": {"from": period.start_text, "to": period.end_text},
        "model": model,
        "as_of": snapshot.as_of,
        "checkpoint": {"size": snapshot.size, "root": base64.b64encode(snapshot.checkpoint.root).decode()},
        "formula": health.FORMULA,
        "weights": health.weights_json(),
        "models": [m.to_json() for m in health.delivery_health(scope)],
    }
