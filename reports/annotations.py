"""Links and actions: a report's annotations must be the rendering's, and nothing may run code.

``reports.tamper`` admits only ``/Link`` annotations (and a signature's widget), but a link can
draw anything (an ``/AP`` appearance stream), launch a program or run JavaScript (an ``/A``
action), or point somewhere the rendering never pointed. So the file's links are compared with
those of the report rendered again from its evidence (``reports.rerender``), page by page:

- the same number of links, each with the same subtype, the same ``/Rect`` (within
  :data:`RECT_TOLERANCE` points, as a rewrite may round numbers), the same destination
  (``/Dest`` name, or ``/URI`` of a ``/URI`` action) and no keys the rendering's lacks;
- never an appearance stream (``/AP``), an action other than ``/URI`` (JavaScript, Launch,
  GoToR, SubmitForm, Named, ...), or additional actions (``/AA``) on a link.

The document itself must not run anything either: no ``/OpenAction`` or ``/AA`` on the catalog
or any page, no ``/JavaScript`` name tree, and the outline (bookmarks) only jumps inside the
document (``/Dest``, or a ``/GoTo`` action). Errors name the page and what is wrong.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from reports.errors import ReportVerificationError
from reports.rerender import made_by_hint

RECT_TOLERANCE = 0.5  # points (1/72 inch)
# What a rendered link may carry; /P (the page it sits on) is not compared.
_IGNORED = frozenset({"/P"})
_MAX_OUTLINE_ITEMS = 100_000


def _resolve(obj: PdfObject | None) -> PdfObject | None:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _links(page: DictionaryObject, signed: bool) -> list[DictionaryObject]:
    """The page's annotations, less a signature's widget when the report is signed."""
    annots = _resolve(page.get("/Annots"))
    out = []
    for item in annots if isinstance(annots, ArrayObject) else []:
        annot = _resolve(item)
        if not isinstance(annot, DictionaryObject):
            continue
        if signed and annot.get("/Subtype") == "/Widget" and annot.get("/FT") == "/Sig":
            continue
        out.append(annot)
    return out


def _action(annot: DictionaryObject) -> DictionaryObject | None:
    action = _resolve(annot.get("/A"))
    return action if isinstance(action, DictionaryObject) else None


def _target(annot: DictionaryObject) -> str:
    """Where a link goes, in words: ``#name`` for a destination, the URI for a URI action."""
    action = _action(annot)
    if action is not None:
        return str(action.get("/URI", ""))
    dest = _resolve(annot.get("/Dest"))
    return f"#{dest}" if dest is not None else ""


def _rect(annot: DictionaryObject) -> tuple[float, ...]:
    rect = _resolve(annot.get("/Rect"))
    if not isinstance(rect, ArrayObject) or len(rect) != 4:
        return ()
    return tuple(float(_resolve(v)) for v in rect)  # type: ignore[arg-type]


def _refuse_active(number: int, annot: DictionaryObject) -> None:
    """An appearance stream, a non-URI action or additional actions on a link: never rendered."""
    subtype = str(annot.get("/Subtype", "?")).lstrip("/")
    where = f"page {number}: a {subtype} annotation"
    if "/AP" in annot:
        raise ReportVerificationError(
            f"{where} carries an appearance stream (/AP) that can draw anything: the renderer never makes one"
        )
    if "/AA" in annot:
        raise ReportVerificationError(
            f"{where} carries additional actions (/AA): the renderer never makes them"
        )
    action = _action(annot)
    if "/A" in annot and (action is None or action.get("/S") != "/URI"):
        kind = str(action.get("/S", "?")).lstrip("/") if action is not None else "unreadable"
        raise ReportVerificationError(
            f"{where} carries a {kind} action: only links to a URI or a destination are rendered"
        )
    if action is not None and "/Next" in action:
        raise ReportVerificationError(
            f"{where} chains further actions (/Next): the renderer never makes them"
        )


