"""HTML from Jinja2 templates, then PDF/A-3b from WeasyPrint with ``evidence.json`` attached.

Deterministic: the document's dates (info dictionary, XMP, the attachment's dates) are the
time of the latest entry the report's checkpoint covers, never the wall clock; the PDF
identifier is WeasyPrint's hash of the content; fonts are the ones shipped in
``reports/fonts`` (Liberation Sans and Mono, SIL OFL 1.1), embedded as subsets.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import jinja2
import markupsafe

with warnings.catch_warnings():
    # Without libharfbuzz-subset WeasyPrint subsets fonts with fontTools (as here) and says that a
    # future version will need the library. That is advice to the packager, not a problem here.
    warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
    from weasyprint import CSS, HTML, Attachment
    from weasyprint.css import ColorProfile
    from weasyprint.text.fonts import FontConfiguration

from reports.assets import PACKAGE_DIR, STYLESHEET, TEMPLATE_DIR
from reports.evidence import ATTACHMENT_NAME

PDF_VARIANT = "pdf/a-3b"
OUTPUT_INTENT = "release-ledger-srgb"
EVIDENCE_DESCRIPTION = (
    "Release Ledger evidence: entries, inclusion proofs, signed checkpoint, verifier key, figures"
)


def software_version() -> str:
    try:
        return version("release-ledger")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "unknown"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["css_string"] = css_string
    env.filters["ucfirst"] = lambda text: str(text)[:1].upper() + str(text)[1:]
    return env


def css_string(value: object) -> markupsafe.Markup:
    """Text for inside a double-quoted CSS string (in a <style> element, so also no '<')."""
    out = []
    for ch in str(value):
        if ch in '\\"<>' or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return markupsafe.Markup("".join(out))  # safe in a <style> element: nothing left to escape


def render_html(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(**context)


@cache
def _srgb_icc() -> bytes:
    return (resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()


def _color_profiles() -> dict[str, Any]:
    """The PDF/A output intent, sRGB. WeasyPrint's own "srgb" intent leaves its ICC file open
    (a ResourceWarning on every PDF), so we hand it the same profile from memory."""
    profile = ColorProfile(
        io.BytesIO(_srgb_icc()), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
    )
    return {OUTPUT_INTENT: profile}


def _options() -> dict[str, Any]:
    return {"pdf_variant": PDF_VARIANT, "output_intent": OUTPUT_INTENT}


@dataclass(frozen=True)
class PdfJob:
    """Everything WeasyPrint needs: the finished HTML, the attachment and the document date."""

    html: str
    evidence: bytes
    as_of: datetime


class _PageCounter(logging.Handler):
    def __init__(self, callback: Callable[[int], None]) -> None:
        super().__init__(logging.INFO)
        self.callback = callback
        self.pages = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "Creating layout - Page" in str(record.msg):
            self.pages += 1
            self.callback(self.pages)


@contextmanager
def _source_date_epoch(moment: datetime) -> Iterator[None]:
    """fontTools stamps each font subset's ``head.modified`` with the wall clock unless
    SOURCE_DATE_EPOCH is set (reproducible-builds.org); we set it to the report's date."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


@contextmanager
def _layout_progress(callback: Callable[[int], None] | None) -> Iterator[None]:
    if callback is None:
        yield
        return
    logger = logging.getLogger("weasyprint.progress")
    handler = _PageCounter(callback)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int


def write_pdf(job: PdfJob, pages_done: Callable[[int], None] | None = None) -> RenderedPdf:
    """Render the job to PDF/A-3b bytes. ``pages_done`` hears each page as it is laid out."""
    fonts = FontConfiguration()
    stylesheet = CSS(filename=str(STYLESHEET), font_config=fonts)
    attachment = Attachment(
        file_obj=io.BytesIO(job.evidence),
        name=ATTACHMENT_NAME,
        description=EVIDENCE_DESCRIPTION,
        created=job.as_of,
        modified=job.as_of,
        relationship="Data",
    )
    with _layout_progress(pages_done), _source_date_epoch(job.as_of):
        document = HTML(string=job.html, base_url=str(PACKAGE_DIR)).render(
            stylesheets=[stylesheet], font_config=fonts, color_profiles=_color_profiles(), **_options()
        )
        pdf: bytes = document.write_pdf(attachments=[attachment], **_options())
    return RenderedPdf(pdf, len(document.pages))


def write_pdf_plain(job: PdfJob) -> bytes:
    """WeasyPrint alone on the finished HTML, same options: the benchmark's baseline."""
    fonts = FontConfiguration()
    stylesheet = CSS(filename=str(STYLESHEET), font_config=fonts)
    attachment = Attachment(
        file_obj=io.BytesIO(job.evidence), name=ATTACHMENT_NAME, created=job.as_of, modified=job.as_of
    )
    with _source_date_epoch(job.as_of):
        pdf: bytes = HTML(string=job.html, base_url=str(PACKAGE_DIR)).write_pdf(
            stylesheets=[stylesheet],
            font_config=fonts,
            color_profiles=_color_profiles(),
            attachments=[attachment],
            **_options(),
        )
    return pdf
