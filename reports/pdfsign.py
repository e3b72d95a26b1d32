"""PAdES signatures on reports (pyHanko): sign with a configured certificate, check on verify.

A report is signed only when a certificate and key are configured (``--sign-cert`` and
``--sign-key``, or ``RLEDGER_REPORT_SIGN_CERT`` and ``RLEDGER_REPORT_SIGN_KEY``; the key's
password, if any, in ``RLEDGER_REPORT_SIGN_KEY_PASSWORD``). The signature is an incremental
update over the PDF/A file, so the evidence and every printed byte are covered. A signed PDF
is not byte-for-byte repeatable (it carries a signing time); an unsigned one is.

Options (``SigningConfig``):

- ``tsa_url``: an RFC 3161 time-stamping authority; its token over the signature value makes
  the signature PAdES B-T, so the signing time is the TSA's word, not only the signer's claim.
- ``certify``: a certification signature with DocMDP "no changes allowed" (P=1). Any later
  revision, even one that only adds an annotation, then invalidates it (PDF 32000-1 12.8.2.2).
- ``ltv``: PAdES B-LT. The signer's chain (``chain``: its issuers, up to a self-signed root)
  and revocation data (CRLs, OCSP, fetched from the URLs in the certificates) for it and the
  TSA go into the document security store, in one more incremental update after the signature.

PDF/A needs the document information dictionary and the XMP metadata to agree. pyHanko
appends itself to the info ``/Producer`` ("WeasyPrint 70; pyHanko 0.38") but writes only
itself to XMP ``pdf:Producer``, so the signed file would no longer be PDF/A. We set the info
``/Producer`` to pyHanko's own string before signing (the first revision keeps WeasyPrint's), and
check after signing that every info entry with an XMP twin agrees (``metadata_mismatches``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from reports.errors import ReportInputError, ReportVerificationError

FIELD_NAME = "ReleaseLedgerReport"
REASON = "Release Ledger report: content and embedded evidence"
_LOGGERS = ("pyhanko", "pyhanko_certvalidator")


@dataclass(frozen=True)
class SigningConfig:
    cert: Path
    key: Path
    password: str | None = None
    tsa_url: str | None = None
    certify: bool = False
    ltv: bool = False
    chain: tuple[Path, ...] = ()


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
                str(config.key),
                str(config.cert),
                ca_chain_files=[str(p) for p in config.chain] or None,
                key_passphrase=password,
            )
        except (ValueError, TypeError, OSError) as exc:
            raise ReportInputError(f"cannot load the signing key and certificate: {exc}") from None
    if signer is None:
        raise ReportInputError(
            f"cannot load the signing key {config.key} with certificate {config.cert} "
            "(wrong format or password?)"
        )
    return signer


def _ltv_context(config: SigningConfig, signer: signers.SimpleSigner) -> ValidationContext:
    """Trust for collecting B-LT data: the self-signed certificates among the signer's chain."""
    for path in config.chain:
        _readable(path, "certificate chain file")
    certs = [signer.signing_cert, *signer.cert_registry]
    roots = [c for c in certs if c is not None and c.self_signed != "no"]
    if not roots:
        raise ReportInputError("--ltv needs the signer's chain up to a self-signed root (--sign-chain)")
    return ValidationContext(trust_roots=roots, allow_fetching=True)


def _align_producer(writer: IncrementalPdfFileWriter) -> None:
    """Make the info /Producer the string pyHanko writes to XMP pdf:Producer (see module doc)."""
    info_ref = writer.trailer.raw_get("/Info") if "/Info" in writer.trailer else None
    if isinstance(info_ref, generic.IndirectObject):
        info = info_ref.get_object()  # type: ignore[no-untyped-call]
        if isinstance(info, generic.DictionaryObject):
            info["/Producer"] = generic.TextStringObject(VENDOR)
            writer.mark_update(info_ref)


def sign_pdf(data: bytes, config: SigningConfig) -> bytes:
    """Sign the rendered report (B-B; B-T with a TSA; B-LT with ``ltv``; certified with ``certify``).

    Raises :class:`ReportInputError` for an unusable key, certificate, chain or TSA."""
    signer = load_signer(config)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=REASON,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        certify=config.certify,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        embed_validation_info=config.ltv,
        validation_context=_ltv_context(config, signer) if config.ltv else None,
    )
    timestamper = HTTPTimeStamper(config.tsa_url) if config.tsa_url else None
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    _align_producer(writer)
    with _quiet():
        try:
            out = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
        except TimestampRequestError as exc:
            raise ReportInputError(f"the time-stamping authority {config.tsa_url} failed: {exc}") from None
        except (SigningError, SignatureValidationError) as exc:
            raise ReportInputError(f"cannot sign the report: {exc}") from None
    signed: bytes = out.getvalue()
    mismatches = metadata_mismatches(signed)
    if mismatches:  # never write a signed report that is no longer PDF/A
        raise ReportInputError(f"signing broke the PDF/A metadata: {'; '.join(mismatches)}")
    return signed


