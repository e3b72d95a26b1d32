"""PAdES signatures on reports (pyHanko): sign with a configured certificate, check on verify.

A report is signed only when a certificate and key are configured (``--sign-cert`` and
``--sign-key``, or ``RLEDGER_REPORT_SIGN_CERT`` and ``RLEDGER_REPORT_SIGN_KEY``; the key's
password, if any, in ``RLEDGER_REPORT_SIGN_KEY_PASSWORD``). The signature is an incremental
update over the PDF/A file, so the evidence and every printed byte are covered. A signed PDF
is not byte-for-byte repeatable (it carries a signing time); an unsigned one is.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext

from reports.errors import ReportInputError, ReportVerificationError

FIELD_NAME = "ReleaseLedgerReport"
REASON = "Release Ledger report: content and embedded evidence"
_LOGGERS = ("pyhanko", "pyhanko_certvalidator")


@dataclass(frozen=True)
class SigningConfig:
    cert: Path
    key: Path
    password: str | None = None


@contextmanager
def _quiet() -> Iterator[None]:
    """pyHanko logs every untrusted path at ERROR with a traceback; our result says it in one line."""
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in _LOGGERS]
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


def _readable(path: Path, what: str) -> None:
    if not path.is_file():
        raise ReportInputError(f"{what} {path} does not exist or is not a file")
    try:
        path.read_bytes()
    except OSError as exc:
        raise ReportInputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def load_signer(config: SigningConfig) -> signers.SimpleSigner:
    _readable(config.cert, "signing certificate")
    _readable(config.key, "signing key")
    password = config.password.encode() if config.password else None
    with _quiet():
        try:
            signer: signers.SimpleSigner | None = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
                str(config.key), str(config.cert), key_passphrase=password
            )
        except (ValueError, TypeError, OSError) as exc:
            raise ReportInputError(f"cannot load the signing key and certificate: {exc}") from None
    if signer is None:
        raise ReportInputError(
            f"cannot load the signing key {config.key} with certificate {config.cert} "
            "(wrong format or password?)"
        )
    return signer


def sign_pdf(data: bytes, config: SigningConfig) -> bytes:
    signer = load_signer(config)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=REASON,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    with _quiet():
        out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), meta, signer=signer)
    signed: bytes = out.getvalue()
    return signed


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer: str
    trusted: bool
    signing_time: str


def _trust_roots(paths: Sequence[Path]) -> list[Any]:
    roots: list[Any] = []
    for path in paths:
        _readable(path, "trusted certificate")
        try:
            roots.append(load_cert_from_pemder(str(path)))  # type: ignore[no-untyped-call]
        except (ValueError, TypeError, OSError) as exc:
            raise ReportInputError(f"{path} is not a PEM or DER certificate: {exc}") from None
    return roots


def check_signatures(data: bytes, trust: Sequence[Path] = ()) -> list[SignatureCheck]:
    """Every PDF signature: intact, cryptographically valid, covering the whole file.

    With trusted certificates given, each signer must also chain to one of them.
    """
    roots = _trust_roots(trust)
    results = []
    with _quiet():
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            embedded = list(reader.embedded_signatures)
        except (PdfError, ValueError, KeyError) as exc:
            raise ReportVerificationError(f"the PDF's signature structures cannot be read: {exc}") from None
        for sig in embedded:
            context = ValidationContext(trust_roots=roots, allow_fetching=False)
            try:
                status = validate_pdf_signature(sig, context)
            except (SignatureValidationError, PdfError, ValueError, KeyError) as exc:
                raise ReportVerificationError(
                    f"PDF signature {sig.field_name!r} does not validate: {exc}"
                ) from None
            name = sig.field_name or "?"
            if not status.intact or not status.valid:
                raise ReportVerificationError(
                    f"PDF signature {name!r} is broken: the signed bytes were changed or it is invalid"
                )
            if status.coverage is None or status.coverage.name != "ENTIRE_FILE":
                raise ReportVerificationError(
                    f"PDF signature {name!r} does not cover the whole file: bytes were added after signing"
                )
            if roots and not status.trusted:
                raise ReportVerificationError(f"PDF signature {name!r} is not by a trusted certificate")
            subject = status.signing_cert.subject.human_friendly if status.signing_cert is not None else "?"
            when = status.signer_reported_dt.isoformat() if status.signer_reported_dt else "-"
            results.append(SignatureCheck(name, subject, bool(status.trusted), when))
    return results
