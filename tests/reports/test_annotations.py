"""Links and actions (issue 12, part 5): a report rewritten with a link that draws, runs code,
moves or points elsewhere, or with a document action, fails ``report verify`` naming the page."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    StreamObject,
    TextStringObject,
)

from tests.reports.conftest import Demo

Attack = Callable[[PdfWriter], None]


def _name(n: str) -> NameObject:
    return NameObject(n)


def _action(kind: str, **members: str) -> DictionaryObject:
    action = DictionaryObject({_name("/Type"): _name("/Action"), _name("/S"): _name(f"/{kind}")})
    for key, value in members.items():
        action[_name(f"/{key}")] = TextStringObject(value)
    return action


def _first_link(writer: PdfWriter) -> DictionaryObject:
    """The first link the rendering made (the audit report has them on page 2, to each decision)."""
    for page in writer.pages:
        for item in page.get("/Annots") or []:
            annot = item.get_object()
            if annot.get("/Subtype") == "/Link":
                return annot
    raise AssertionError("the report has no link")


def with_appearance(writer: PdfWriter) -> None:
    """The link draws a white box and a verdict over the page: nothing else on the page changes."""
    box = StreamObject()
    box.set_data(b"q 1 1 1 rg 0 0 600 800 re f Q BT /F1 24 Tf 72 700 Td (GREEN) Tj ET")
    box.update({_name("/Type"): _name("/XObject"), _name("/Subtype"): _name("/Form")})
    box[_name("/BBox")] = ArrayObject([FloatObject(v) for v in (0, 0, 600, 800)])
    _first_link(writer)[_name("/AP")] = DictionaryObject({_name("/N"): writer._add_object(box)})


def with_javascript(writer: PdfWriter) -> None:
    link = _first_link(writer)
    del link["/Dest"]
    link[_name("/A")] = _action("JavaScript", JS="app.alert('approved')")


def with_launch(writer: PdfWriter) -> None:
    link = _first_link(writer)
    del link["/Dest"]
    link[_name("/A")] = _action("Launch", F="calc.exe")


def with_uri_chaining_javascript(writer: PdfWriter) -> None:
    link = _first_link(writer)
    del link["/Dest"]
    action = _action("URI", URI="https://example.org/")
    action[_name("/Next")] = _action("JavaScript", JS="app.alert(1)")
    link[_name("/A")] = action


def with_moved_rect(writer: PdfWriter) -> None:
    link = _first_link(writer)
    link[_name("/Rect")] = ArrayObject([FloatObject(v) for v in (0, 0, 600, 800)])


def with_other_destination(writer: PdfWriter) -> None:
    link = _first_link(writer)
    del link["/Dest"]
    link[_name("/A")] = _action("URI", URI="https://evil.example/approved")


def with_added_link(writer: PdfWriter) -> None:
    writer.pages[0][_name("/Annots")] = ArrayObject(
        [
            writer._add_object(
                DictionaryObject(
                    {
                        _name("/Type"): _name("/Annot"),
                        _name("/Subtype"): _name("/Link"),
                        _name("/Rect"): ArrayObject([FloatObject(v) for v in (72, 600, 540, 700)]),
                        _name("/A"): _action("URI", URI="https://evil.example/"),
                    }
                )
            )
        ]
    )


def with_open_action(writer: PdfWriter) -> None:
    writer._root_object[_name("/OpenAction")] = _action("JavaScript", JS="app.alert(1)")


def with_page_actions(writer: PdfWriter) -> None:
    writer.pages[0][_name("/AA")] = DictionaryObject({_name("/O"): _action("JavaScript", JS="1")})


def with_javascript_names(writer: PdfWriter) -> None:
    script = _action("JavaScript", JS="app.alert('approved');")
    names = writer._root_object["/Names"].get_object()
    names[_name("/JavaScript")] = DictionaryObject(
        {_name("/Names"): ArrayObject([TextStringObject("verdict"), writer._add_object(script)])}
    )


def with_bookmark_launch(writer: PdfWriter) -> None:
    outlines = writer._root_object["/Outlines"].get_object()
    first = outlines["/First"].get_object()
    first[_name("/A")] = _action("Launch", F="calc.exe")


ATTACKS: list[tuple[Attack, str]] = [
    (with_appearance, "page 2: a Link annotation carries an appearance stream (/AP)"),
    (with_javascript, "page 2: a Link annotation carries a JavaScript action"),
    (with_launch, "page 2: a Link annotation carries a Launch action"),
    (with_uri_chaining_javascript, "page 2: a Link annotation chains further actions (/Next)"),
    (with_moved_rect, "page 2, link 1 sits at [0.0, 0.0, 600.0, 800.0] but the rendering puts it at"),
    (with_other_destination, "page 2, link 1 goes to 'https://evil.example/approved' but the rendering's"),
    (with_added_link, "page 1 carries 1 annotations but the rendering makes 0"),
    (with_open_action, "the document catalog carries an open action (/OpenAction)"),
    (with_page_actions, "page 1 carries additional actions (/AA)"),
    (with_javascript_names, "the document carries a JavaScript name tree"),
    (with_bookmark_launch, "carries an action other than a jump inside the document"),
]


def rewrite(data: bytes, attack: Attack) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    attack(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("attack", "message"), ATTACKS, ids=[a.__name__ for a, _ in ATTACKS])
def test_an_altered_link_or_action_fails_verify_naming_it(
    demo: Demo, tmp_path: Path, attack: Attack, message: str
) -> None:
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(rewrite(demo.reports["audit"].read_bytes(), attack))
    run = demo.cli("report", "verify", altered, "--key", demo.key)
    assert run.code == 3, run.out
    assert message in run.err, run.err


def test_the_rewritten_report_with_its_links_untouched_verifies(demo: Demo, tmp_path: Path) -> None:
    """The control: the same rewrite with no attack passes, so each failure above is the attack's."""
    rewritten = tmp_path / "rewritten.pdf"
    rewritten.write_bytes(rewrite(demo.reports["audit"].read_bytes(), lambda _w: None))
    run = demo.cli("report", "verify", rewritten, "--key", demo.key)
    assert run.code == 0, run.err
    assert "links" in run.out, run.out