def metadata_mismatches(data: bytes) -> list[str]:
    """Info entries whose XMP twin (PDF/A-3 6.6.2.3) says something else: ``["Producer: 'a' vs 'b'"]``."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        info: Any = reader.metadata or {}
        xmp = reader.xmp_metadata
    except (PyPdfError, ValueError, KeyError) as exc:
        return [f"the metadata cannot be read: {exc}"]
    if xmp is None:
        return ["the document has no XMP metadata"]
    pairs: list[tuple[str, Any, Any]] = [
        ("Producer", info.get("/Producer"), xmp.pdf_producer),
        ("Creator", info.get("/Creator"), xmp.xmp_creator_tool),
        ("Keywords", info.get("/Keywords"), xmp.pdf_keywords),
        ("Title", info.get("/Title"), (xmp.dc_title or {}).get("x-default")),
    ]
    try:
        created, modified = _utc(info.creation_date), _utc(info.modification_date)
        pairs.append(("CreationDate", created, _utc(xmp.xmp_create_date)))
        pairs.append(("ModDate", modified, _utc(xmp.xmp_modify_date)))
    except (ValueError, PyPdfError, AttributeError) as exc:
        return [f"the info dates cannot be read: {exc}"]
    return [f"{name}: info {a!r} vs XMP {b!r}" for name, a, b in pairs if a is not None and a != b]


def _utc(moment: datetime | None) -> datetime | None:
    """An instant comparable across info (``D:…Z``) and XMP (``…+00:00``) spellings."""
    if moment is None or moment.utcoffset() is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer: str
    trusted: bool
    signing_time: str
    signed_revision: int = 1  # 0 is the rendering
    timestamp: str | None = None  # the TSA's time (B-T), if the signature carries a token
    timestamp_trusted: bool = False
    certified: bool = False
    ltv: bool = False  # the document security store holds validation data


def _trust_roots(paths: Sequence[Path]) -> list[Any]:
    roots: list[Any] = []
    for path in paths:
        _readable(path, "trusted certificate")
        try:
            roots.append(load_cert_from_pemder(str(path)))  # type: ignore[no-untyped-call]
        except (ValueError, TypeError, OSError) as exc:
            raise ReportInputError(f"{path} is not a PEM or DER certificate: {exc}") from None
    return roots


_ALLOWED_AFTER = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)


def _coverage_ok(name: str, status: Any, certified: bool) -> None:
    """The signature covers the whole file, or only validation data (B-LT) was added after it.
    ``certified``: it is a certification signature (DocMDP), which names its own refusal."""
    coverage = status.coverage.name if status.coverage is not None else "UNCLEAR"
    if coverage == "ENTIRE_FILE":
        return
    level = status.modification_level
    if coverage == "ENTIRE_REVISION" and level in _ALLOWED_AFTER and status.docmdp_ok is not False:
        return
    if certified and status.docmdp_ok is False:
        raise ReportVerificationError(
            f"PDF signature {name!r} certifies the report with no changes allowed, and it was "
            f"changed after signing ({_level(level)})"
        )
    raise ReportVerificationError(
        f"PDF signature {name!r} does not cover the whole file: the report was changed after signing"
        + (f" ({_level(level)})" if level is not None else "")
    )


def _level(level: Any) -> str:
    names = {
        "FORM_FILLING": "form fields were filled in",
        "ANNOTATIONS": "annotations were added or changed",
        "OTHER": "the content or structure was changed",
    }
    return names.get(getattr(level, "name", ""), "changes pyHanko cannot classify")


def _timestamp(status: Any) -> tuple[str | None, bool]:
    ts = status.timestamp_validity
    if ts is None:
        return None, False
    if not ts.intact or not ts.valid:
        raise ReportVerificationError("the signature's RFC 3161 timestamp token does not validate")
    return ts.timestamp.isoformat(), bool(ts.trusted)


def check_signatures(data: bytes, trust: Sequence[Path] = ()) -> list[SignatureCheck]:
    """Every PDF signature: intact, cryptographically valid, covering the whole file (or followed
    only by validation data), and its timestamp token, if any, intact.

    With trusted certificates given, each signer (and TSA) must also chain to one of them.
    """
    roots = _trust_roots(trust)
    results = []
    with _quiet():
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            embedded = list(reader.embedded_signatures)
            has_dss = "/DSS" in reader.root
        except (PdfError, ValueError, KeyError) as exc:
            raise ReportVerificationError(f"the PDF's signature structures cannot be read: {exc}") from None
        for sig in embedded:
            context = ValidationContext(trust_roots=roots, allow_fetching=False)
            try:
                status = validate_pdf_signature(sig, context, ts_validation_context=context)
            except (SignatureValidationError, PdfError, ValueError, KeyError) as exc:
                raise ReportVerificationError(
                    f"PDF signature {sig.field_name!r} does not validate: {exc}"
                ) from None
            name = sig.field_name or "?"
            if not status.intact or not status.valid:
                raise ReportVerificationError(
                    f"PDF signature {name!r} is broken: the signed bytes were changed or it is invalid"
                )
            _coverage_ok(name, status, sig.docmdp_level is not None)
            if roots and not status.trusted:
                raise ReportVerificationError(f"PDF signature {name!r} is not by a trusted certificate")
            stamped, stamp_trusted = _timestamp(status)
            if roots and stamped is not None and not stamp_trusted:
                raise ReportVerificationError(
                    f"the timestamp on PDF signature {name!r} is not by a trusted TSA"
                )
            subject = status.signing_cert.subject.human_friendly if status.signing_cert is not None else "?"
            when = status.signer_reported_dt.isoformat() if status.signer_reported_dt else "-"
            results.append(
                SignatureCheck(
                    name,
                    subject,
                    bool(status.trusted),
                    when,
                    signed_revision=int(sig.signed_revision),
                    timestamp=stamped,
                    timestamp_trusted=stamp_trusted,
                    certified=sig.docmdp_level is not None,
                    ltv=has_dss,
                )
            )
    return results
