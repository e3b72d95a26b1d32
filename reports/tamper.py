"""Was the report changed after it was rendered? Revisions and annotations, read structurally.

How a report is built decides what can be checked. WeasyPrint writes the whole PDF/A file in one
go: one revision (one cross-reference section) whose pages carry no annotations but links.
Signing appends exactly one incremental update (the signature), and B-LT one more (the
document security store), each checked by pyHanko (``reports.pdfsign``). So:

- an unsigned report must have one revision: any incremental update (the way annotation tools
  and editors change a PDF without rewriting it, and the overlay attack of issue 12) fails,
  and the message names what the update touches (which pages, which annotations);
- a signed report's first signature must sign revision 1, right after the rendering: an
  update slipped in before signing (then signed by anyone) fails;
- on every page, only the renderer's ``/Link`` annotations and, when signed, the signature
  widget may appear: a FreeText, Stamp, Square, … annotation fails even when the file was
  rewritten from scratch rather than updated.

Why not a digest of each page's content stream, recorded at render time? The evidence cannot
hold it (the pages print the evidence's SHA-256, so the digest would have to cover itself), and
a digest stored anywhere else in an unsigned file is rewritten by whoever rewrites the pages. It
would stop careless tools, not an attacker. What an unsigned report proves is what
``report verify`` recomputes: every figure from ledger-signed evidence, printed in the text.
A page changed by a rewrite of the whole file is caught by rendering the report again from its
evidence (``reports.rerender``); what lies outside the pages only a signature protects
(``--certify`` forbids even annotations), which is why verify says "unsigned" plainly.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from reports.errors import ReportVerificationError
from reports.pdfsign import SignatureCheck

RENDERER_ANNOTATIONS = frozenset({"/Link"})


def _pages(reader: PdfReader) -> dict[int, int]:
    """Object number of each page -> page number (1-based)."""
    return {
        page.indirect_reference.idnum: number
        for number, page in enumerate(reader.pages, start=1)
        if page.indirect_reference is not None
    }


def _named(reader: PdfReader) -> dict[int, str]:
    """Object numbers of the document-level objects an update may touch, with their names."""
    named: dict[int, str] = {}
    for key, name in (("/Root", "the document catalog"), ("/Info", "the document information")):
        ref = reader.trailer.get(key)
        if isinstance(ref, IndirectObject):
            named[ref.idnum] = name
    metadata = reader.root_object.get("/Metadata")
    if isinstance(metadata, IndirectObject):
        named[metadata.idnum] = "the XMP metadata"
    return named


def _kind(obj: object) -> str | None:
    if isinstance(obj, DictionaryObject) and (
        obj.get("/Type") == "/Annot" or ("/Subtype" in obj and "/Rect" in obj)
    ):
        return f"a {str(obj.get('/Subtype', '?')).lstrip('/')} annotation"
    if isinstance(obj, DictionaryObject) and obj.get("/Type") == "/XObject":
        return "an image or form"
    return None


def describe_update(reader: PdfReader, objects: Sequence[int]) -> str:
    """What one incremental update writes, in words: "page 1 (its content), a FreeText annotation,
    the XMP metadata, 2 other objects"."""
    pages = _pages(reader)
    named = _named(reader)
    contents: dict[int, int] = {}
    for idnum, number in pages.items():
        page = reader.get_object(idnum)
        ref = page.get("/Contents") if isinstance(page, DictionaryObject) else None  # unresolved
        listed = ref.get_object() if isinstance(ref, IndirectObject) else ref
        refs = list(listed) if isinstance(listed, ArrayObject) else [ref]
        contents.update({r.idnum: number for r in refs if isinstance(r, IndirectObject)})
    touched: set[int] = set()
    parts: list[str] = []
    other = 0
    for idnum in objects:
        try:
            obj = reader.get_object(idnum)
        except (PdfReadError, PyPdfError, ValueError, KeyError):
            obj = None
        kind = _kind(obj)
        if idnum in pages:
            touched.add(pages[idnum])
        elif idnum in contents:
            parts.append(f"content drawn on page {contents[idnum]}")
        elif idnum in named:
            parts.append(named[idnum])
        elif kind is not None:
            parts.append(kind)
        else:
            other += 1
    parts = [f"page {n}" for n in sorted(touched)] + parts
    if other:
        parts.append(f"{other} other object{'s' if other != 1 else ''}")
    return ", ".join(parts) or "nothing visible"


