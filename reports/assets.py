"""Where the package's templates, stylesheet and fonts are (installed as package data)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
STYLESHEET = PACKAGE_DIR / "static" / "report.css"
FONT_DIR = PACKAGE_DIR / "fonts"
SANS_FONTS = tuple(sorted(FONT_DIR.glob("LiberationSans-*.ttf")))
