"""Errors of the reports package; all are ``LedgerError`` so the CLI prints one line.

ReportError                  root of everything this package raises on purpose
├── ReportInputError         bad input: unknown dates, unreadable files, not a PDF
└── ReportVerificationError  a report does not verify (also a ``VerificationError``,
                             so the CLI exits with the verification-failed code)
"""

from __future__ import annotations

from ledger.errors import InputError, LedgerError, VerificationError


class ReportError(LedgerError):
    """Root of the reports package's errors."""


class ReportInputError(ReportError, InputError):
    """Input to a report command was rejected."""


class ReportVerificationError(VerificationError, ReportError):
    """A report, its PDF signature or its embedded evidence failed to verify."""
