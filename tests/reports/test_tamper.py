"""Reports that cannot be altered (issue 12, part 5): overlays, added annotations, certification."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import FreeText

from tests.reports.conftest import Demo
from tests.reports.test_signing import certificate  # noqa: F401  (the module-scoped fixture)

VERDICT = "VERDICT: GREEN \u2013 approved"


def overlay(data: bytes) -> bytes:
    """The attack from issue 12: one incremental update with a white box over the cover and a
    FreeText annotation carrying a verdict; every original byte stays where it was."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    box = generic.StreamObject(stream_data=b"q 1 1 1 rg 0 0 1000 1000 re f Q")
    writer.add_stream_to_page(0, writer.add_object(box))
    page_ref, _ = writer.find_page_for_modification(0)
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(n) for n in (72, 600, 540, 700)]
            ),
            generic.NameObject("/Contents"): generic.TextStringObject(VERDICT),
            generic.NameObject("/DA"): generic.TextStringObject("/Helv 24 Tf 0 g"),
            generic.NameObject("/F"): generic.NumberObject(4),
        }
    )
    writer.register_annotation(page_ref, writer.add_object(annot))
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(data)  # an incremental update indeed
    return out.getvalue()


def test_the_overlay_on_an_unsigned_report_fails_verify(demo: Demo, tmp_path: Path) -> None:
    original = demo.reports["release"]
    ok = demo.cli("report", "verify", original, "--key", demo.key)
    assert ok.code == 0, ok.err
    assert "unsigned" in ok.out

    altered = tmp_path / "altered.pdf"
    altered.write_bytes(overlay(original.read_bytes()))
    assert VERDICT in PdfReader(altered).pages[0]["/Annots"][0].get_object()["/Contents"]
    run = demo.cli("report", "verify", altered, "--key", demo.key)
    assert run.code == 3, run.out
    assert "unsigned" in run.err and "changed after rendering" in run.err, run.err
    assert "1 incremental update" in run.err and "page 1" in run.err and "FreeText" in run.err, run.err
    assert run.err.count("\n") == 1, run.err


def test_an_annotation_added_by_rewriting_the_whole_file_fails_verify(demo: Demo, tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=str(demo.reports["scorecard"]))
    writer.add_annotation(0, FreeText(text=VERDICT, rect=(72, 600, 540, 700)))
    rewritten = tmp_path / "rewritten.pdf"
    with rewritten.open("wb") as handle:
        writer.write(handle)
    run = demo.cli("report", "verify", rewritten, "--key", demo.key)
    assert run.code == 3, run.out
    assert "page 1 carries a FreeText annotation" in run.err and VERDICT in run.err, run.err


def test_an_overlay_signed_afterwards_is_still_caught(
    demo: Demo,
    certificate: tuple[Path, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Signing an altered file with any certificate does not launder the alteration."""
    from reports.pdfsign import SigningConfig, sign_pdf

    cert, key = certificate
    laundered = tmp_path / "laundered.pdf"
    laundered.write_bytes(sign_pdf(overlay(demo.reports["release"].read_bytes()), SigningConfig(cert, key)))
    run = demo.cli("report", "verify", laundered, "--key", demo.key)
    assert run.code == 3, run.out
    assert "before it was signed" in run.err and "FreeText" in run.err, run.err


def test_an_overlay_after_an_ordinary_signature_is_not_called_a_certification(
    demo: Demo,
    certificate: tuple[Path, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    """A report signed without --certify, then overlaid: refused, in words that fit an
    approval signature (it never promised "no changes allowed")."""
    from reports.pdfsign import SigningConfig, sign_pdf

    cert, key = certificate
    signed = sign_pdf(demo.reports["release"].read_bytes(), SigningConfig(cert, key))
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(overlay(signed))
    run = demo.cli("report", "verify", changed, "--key", demo.key)
    assert run.code == 3, run.out
    assert "changed after signing" in run.err and "certifies" not in run.err, run.err


@pytest.fixture(scope="module")
def certified(demo: Demo, certificate: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    cert, key = certificate
    out = tmp_path_factory.mktemp("certified") / "certified.pdf"
    run = demo.cli(
        "report",
        "release",
        "support-summarizer@1.1",
        "--out",
        out,
        "--sign-cert",
        cert,
        "--sign-key",
        key,
        "--certify",
    )
    assert run.code == 0, run.err
    assert "certified: no changes allowed" in run.out
    return out


def test_a_certified_report_verifies(demo: Demo, certified: Path) -> None:
    run = demo.cli("report", "verify", certified, "--key", demo.key, "--require-signature")
    assert run.code == 0, run.err
    assert "certification signature (no changes allowed)" in run.out
    assert "no timestamp" in run.out


def test_an_annotation_on_a_certified_report_invalidates_it(
    demo: Demo, certified: Path, tmp_path: Path
) -> None:
    """Even the mildest change, one annotation in an incremental update, breaks certification."""
    writer = IncrementalPdfFileWriter(io.BytesIO(certified.read_bytes()))
    page_ref, _ = writer.find_page_for_modification(0)
    note = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Text"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(n) for n in (10, 10, 30, 30)]
            ),
            generic.NameObject("/Contents"): generic.TextStringObject("approved"),
        }
    )
    writer.register_annotation(page_ref, writer.add_object(note))
    out = io.BytesIO()
    writer.write(out)
    annotated = tmp_path / "annotated.pdf"
    annotated.write_bytes(out.getvalue())

    signature = PdfFileReader(io.BytesIO(out.getvalue())).embedded_signatures[0]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[], allow_fetching=False))
    assert status.intact and status.valid  # the signed bytes are untouched...
    assert status.docmdp_ok is False  # ...but the certification forbids what came after
    assert status.modification_level in (ModificationLevel.ANNOTATIONS, ModificationLevel.OTHER)

    run = demo.cli("report", "verify", annotated, "--key", demo.key)
    assert run.code == 3, run.out
    assert "no changes allowed" in run.err and "changed after signing" in run.err, run.err


def test_signing_options_without_a_signature_are_refused(demo: Demo, tmp_path: Path) -> None:
    run = demo.cli(
        "report",
        "release",
        "support-summarizer@1.1",
        "--out",
        tmp_path / "r.pdf",
        "--certify",
        "--tsa-url",
        "http://127.0.0.1:9/",
    )
    assert run.code != 0 and "--certify" in run.err and "--tsa-url" in run.err, run.err


def test_bytes_appended_to_an_unsigned_report_fail_verify(demo: Demo, tmp_path: Path) -> None:
    appended = tmp_path / "appended.pdf"
    appended.write_bytes(demo.reports["audit"].read_bytes() + b"VERDICT: GREEN\n")
    run = demo.cli("report", "verify", appended, "--key", demo.key)
    assert run.code == 3 and "14 bytes were appended" in run.err and "rendering" in run.err, run.err
