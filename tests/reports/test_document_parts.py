"""Parts outside the pages (the attacker review, finding 3): a report rewritten from scratch with
a false verdict in its title, a bookmark or the viewer's settings fails ``report verify`` naming
the part, and the same rewrite with nothing changed passes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from tests.reports.conftest import Demo
from tests.reports.test_annotations import Attack, rewrite

VERDICT = "VERDICT: GREEN - approved"


def _name(n: str) -> NameObject:
    return NameObject(n)


def with_title(writer: PdfWriter) -> None:
    writer.add_metadata({"/Title": VERDICT})


def with_display_doc_title(writer: PdfWriter) -> None:
    prefs = DictionaryObject({_name("/DisplayDocTitle"): BooleanObject(True)})
    writer._root_object[_name("/ViewerPreferences")] = prefs


def with_bookmark_verdict(writer: PdfWriter) -> None:
    writer.add_outline_item(title=VERDICT, page_number=0)


def with_renamed_bookmark(writer: PdfWriter) -> None:
    first = writer._root_object["/Outlines"].get_object()["/First"].get_object()
    first[_name("/Title")] = TextStringObject(VERDICT)


def with_page_mode(writer: PdfWriter) -> None:
    writer._root_object[_name("/PageMode")] = _name("/UseOutlines")


def with_page_labels(writer: PdfWriter) -> None:
    label = DictionaryObject({_name("/P"): TextStringObject("APPROVED ")})
    nums = ArrayObject([NumberObject(0), label])
    writer._root_object[_name("/PageLabels")] = DictionaryObject({_name("/Nums"): nums})


def with_xmp_title(writer: PdfWriter) -> None:
    metadata = writer._root_object["/Metadata"].get_object()
    data = metadata.get_data()
    metadata.set_data(data.replace(b"</rdf:RDF>", f"<!-- {VERDICT} --></rdf:RDF>".encode()))


def with_xfa_form(writer: PdfWriter) -> None:
    """An XFA form, which some viewers draw instead of the pages (the second review, finding 1)."""
    xfa = DecodedStreamObject()
    xfa.set_data(f"<xdp:xdp><template>{VERDICT}</template></xdp:xdp>".encode())
    form = DictionaryObject({_name("/Fields"): ArrayObject(), _name("/XFA"): writer._add_object(xfa)})
    writer._root_object[_name("/AcroForm")] = writer._add_object(form)
    writer._root_object[_name("/NeedsRendering")] = BooleanObject(True)


def with_collection(writer: PdfWriter) -> None:
    writer._root_object[_name("/Collection")] = DictionaryObject({_name("/View"): _name("/T")})


def with_another_output_intent(writer: PdfWriter) -> None:
    """The same keys, another colour profile: a viewer would show the bands' colours otherwise."""
    intent = writer._root_object["/OutputIntents"][0].get_object()
    intent[_name("/OutputConditionIdentifier")] = TextStringObject("a swapped-channel profile")


def with_a_thumbnail(writer: PdfWriter) -> None:
    thumb = DecodedStreamObject()
    thumb.set_data(b"\x00" * 12)
    thumb.update({_name("/Width"): NumberObject(2), _name("/Height"): NumberObject(2)})
    writer.pages[0][_name("/Thumb")] = writer._add_object(thumb)


ATTACKS: list[tuple[Attack, str]] = [
    (with_title, f"Info /Title differs from what the report's evidence renders to (the PDF has '{VERDICT}'"),
    (with_display_doc_title, "the catalog's keys differs"),
    (with_bookmark_verdict, "the outline's /Count differs"),
    (
        with_renamed_bookmark,
        f"bookmark 1's title differs from what the report's evidence renders to (the PDF has '{VERDICT}'",
    ),
    (with_page_mode, "the catalog's keys differs"),
    (with_page_labels, "the catalog's keys differs"),
    (with_xfa_form, "the catalog's keys differs"),
    (with_collection, "the catalog's keys differs"),
    (with_another_output_intent, "the catalog's /OutputIntents differs"),
    (with_a_thumbnail, "page 1 differs from what the report's evidence renders to"),  # pages first
    (with_xmp_title, "the XMP metadata differs"),
]


@pytest.mark.parametrize(("attack", "message"), ATTACKS, ids=[a.__name__ for a, _ in ATTACKS])
def test_a_changed_part_outside_the_pages_fails_verify_naming_it(
    demo: Demo, tmp_path: Path, attack: Attack, message: str
) -> None:
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(rewrite(demo.reports["audit"].read_bytes(), attack))
    run = demo.cli("report", "verify", altered, "--key", demo.key)
    assert run.code == 3, run.out
    assert message in run.err, run.err


def test_all_of_the_forgery_at_once_fails_and_the_plain_rewrite_passes_saying_what_was_checked(
    demo: Demo, tmp_path: Path
) -> None:
    def everything(writer: PdfWriter) -> None:
        for attack, _ in ATTACKS:
            attack(writer)

    forged = tmp_path / "forged.pdf"
    forged.write_bytes(rewrite(demo.reports["audit"].read_bytes(), everything))
    failed = demo.cli("report", "verify", forged, "--key", demo.key)
    assert failed.code == 3 and "changed after rendering" in failed.err, failed.err

    plain = tmp_path / "plain.pdf"
    plain.write_bytes(rewrite(demo.reports["audit"].read_bytes(), lambda _w: None))
    assert plain.read_bytes() != demo.reports["audit"].read_bytes()  # the comparison really ran
    run = demo.cli("report", "verify", plain, "--key", demo.key)
    assert run.code == 0, run.err
    assert "metadata, bookmarks and viewer settings are the rendering's" in run.out, run.out
    assert "are unchecked" not in run.out


def test_an_added_bookmark_with_the_count_kept_fails_naming_the_number_of_bookmarks(
    demo: Demo, tmp_path: Path
) -> None:
    original = demo.reports["audit"].read_bytes()
    count = PdfReader(io.BytesIO(original)).trailer["/Root"]["/Outlines"]["/Count"]

    def keep_count(writer: PdfWriter) -> None:  # pypdf updates /Count on write, so a second pass
        writer._root_object["/Outlines"].get_object()[_name("/Count")] = count

    forged = tmp_path / "forged.pdf"
    forged.write_bytes(rewrite(rewrite(original, with_bookmark_verdict), keep_count))
    assert PdfReader(forged).trailer["/Root"]["/Outlines"]["/Count"] == count
    run = demo.cli("report", "verify", forged, "--key", demo.key)
    assert run.code == 3, run.out
    assert "the number of bookmarks differs" in run.err, run.err
