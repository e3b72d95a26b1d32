"""Where the package's templates, stylesheet and fonts are (installed as package data)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
STYLESHEET = PACKAGE_DIR / "static" / "report.css"
FONT_DIR = PACKAGE_DIR / "fonts"
SANS_FONTS = tuple(sorted(FONT_DIR.glob("LiberationSans-*.ttf")))
# Every font the stylesheet's family chains name (reports/static/report.css), in chain order:
# a character is printable when one of these has a glyph for it (reports.render.printable).
TEXT_FONTS = tuple(
    FONT_DIR / name
    for name in (
        "LiberationSans-Regular.ttf",
        "LiberationMono-Regular.ttf",
        "NotoSansArabic-Regular.ttf",
        "NotoSansDevanagari-Regular.ttf",
        "NotoSansThai-Regular.ttf",
        "DejaVuSans.ttf",
        "DroidSansFallback.ttf",
        "NotoEmoji-Regular.ttf",
    )
)
