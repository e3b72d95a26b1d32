"""``rledger report verify``: check a report PDF offline against the ledger's verifier key.

1. the PDF signature, if there is one (intact, valid, covering the whole file or followed only
   by validation data; its timestamp, if any; trusted if certificates to trust are given), and
   that the file was not changed after rendering: no incremental update but the signature's, no
   annotation the renderer never makes (``reports.tamper``);
2. the embedded ``evidence.json``: present exactly once, the checkpoint's signature under the
   given key, every inclusion proof, the chain links, the consistency proof if any
   (``reports.evidence``); no entry left out of the range it declares, and the audit's
   ``ledger_verification`` block against the checkpoint and the entries
   (``reports.completeness``);
3. the figures: recomputed from the embedded entries, they must equal the ones embedded,
   and each (label and value) and the SHA-256 of ``evidence.json`` must appear in the text
   of the PDF; and the report, rendered again from the evidence alone, must draw on each page
   what the file's page draws (``reports.rerender``) and carry the same links, with no action
   that runs anything (``reports.annotations``), and the same metadata, bookmarks and viewer
   settings (``reports.document_parts``);
4. every checkpoint the auditor kept (``--checkpoint``), with any consistency proofs given
   (``--proof``): consistent with every checkpoint the report carries (``reports.kept``);
5. with witness keys (``--witness``, ``--quorum``): the report's checkpoint, and the earlier
   ``--since-checkpoint`` one if it carries any signature line besides the log's, each carry
   valid cosignature/v1 lines from at least ``quorum`` distinct given witnesses
   (``ledger.tlog.witnessed.check_quorum``).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader, apply_configuration, get_configuration
from pypdf.errors import PdfReadError, PyPdfError

from ledger.errors import FormatError
from ledger.tlog.cosignature import CosignatureVerifier, parse_signature_line
from ledger.tlog.note import Verifier
from ledger.tlog.witnessed import QuorumError, Witnessed, check_quorum, distinct, split_note
from reports.annotations import compare_annotations
from reports.completeness import Completeness, check_completeness, check_ledger_verification
from reports.document_parts import compare_document_parts
from reports.errors import ReportInputError, ReportVerificationError
from reports.evidence import (
    ATTACHMENT_NAME,
    UNPROVEN_FORMATS,
    CheckedEvidence,
    Figure,
    parse_evidence,
    verify_evidence,
)
from reports.kept import ConsistencyProof, KeptCheck, KeptCheckpoint, check_kept
from reports.kinds import recompute
from reports.pdfsign import SignatureCheck, check_signatures
from reports.rerender import Rerendered, compare_pages, rerender
from reports.tamper import check_annotations, check_revisions, check_tail

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Text as compared: without any whitespace (layout breaks lines anywhere in a hash)."""
    return _SPACE.sub("", text)


@dataclass(frozen=True)
class VerifiedReport:
    report_type: str
    checkpoint_size: int
    checkpoint_root: bytes
    entries: int
    figures: int
    evidence_sha256: str
    signatures: list[SignatureCheck]
    earlier_checkpoint_size: int | None
    earlier_checkpoint_root: bytes | None = None
    kept: tuple[KeptCheck, ...] = ()
    witnessed: tuple[WitnessedCheckpoint, ...] = ()
    pages: Rerendered | None = None
    links: int = 0
    completeness: Completeness | None = None
    ledger_verification: dict[str, Any] | None = None
    # the evidence's format when it proves no completeness and the caller accepted that
    unproven_format: str | None = None
    document_parts: str = ""  # what reports.document_parts found the same as rendered


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """A checkpoint the report relies on, and which of the given witnesses cosigned it."""

    what: str  # "the report's checkpoint" or "the earlier checkpoint"
    size: int
    found: Witnessed
    quorum: int

    def summary(self) -> str:
        total = len(self.found.verified) + len(self.found.missing)
        return (
            f"checkpoint of size {self.size}: cosigned by {len(self.found.verified)} of {total} "
            f"witnesses (quorum {self.quorum})"
        )


