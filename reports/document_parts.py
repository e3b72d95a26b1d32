"""The parts of a report a viewer shows outside its pages, compared with the rendering's.

``reports.rerender`` compares what each page draws and ``reports.annotations`` its links; a
file rewritten from scratch could still set the document title a viewer shows in its title
bar ("VERDICT: GREEN - approved", with ``/DisplayDocTitle``), add a bookmark named with a false
verdict and open on it (``/PageMode /UseOutlines``). So these parts must be the rendering's:

- the Info dictionary, every entry, and the XMP metadata stream, byte for byte: dates included,
  since the rendering reproduces them (the report's date is its newest entry's,
  ``reports.rerender``);
- the outline: its count, and per bookmark, in order and depth, the title, the destination or
  action (pages as page numbers), the count, colour and style;
- the catalog: exactly the rendering's keys (so no ``/AcroForm``, XFA, ``/Collection``,
  ``/Dests``, ``/URI`` or structure tree it lacks), each with the rendering's value (the output
  intent's ICC profile, ``/AF`` and the files it names, ``/Lang``, ...), and ``/Names`` but its
  embedded files, whose names must be the rendering's (the evidence itself is checked by
  ``reports.verify``);
- each page: exactly the rendering's keys, and the same boxes, rotation, unit and thumbnail.
"""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject, StreamObject

from reports.errors import ReportVerificationError

_CATALOG = ("/PageMode", "/PageLayout", "/ViewerPreferences", "/PageLabels", "/OpenAction", "/Lang")
_ITEM = ("/Dest", "/A", "/Count", "/C", "/F")
# Catalog keys compared on their own: the page tree by re-rendering (reports.rerender), the
# outline, the names and the XMP metadata below.
_CATALOG_ELSEWHERE = frozenset({"/Pages", "/Outlines", "/Names", "/Metadata"})
# What a page dictionary holds beside its content that changes how it is shown.
_PAGE_VIEW = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox", "/Rotate", "/UserUnit", "/Thumb")
_MAX_BOOKMARKS = 10_000  # a loop in /Next links is cut here, and reported as a difference

Part = tuple[str, object]


