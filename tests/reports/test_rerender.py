"""Re-rendering a report from its evidence (issue 12, part 5): a whole-file rewrite that draws on a
page fails ``report verify``; untouched and signed reports still verify."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, NameObject, StreamObject

from tests.reports.conftest import Demo
from tests.reports.test_signing import certificate  # noqa: F401  (the module-scoped fixture)

WHITE_BOX = b"q 1 1 1 rg 40 600 520 200 re f Q"


def rewrite(data: bytes, page: int, drawn: bytes | None) -> bytes:
    """The file written anew by pypdf (no incremental update, no annotation), with ``drawn``
    appended to the content of ``page`` (0-based) when given."""
    writer = PdfWriter(clone_from=io.BytesIO(data))
    if drawn is not None:
        target = writer.pages[page]
        stream = StreamObject()
        stream.set_data(drawn)
        added = writer._add_object(stream)
        contents = target.get(NameObject("/Contents"))
        existing = contents.get_object() if contents is not None else None
        parts = list(existing) if isinstance(existing, ArrayObject) else [contents]
        target[NameObject("/Contents")] = ArrayObject([*parts, added])
    out = io.BytesIO()
    writer.write(out)
    assert not out.getvalue().startswith(data[:1024])  # the whole file rewritten
    return out.getvalue()


@pytest.mark.parametrize("name", ["release", "audit", "scorecard"])
def test_an_untouched_report_verifies_against_its_rendering(demo: Demo, name: str) -> None:
    run = demo.cli("report", "verify", demo.reports[name], "--key", demo.key)
    assert run.code == 0, run.err
    assert "re-rendered from its evidence" in run.out, run.out


def test_a_rewrite_with_a_white_box_on_page_1_fails_and_names_the_page(demo: Demo, tmp_path: Path) -> None:
    altered = tmp_path / "boxed.pdf"
    altered.write_bytes(rewrite(demo.reports["release"].read_bytes(), 0, WHITE_BOX))
    run = demo.cli("report", "verify", altered, "--key", demo.key)
    assert run.code == 3, run.out
    assert "page 1 differs" in run.err, run.err


def test_a_rewrite_that_changes_no_page_still_verifies(demo: Demo, tmp_path: Path) -> None:
    """Recompressing and renumbering objects is not a change to what the pages draw."""
    rewritten = tmp_path / "rewritten.pdf"
    rewritten.write_bytes(rewrite(demo.reports["release"].read_bytes(), 0, None))
    run = demo.cli("report", "verify", rewritten, "--key", demo.key)
    assert run.code == 0, run.err


def test_a_signed_report_still_verifies(
    demo: Demo,
    certificate: tuple[Path, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    cert, key = certificate
    signed = tmp_path / "signed.pdf"
    made = demo.cli(
        "report", "release", "support-summarizer@1.1", "--out", signed, "--sign-cert", cert, "--sign-key", key
    )
    assert made.code == 0, made.err
    run = demo.cli("report", "verify", signed, "--key", demo.key, "--require-signature")
    assert run.code == 0, run.err
    assert "re-rendered from its evidence" in run.out, run.out


def test_a_report_naming_another_release_gets_a_hint_naming_that_release(demo: Demo, tmp_path: Path) -> None:
    """Renderings differ between releases: when the pages differ and the PDF says another release
    made it, the message names that release, so the reader knows which one to verify it with."""
    writer = PdfWriter(clone_from=io.BytesIO(rewrite(demo.reports["release"].read_bytes(), 0, WHITE_BOX)))
    writer.add_metadata({"/Creator": "Release Ledger 0.0.1"})
    out = io.BytesIO()
    writer.write(out)
    altered = tmp_path / "older.pdf"
    altered.write_bytes(out.getvalue())
    run = demo.cli("report", "verify", altered, "--key", demo.key)
    assert run.code == 3, run.out
    assert "page 1 differs" in run.err, run.err
    assert "the PDF says it was made by 'Release Ledger 0.0.1'" in run.err, run.err
    assert "verify it with Release Ledger 0.0.1)" in run.err, run.err
