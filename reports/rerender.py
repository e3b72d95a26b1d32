"""Render a report again from its embedded evidence alone, and compare the pages with the file's.

Reports are deterministic: generating one (``reports.generate``) is a function of its evidence,
the checkpoint note, the newest entry the checkpoint covers (the report's date) and the software
that renders it. ``evidence.json`` carries all of these but the software, for every report type:
the release, scorecard and audit contexts are recomputed from its entries (``reports.kinds``),
the audit's extras (ledger verification, the earlier checkpoint) are in it too, and the newest
entry is always among its entries. So a verifier renders the report again, without the database,
and compares it with the file page by page. This catches what ``reports.tamper`` cannot: a file
rewritten from scratch (no incremental update, no annotation) whose pages draw something the
rendering did not, e.g. a white box over a figure.

What is compared, per page, is its content as drawn: the decoded content streams, and the page
dictionary with its resources (fonts, images, forms), streams decoded, object numbers ignored;
so a rewrite that only recompresses or renumbers objects passes. Left out: ``/Parent``, and
``/Annots`` (checked by ``reports.tamper``: links only, and the signature widget when signed;
and by ``reports.annotations``: the same links as the rendering's, and no actions).
A signed report is compared the same way: signing (an incremental update) adds the signature
widget to page 1's ``/Annots`` and touches no content, so its pages still equal the rendering.

The rendering software must be the one that made the report (the same templates, WeasyPrint and
fonts); a report from another version may not re-render to the same pages.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

from ledger.tlog.entry import parse_time
from reports.errors import ReportVerificationError
from reports.evidence import CheckedEvidence
from reports.generate import report_html
from reports.kinds import Recomputed
from reports.render import PdfJob, software_version, write_pdf
from reports.source import Snapshot

# Keys of a page left out of the comparison (see the module docstring for why).
_PAGE_SKIP = frozenset({"/Parent", "/Annots", "/Contents"})
# Keys of a stream dictionary that describe its encoding, not its content.
_STREAM_SKIP = frozenset({"/Length", "/Filter", "/DecodeParms"})

Canonical = str | tuple[object, ...]


@dataclass(frozen=True)
class Rerendered:
    """The result of a successful comparison: how many pages were compared."""

    pages: int
    identical_bytes: bool


def rerender(checked: CheckedEvidence, recomputed: Recomputed, raw: bytes) -> bytes:
    """The PDF the report's evidence renders to (``raw``: ``evidence.json`` as attached)."""
    ev = checked.evidence
    snapshot = Snapshot(ev.checkpoint, checked.checkpoint, ev.verifier_key, checked.entries)
    _title, html = report_html(snapshot, ev, recomputed, hashlib.sha256(raw).hexdigest())
    return write_pdf(PdfJob(html, raw, parse_time(snapshot.as_of))).data


def _canonical(obj: PdfObject | None, path: frozenset[int]) -> Canonical:
    """A comparable form of ``obj``: indirect objects followed (a cycle is cut at the object that
    repeats), streams decoded, dictionary keys sorted, encoding keys dropped."""
    if isinstance(obj, IndirectObject):
        if obj.idnum in path:
            return "<cycle>"
        path = path | {obj.idnum}
        obj = obj.get_object()
    if isinstance(obj, StreamObject):
        fields = tuple((k, _canonical(v, path)) for k, v in sorted(obj.items()) if k not in _STREAM_SKIP)
        return ("stream", fields, obj.get_data())
    if isinstance(obj, DictionaryObject):
        return ("dict", tuple((k, _canonical(v, path)) for k, v in sorted(obj.items())))
    if isinstance(obj, ArrayObject):
        return ("array", tuple(_canonical(v, path) for v in obj))
    return repr(obj)


def _page_content(reader: PdfReader, index: int) -> tuple[object, ...]:
    page = reader.pages[index]
    ref = page.indirect_reference
    path = frozenset({ref.idnum}) if ref is not None else frozenset()
    contents = page.get_contents()
    drawn = contents.get_data() if contents is not None else b""
    rest = tuple((k, _canonical(page.get(NameObject(k)), path)) for k in sorted(page) if k not in _PAGE_SKIP)
    return (drawn, rest)


def _open(data: bytes, what: str) -> PdfReader:
    try:
        return PdfReader(io.BytesIO(data), strict=False)
    except (PdfReadError, PyPdfError, ValueError, KeyError) as exc:
        raise ReportVerificationError(f"{what} cannot be read: {exc}") from None


def compare_pages(data: bytes, rendered: bytes) -> Rerendered:
    """Check that the file's pages are the rendering's: ReportVerificationError naming the page
    count, or the first page whose content differs, otherwise."""
    if data[: len(rendered)] == rendered:  # untouched, or signed right after rendering
        return Rerendered(len(_open(rendered, "the re-rendered report").pages), True)
    mine, theirs = _open(rendered, "the re-rendered report"), _open(data, "the PDF")
    try:
        if len(theirs.pages) != len(mine.pages):
            raise ReportVerificationError(
                f"the PDF has {len(theirs.pages)} pages but its evidence renders to {len(mine.pages)}: "
                f"it was changed after rendering{made_by_hint(theirs)}",
                expected=str(len(mine.pages)),
                actual=str(len(theirs.pages)),
            )
        for index in range(len(mine.pages)):
            if _page_content(theirs, index) != _page_content(mine, index):
                raise ReportVerificationError(
                    f"page {index + 1} differs from what the report's evidence renders to: "
                    f"its content was changed after rendering{made_by_hint(theirs)}"
                )
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ReportVerificationError(f"the PDF's pages cannot be read: {exc}") from None
    return Rerendered(len(mine.pages), False)


def made_by_hint(reader: PdfReader) -> str:
    """A hint when the report names another release as its maker: renderings differ between
    releases, so such a report is re-rendered exactly only by the release that made it; the
    hint names it. "" when the report names this release, or none."""
    try:
        metadata = reader.metadata
        made_by = str(metadata.get("/Creator", "")) if metadata is not None else ""
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError):
        return ""
    ours = f"Release Ledger {software_version()}"
    if not made_by or made_by == ours:
        return ""
    return (
        f" (or it was made by another release: the PDF says it was made by {made_by!r}, this is "
        f"{ours!r}; verify it with {made_by})"
    )