def _dict(obj: PdfObject | None) -> DictionaryObject:
    """``obj`` resolved, as a dictionary (an empty one for None); TypeError if it is not one."""
    if obj is None:
        return DictionaryObject()
    found = obj.get_object()
    if not isinstance(found, DictionaryObject):
        raise TypeError(f"a dictionary was expected, not {type(found).__name__}")
    return found


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.pdf = PdfReader(io.BytesIO(data), strict=False)
        self.pages = {
            p.indirect_reference.idnum: n
            for n, p in enumerate(self.pdf.pages)
            if p.indirect_reference is not None
        }

    def canonical(self, obj: PdfObject | None, seen: frozenset[int] = frozenset()) -> object:
        """A comparable form of ``obj``: pages as their numbers, other indirect objects followed
        (a cycle cut), streams decoded, dictionary keys sorted, /Parent left out."""
        if isinstance(obj, IndirectObject):
            if obj.idnum in self.pages:
                return ("page", self.pages[obj.idnum] + 1)
            if obj.idnum in seen:
                return "<cycle>"
            seen = seen | {obj.idnum}
            obj = obj.get_object()
        if isinstance(obj, StreamObject):
            fields = tuple(
                (k, self.canonical(v, seen))
                for k, v in sorted(obj.items())
                if k not in ("/Length", "/Filter", "/DecodeParms")
            )
            return ("stream", fields, obj.get_data())
        if isinstance(obj, DictionaryObject):
            return tuple((k, self.canonical(v, seen)) for k, v in sorted(obj.items()) if k != "/Parent")
        if isinstance(obj, ArrayObject):
            return tuple(self.canonical(v, seen) for v in obj)
        return str(obj) if obj is not None else None

    def parts(self) -> list[Part]:
        info = _dict(self.pdf.trailer.get("/Info"))
        catalog = _dict(self.pdf.trailer["/Root"])
        out: list[Part] = [("the Info entries", tuple(sorted(info)))]
        out.extend((f"Info {k}", self.canonical(v)) for k, v in sorted(info.items()))
        metadata = catalog.get("/Metadata")
        xmp = metadata.get_object() if metadata is not None else None
        out.append(("the XMP metadata", xmp.get_data() if isinstance(xmp, StreamObject) else repr(xmp)))
        # An allow-list, not a deny-list: the catalog holds exactly the rendering's keys, and each
        # is the rendering's (those with their own comparison below excepted).
        out.append(("the catalog's keys", tuple(sorted(catalog))))
        keys = sorted({*_CATALOG, *catalog} - _CATALOG_ELSEWHERE)
        out.extend((f"the catalog's {k}", self.canonical(catalog.get(k))) for k in keys)
        for number, page in enumerate(self.pdf.pages, start=1):
            out.append((f"page {number}'s keys", tuple(sorted(page))))
            out.extend((f"page {number}'s {k}", self.canonical(page.get(k))) for k in _PAGE_VIEW)
        names_dict = _dict(catalog.get("/Names"))
        out.append(
            (
                "the catalog's /Names",
                tuple((k, self.canonical(v)) for k, v in sorted(names_dict.items()) if k != "/EmbeddedFiles"),
            )
        )
        out.append(("the embedded files' names", tuple(sorted(self.pdf.attachments))))
        out.extend(self._outline(catalog.get("/Outlines")))
        return out

    def _outline(self, root: PdfObject | None) -> list[Part]:
        if root is None:
            return [("the outline", None)]
        top = _dict(root)
        out: list[Part] = []
        stack: list[tuple[PdfObject | None, int]] = [(top.get("/First"), 0)]
        number = 0
        while stack:
            item, depth = stack.pop()
            if item is None:
                continue
            number += 1
            if number > _MAX_BOOKMARKS:
                return [*out, ("the outline", "more than 10000 bookmarks (a loop?)")]
            node = _dict(item)
            where = f"bookmark {number}"
            out.append((f"{where}'s depth", depth))
            out.append((f"{where}'s title", self.canonical(node.get("/Title"))))
            out.extend((f"{where}'s {k}", self.canonical(node.get(k))) for k in _ITEM)
            stack.append((node.get("/Next"), depth))  # after its children
            stack.append((node.get("/First"), depth + 1))
        # counts first, so a bookmark added or removed is named as such
        return [
            ("the outline's /Count", self.canonical(top.get("/Count"))),
            ("the number of bookmarks", number),
            *out,
        ]


def _parts(data: bytes, what: str) -> list[Part]:
    try:
        return _Reader(data).parts()
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReportVerificationError(f"{what}'s document parts cannot be read: {exc}") from None


def compare_document_parts(data: bytes, rendered: bytes) -> str:
    """Check the parts of the module docstring: ReportVerificationError naming the first that
    differs from the rendering's; otherwise the line saying they were checked."""
    ok = "metadata, bookmarks and viewer settings are the rendering's"
    if data[: len(rendered)] == rendered:  # untouched, or signed right after rendering
        return ok
    theirs, mine = _parts(data, "the PDF"), _parts(rendered, "the re-rendered report")
    for (name, value), (want_name, want) in zip(theirs, mine, strict=False):
        if name != want_name:  # the outline is there in one and not the other
            raise ReportVerificationError(
                f"the PDF has {name} where the rendering has {want_name}: it was changed after rendering"
            )
        if value != want:
            raise ReportVerificationError(
                f"{name} differs from what the report's evidence renders to (the PDF has "
                f"{_short(value)}, the rendering {_short(want)}): it was changed after rendering"
            )
    if len(theirs) != len(mine):
        extra = theirs[len(mine)][0] if len(theirs) > len(mine) else mine[len(theirs)][0]
        raise ReportVerificationError(
            f"{extra}: the PDF has more or fewer than its evidence renders to, it was changed after rendering"
        )
    return ok


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
