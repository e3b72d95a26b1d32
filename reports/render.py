"""HTML from Jinja2 templates, then PDF/A-3b from WeasyPrint with ``evidence.json`` attached.

Deterministic: the document's dates (info dictionary, XMP, the attachment's dates) are the
time of the latest entry the report's checkpoint covers, never the wall clock; the PDF
identifier is WeasyPrint's hash of the content; fonts are the ones shipped in
``reports/fonts`` (Liberation Sans and Mono, then fallbacks for other scripts: see
``reports/fonts/README.md``), embedded as subsets.

Every glyph in a PDF/A must come from an embedded font, and a report must look the same on every
host. So no character reaches WeasyPrint that the shipped fonts cannot draw: a character none of
them covers would otherwise be drawn from whatever system font fontconfig finds, or as the
empty ``.notdef`` box. ``printable`` shows such a character as ``[U+XXXX]`` instead (the exact text
stays in the embedded evidence); every ``{{ … }}`` in the templates passes through it.
"""

from __future__ import annotations

import io
import logging
import os
import re
import unicodedata
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
from fontTools.ttLib import TTFont

with warnings.catch_warnings():
    # Without libharfbuzz-subset WeasyPrint subsets fonts with fontTools (as here) and says that a
    # future version will need the library. That is advice to the packager, not a problem here.
    warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
    from weasyprint import CSS, HTML, Attachment
    from weasyprint.css import ColorProfile
    from weasyprint.text.fonts import FontConfiguration

from reports.assets import PACKAGE_DIR, STYLESHEET, TEMPLATE_DIR, TEXT_FONTS
from reports.evidence import ATTACHMENT_NAME
from reports.evidence_stream import EvidenceFile

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


# Drawn by the layout engine itself, not from a font: whitespace the templates' text may hold,
# and joiners and variation selectors (zero-width; they steer shaping of emoji and Indic,
# Arabic scripts). Bidirectional overrides and isolates (U+202A-202E, U+2066-2069) are
# deliberately not here: in an audit document they are shown, never obeyed.
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BIDI_CONTROLS = frozenset({*range(0x202A, 0x202F), *range(0x2066, 0x206A)})
_LAYOUT_CONTROLS = frozenset({0x09, 0x0A, 0x0D, 0x200C, 0x200D, *range(0xFE00, 0xFE10)})


@cache
def covered_code_points() -> frozenset[int]:
    """Every code point some shipped text font (``reports.assets.TEXT_FONTS``) has a glyph for."""
    covered: set[int] = set(_LAYOUT_CONTROLS)
    for path in TEXT_FONTS:
        with TTFont(str(path), lazy=True) as font:
            covered.update(font.getBestCmap())
    # A font's cmap may map controls, private-use or unassigned code points, and bidirectional
    # overrides; never let those through.
    return frozenset(
        cp
        for cp in covered
        if cp in _LAYOUT_CONTROLS
        or (cp not in _BIDI_CONTROLS and unicodedata.category(chr(cp)) not in ("Cc", "Cs", "Co", "Cn"))
    )


def printable(text: str) -> str:
    """``text`` with each character no shipped font can draw written as ``[U+XXXX]``.

    Covered: Latin, Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai, Chinese, Japanese,
    Korean (Hangul syllables), common symbols and emoji. Not covered (so shown as code points):
    other scripts, controls, unassigned and private-use code points, lone surrogates,
    bidirectional overrides. ASCII text is returned unchanged.
    """
    if text.isascii() and not _ASCII_CONTROL.search(text):
        return text
    covered = covered_code_points()
    return "".join(ch if ord(ch) in covered else f"[U+{ord(ch):04X}]" for ch in text)


def _finalize(value: object) -> object:
    """Jinja's hook for every ``{{ … }}`` value: text is made printable (see ``printable``).

    Markup (a macro's or ``css_string``'s output) stays Markup: the replacement is ASCII with no
    character that HTML or CSS treats specially, so it cannot change what the markup means.
    """
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(printable(str(value)))
    if isinstance(value, str):
        return printable(value)
    return value


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        finalize=_finalize,
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
    """Everything WeasyPrint needs: the finished HTML, the attachment (its bytes, or the file
    they were streamed to) and the document date."""

    html: str
    evidence: bytes | EvidenceFile
    as_of: datetime


def _attachment(job: PdfJob, **kw: Any) -> Attachment:
    """``evidence.json`` for WeasyPrint. From a file, WeasyPrint reads it itself: it holds the
    attachment in memory while it writes the PDF (the whole document must fit in memory, its
    maintainers say: Kozea/WeasyPrint#1824), but our copy is never in memory too."""
    if isinstance(job.evidence, EvidenceFile):
        source: dict[str, Any] = {"filename": str(job.evidence.path)}
    else:
        source = {"file_obj": io.BytesIO(job.evidence)}
    return Attachment(**source, name=ATTACHMENT_NAME, created=job.as_of, modified=job.as_of, **kw)


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
    attachment = _attachment(job, description=EVIDENCE_DESCRIPTION, relationship="Data")
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
    attachment = _attachment(job)
    with _source_date_epoch(job.as_of):
        pdf: bytes = HTML(string=job.html, base_url=str(PACKAGE_DIR)).write_pdf(
            stylesheets=[stylesheet],
            font_config=fonts,
            color_profiles=_color_profiles(),
            attachments=[attachment],
            **_options(),
        )
    return pdf
