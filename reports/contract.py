"""Contract terms for the procurement scorecard: defaults, an optional YAML file, the filled text.

The clauses follow seed 001 ("Contract clauses that should reference the index"): version
pinning, minimum notice for deprecated releases, service credits for missed reliability
thresholds, and the right to benchmark candidate releases against the agreed suite. The
wording is in ``templates/contract_terms.html.j2``; the values below fill it. A terms file
(``rledger report scorecard --terms FILE``) may set any of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ledger.encoding.reader import read_file
from ledger.errors import InputError
from reports.errors import ReportInputError

DEFAULT_NOTICE_DAYS = 90
DEFAULT_SERVICE_CREDIT_PERCENT = 10
DEFAULT_BENCHMARK_NOTICE_DAYS = 10
DEFAULT_CHANGE_LOG_DAYS = 30


@dataclass(frozen=True)
class ContractTerms:
    supplier: str = "the Supplier"
    customer: str = "the Customer"
    agreement: str = "the Agreement"
    notice_days: int = DEFAULT_NOTICE_DAYS
    service_credit_percent: int = DEFAULT_SERVICE_CREDIT_PERCENT
    benchmark_notice_days: int = DEFAULT_BENCHMARK_NOTICE_DAYS
    change_log_days: int = DEFAULT_CHANGE_LOG_DAYS

    @classmethod
    def from_params(cls, data: dict[str, Any]) -> ContractTerms:
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise ReportInputError(f"terms: unknown field {key!r}; known: {', '.join(known)}")
            default = getattr(cls, key)
            if isinstance(default, int):
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3650:
                    raise ReportInputError(f"terms: {key} must be a whole number from 0 to 3650")
            elif not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise ReportInputError(f"terms: {key} must be a non-empty text of at most 200 characters")
            values[key] = value
        return cls(**values)

    @classmethod
    def read(cls, path: Path) -> ContractTerms:
        """Read a terms file (YAML 1.2, or JSON for ``.json``) through the shared reader.

        Raises :class:`ReportInputError` naming the file and the problem."""
        try:
            data = read_file(path, what="terms file").data
        except InputError as exc:
            message = str(exc)  # value errors name the field and line, not the file
            if str(path) not in message:
                message = f"terms file {path}: {message}"
            raise ReportInputError(message) from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ReportInputError(f"terms file {path} must hold a mapping of field: value")
        return cls.from_params(data)

    def to_params(self) -> dict[str, Any]:
        defaults = ContractTerms()
        return {k: v for k, v in asdict(self).items() if getattr(defaults, k) != v}

    def to_context(
        self,
        *,
        model: str,
        recommended: dict[str, Any] | None,
        baseline_version: str,
        reliability_floor: str,
        gates: list[dict[str, str]],
    ) -> dict[str, Any]:
        return {
            **asdict(self),
            "model": model,
            "pinned_version": recommended["version"] if recommended else baseline_version,
            "pinned_digest": recommended["artifact_digest"] if recommended else "",
            "pinned_is_candidate": recommended is not None,
            "eval_suite": recommended["eval_suite"] if recommended else "the agreed evaluation suite",
            "reliability_floor": reliability_floor,
            "gates": gates,
        }