def _compare_link(
    number: int, position: int, theirs: DictionaryObject, mine: DictionaryObject, hint: str
) -> None:
    """One link against the rendering's; ``hint`` (``rerender.made_by_hint``) ends each message."""
    what = f"page {number}, link {position}"
    if theirs.get("/Subtype") != mine.get("/Subtype"):
        raise ReportVerificationError(
            f"{what} is a {str(theirs.get('/Subtype', '?')).lstrip('/')} annotation but the rendering "
            f"makes a {str(mine.get('/Subtype', '?')).lstrip('/')} there{hint}"
        )
    a, b = _rect(theirs), _rect(mine)
    if len(a) != 4 or any(abs(x - y) > RECT_TOLERANCE for x, y in zip(a, b, strict=False)):
        raise ReportVerificationError(
            f"{what} sits at {list(a)} but the rendering puts it at {list(b)}{hint}",
            expected=str(list(b)),
            actual=str(list(a)),
        )
    if _target(theirs) != _target(mine):
        raise ReportVerificationError(
            f"{what} goes to {_target(theirs)!r} but the rendering's goes to {_target(mine)!r}{hint}",
            expected=_target(mine),
            actual=_target(theirs),
        )
    extra = sorted(set(theirs) - set(mine) - _IGNORED)
    if extra:
        raise ReportVerificationError(
            f"{what} carries {', '.join(extra)}, which the rendering's does not{hint}"
        )


def _refuse_document_actions(reader: PdfReader) -> None:
    root = reader.root_object
    for key, what in (("/OpenAction", "an open action (/OpenAction)"), ("/AA", "additional actions (/AA)")):
        if key in root:
            raise ReportVerificationError(
                f"the document catalog carries {what}: the renderer never makes one"
            )
    names = _resolve(root.get("/Names"))
    if isinstance(names, DictionaryObject) and "/JavaScript" in names:
        raise ReportVerificationError(
            "the document carries a JavaScript name tree: the renderer never makes one"
        )
    for number, page in enumerate(reader.pages, start=1):
        if "/AA" in page:
            raise ReportVerificationError(
                f"page {number} carries additional actions (/AA): the renderer never makes them"
            )
    for item in _outline_items(_resolve(root.get("/Outlines"))):
        action = _action(item)
        if "/AA" in item or ("/A" in item and (action is None or action.get("/S") != "/GoTo")):
            title = str(item.get("/Title", "?"))[:80]
            raise ReportVerificationError(
                f"the bookmark {title!r} carries an action other than a jump inside the document"
            )


def _outline_items(outlines: PdfObject | None) -> Iterator[DictionaryObject]:
    """Every outline item, depth first; a cycle or an absurd count stops the walk."""
    seen: set[int] = set()
    stack = [outlines.get("/First")] if isinstance(outlines, DictionaryObject) else []
    while stack and len(seen) < _MAX_OUTLINE_ITEMS:
        ref = stack.pop()
        if isinstance(ref, IndirectObject):
            if ref.idnum in seen:
                continue
            seen.add(ref.idnum)
        item = _resolve(ref)
        if not isinstance(item, DictionaryObject):
            continue
        yield item
        stack.extend(x for x in (item.get("/Next"), item.get("/First")) if x is not None)


def compare_annotations(data: bytes, rendered: bytes, signed: bool) -> int:
    """Check the file's links and actions against the rendering's (module docstring); return how
    many links were compared. ReportVerificationError naming the page and the problem otherwise."""
    try:
        theirs, mine = (
            PdfReader(io.BytesIO(data), strict=False),
            PdfReader(io.BytesIO(rendered), strict=False),
        )
        _refuse_document_actions(theirs)
        hint = made_by_hint(theirs)
        compared = 0
        for number, (page, other) in enumerate(zip(theirs.pages, mine.pages, strict=False), start=1):
            found, expected = _links(page, signed), _links(other, False)
            for annot in found:
                _refuse_active(number, annot)
            if len(found) != len(expected):
                raise ReportVerificationError(
                    f"page {number} carries {len(found)} annotations but the rendering makes "
                    f"{len(expected)}{hint}",
                    expected=str(len(expected)),
                    actual=str(len(found)),
                )
            for position, (a, b) in enumerate(zip(found, expected, strict=True), start=1):
                _compare_link(number, position, a, b, hint)
            compared += len(found)
        return compared
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ReportVerificationError(f"the PDF's annotations cannot be read: {exc}") from None