def _revisions(data: bytes) -> tuple[int, list[list[int]]]:
    """The number of revisions and, for each, the object numbers it writes (pyHanko's xref reader)."""
    try:
        xrefs = PdfFileReader(io.BytesIO(data), strict=False).xrefs
        total = int(xrefs.total_revisions)
        return total, [sorted(r.idnum for r in xrefs.explicit_refs_in_revision(n)) for n in range(total)]
    except (PdfError, ValueError, KeyError) as exc:
        raise ReportVerificationError(f"the PDF's cross-reference sections cannot be read: {exc}") from None


def check_revisions(data: bytes, signatures: Sequence[SignatureCheck]) -> None:
    """Raise :class:`ReportVerificationError` if the file was updated outside signing."""
    total, written = _revisions(data)
    if total <= 1:
        return
    first_signed = min((s.signed_revision for s in signatures), default=None)
    if first_signed == 1:
        return  # later revisions: each signature's coverage check allows only validation data
    reader = _reader(data)
    last = total if first_signed is None else first_signed
    changes = [describe_update(reader, written[rev]) for rev in range(1, last)]
    listed = "; ".join(f"update {n}: {what}" for n, what in enumerate(changes, start=1))
    if first_signed is None:
        raise ReportVerificationError(
            f"the report is unsigned and was changed after rendering: {len(changes)} incremental "
            f"update{'s' if len(changes) != 1 else ''} appended ({listed})"
        )
    raise ReportVerificationError(
        f"the report was changed after rendering and before it was signed ({listed})"
    )


def check_tail(data: bytes, signed: bool) -> None:
    """Nothing but whitespace may follow the last ``%%EOF``: a revision ends the file."""
    end = data.rfind(b"%%EOF")
    extra = len(data[end + 5 :].strip()) if end >= 0 else len(data)
    if extra:
        after = "the PDF signature's revision" if signed else "the rendering"
        raise ReportVerificationError(
            f"{extra} bytes were appended after the end of the PDF: the file was changed after {after}"
        )


def _reader(data: bytes) -> PdfReader:
    try:
        return PdfReader(io.BytesIO(data), strict=False)
    except (PdfReadError, PyPdfError, ValueError, KeyError) as exc:
        raise ReportVerificationError(f"the PDF cannot be read: {exc}") from None


def check_annotations(reader: PdfReader, signed: bool) -> None:
    """Only the renderer's links (and, when signed, the signature's widget) may sit on a page."""
    try:
        for number, page in enumerate(reader.pages, start=1):
            annots = page.get("/Annots")
            annots = annots.get_object() if isinstance(annots, IndirectObject) else annots
            for item in annots if isinstance(annots, ArrayObject) else []:
                annot = item.get_object()
                if not isinstance(annot, DictionaryObject):
                    continue
                subtype = str(annot.get("/Subtype", "?"))
                if subtype in RENDERER_ANNOTATIONS:
                    continue
                if signed and subtype == "/Widget" and annot.get("/FT") == "/Sig":
                    continue
                raise ReportVerificationError(
                    f"page {number} carries a {subtype.lstrip('/')} annotation the renderer never "
                    f"makes{_contents(annot)}: the report was changed after rendering"
                )
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ReportVerificationError(f"the PDF's annotations cannot be read: {exc}") from None


def _contents(annot: DictionaryObject) -> str:
    text = annot.get("/Contents")
    return f' ("{str(text)[:80]}")' if text else ""