def read_pdf_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReportInputError(f"{path} does not exist") from None
    except OSError as exc:
        raise ReportInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data.startswith(b"%PDF-"):
        raise ReportInputError(f"{path} is not a PDF")
    return data


def _open(data: bytes) -> PdfReader:
    try:
        return PdfReader(io.BytesIO(data), strict=False)
    except (PdfReadError, PyPdfError, ValueError, KeyError) as exc:
        raise ReportVerificationError(f"the PDF cannot be read: {exc}") from None


# pypdf refuses to read a stream declared, or decompressing to, more than 75 MB (a guard against
# decompression bombs). An audit's evidence embeds every entry of its period, so a large one is
# bigger than that (810 MB in a 30 MB PDF at 100,000 decisions): for the attachment alone the
# limit grows with the file, EVIDENCE_EXPANSION times its size, never past EVIDENCE_LIMIT. A
# bomb uploaded under the web app's 16 MiB body cap can then claim at most about 1 GiB.
EVIDENCE_LIMIT = 4 * 2**30
EVIDENCE_EXPANSION = 64
DEFAULT_STREAM_LIMIT = 75_000_000


def evidence_limit(pdf_bytes: int) -> int:
    """Bytes the attachment may decompress to, for a PDF of ``pdf_bytes`` bytes."""
    return min(EVIDENCE_LIMIT, max(DEFAULT_STREAM_LIMIT, EVIDENCE_EXPANSION * pdf_bytes))


def _evidence_bytes(reader: PdfReader, pdf_bytes: int) -> bytes:
    limit = evidence_limit(pdf_bytes)
    limits = get_configuration().with_overwrites(
        zlib_maximum_output_length=limit,
        maximum_declared_stream_length=limit,
        stream_decoding_work_maximum_length=limit,
    )
    try:
        with apply_configuration(limits):
            found = list(reader.attachments.get(ATTACHMENT_NAME, []))
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ReportVerificationError(f"the PDF's attachments cannot be read: {exc}") from None
    if not found:
        raise ReportVerificationError(
            f"the PDF has no {ATTACHMENT_NAME} attached: it is not a verifiable report"
        )
    if len(found) > 1:
        raise ReportVerificationError(f"the PDF has {len(found)} attachments named {ATTACHMENT_NAME}")
    return bytes(found[0])


def _text(reader: PdfReader) -> str:
    try:
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ReportVerificationError(f"the PDF's text cannot be read: {exc}") from None


def _compare(embedded: list[Figure], recomputed: list[Figure]) -> None:
    mine = {f.name: f for f in recomputed}
    theirs = {f.name: f for f in embedded}
    for name, figure in mine.items():
        other = theirs.get(name)
        if other is None:
            raise ReportVerificationError(f"figure {figure.label!r} is missing from evidence.json")
        if other != figure:
            raise ReportVerificationError(
                f"figure {figure.label!r} does not match the entries",
                expected=figure.value,
                actual=other.value,
            )
    extra = sorted(set(theirs) - set(mine))
    if extra:
        raise ReportVerificationError(
            f"evidence.json has figures its entries do not give: {', '.join(extra)}"
        )


def _in_text(figures: list[Figure], evidence_sha256: str, text: str) -> None:
    flat = normalize(text)
    if evidence_sha256 not in flat:
        raise ReportVerificationError(
            "the document does not print the SHA-256 of its evidence.json: the evidence was replaced"
        )
    for f in figures:
        if normalize(f.value) not in flat or normalize(f"{f.label}{f.value}") not in flat:
            raise ReportVerificationError(
                f"the document does not print {f.label} = {f.value} as its entries give"
            )


