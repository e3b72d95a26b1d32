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


ATTACKS: list[tuple[Attack, str]] = [
    (with_title, f"Info /Title differs from what the report's evidence renders to (the PDF has '{VERDICT}'"),
    (with_display_doc_title, "the catalog's /ViewerPreferences differs"),
    (with_bookmark_verdict, "the outline's /Count differs"),
    (
        with_renamed_bookmark,
        f"bookmark 1's title differs from what the report's evidence renders to (the PDF has '{VERDICT}'",
    ),
    (with_page_mode, "the catalog's /PageMode differs"),
    (with_page_labels, "the catalog's /PageLabels differs"),
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
    assert failed.code == 3 and "it was changed after rendering" in failed.err, failed.err

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