def verify_report(
    data: bytes,
    verifier_key: str,
    *,
    trust: Sequence[Path] = (),
    require_signature: bool = False,
    kept: Sequence[KeptCheckpoint] = (),
    proofs: Sequence[ConsistencyProof] = (),
    witnesses: Sequence[CosignatureVerifier] = (),
    quorum: int | None = None,
    accept_unproven_completeness: bool = False,
) -> VerifiedReport:
    """Every check of the module docstring, in order; ReportVerificationError on the first
    failure (ReportInputError if ``data`` is not a PDF). Evidence of a format that does not
    prove completeness (format 1, no range) is refused unless ``accept_unproven_completeness``:
    an operator could switch a report to it to leave entries out (docs/formats.md §10A)."""
    if not data.startswith(b"%PDF-"):
        raise ReportInputError("the file is not a PDF")
    signatures = check_signatures(data, trust)
    if require_signature and not signatures:
        raise ReportVerificationError("the PDF carries no signature, and one was required")
    check_tail(data, signed=bool(signatures))
    check_revisions(data, signatures)
    reader = _open(data)
    check_annotations(reader, signed=bool(signatures))
    raw = _evidence_bytes(reader, len(data))
    parsed = parse_evidence(raw)
    unproven = parsed.format if parsed.format in UNPROVEN_FORMATS else None
    if unproven is not None and not accept_unproven_completeness:
        raise ReportVerificationError(
            f"its evidence.json is {unproven}, a format that does not prove that no entry was left "
            "out of the report; remake the report with this rledger, or pass "
            "--accept-unproven-completeness to verify it anyway"
        )
    checked = verify_evidence(parsed, verifier_key)
    again = recompute(checked)
    completeness = check_completeness(checked)
    verification = check_ledger_verification(checked, again, completeness)
    _compare(checked.evidence.figures, again.figures)
    digest = hashlib.sha256(raw).hexdigest()
    _in_text(again.figures, digest, _text(reader))
    rendered = rerender(checked, again, raw)
    # Links and actions first: a page whose /AA was added should be named for that, not "differs".
    links = compare_annotations(data, rendered, signed=bool(signatures))
    pages = compare_pages(data, rendered)
    parts = compare_document_parts(data, rendered)
    # verify_evidence has already parsed the key
    log = Verifier.parse(verifier_key)
    kept_checks = tuple(check_kept(checked, log, k, proofs) for k in kept)
    witnessed = _check_witnesses(checked, log, witnesses, quorum) if witnesses else ()
    old = checked.old_checkpoint
    return VerifiedReport(
        report_type=checked.evidence.report_type,
        checkpoint_size=checked.checkpoint.size,
        checkpoint_root=checked.checkpoint.root,
        entries=len(checked.entries),
        figures=len(again.figures),
        evidence_sha256=digest,
        signatures=signatures,
        earlier_checkpoint_size=old.size if old else None,
        earlier_checkpoint_root=old.root if old else None,
        kept=kept_checks,
        witnessed=witnessed,
        pages=pages,
        links=links,
        completeness=completeness,
        ledger_verification=verification,
        unproven_format=unproven,
        document_parts=parts,
    )


def _cosigned(note: str, log: Verifier) -> bool:
    """Whether a (verified) note carries a signature line other than the log's own."""
    _, lines = split_note(note)
    for line in lines:
        name, raw = parse_signature_line(line)
        if name != log.name or raw[:4] != log.key_id:
            return True
    return False


def _check_witnesses(
    checked: CheckedEvidence, log: Verifier, witnesses: Sequence[CosignatureVerifier], quorum: int | None
) -> tuple[WitnessedCheckpoint, ...]:
    """Step 5 of the module docstring; ReportVerificationError naming the checkpoint, how many
    witnesses verified and which were missing when one is short of the quorum."""
    relied = [("the report's checkpoint", checked.evidence.checkpoint, checked.checkpoint.size)]
    consistency = checked.evidence.consistency
    if consistency is not None and checked.old_checkpoint is not None:
        old_note = str(consistency["old_checkpoint"])
        if _cosigned(old_note, log):
            relied.append(("the earlier checkpoint", old_note, checked.old_checkpoint.size))
    needed = quorum or len(distinct(witnesses))
    out = []
    for what, note, size in relied:
        try:
            found = check_quorum(note, witnesses, needed)
        except QuorumError as exc:
            raise ReportVerificationError(f"{what} (size {size}): {exc}") from None
        except FormatError as exc:  # a quorum the given keys cannot reach: the caller's input
            raise ReportInputError(str(exc)) from None
        out.append(WitnessedCheckpoint(what, size, found, needed))
    return tuple(out)
