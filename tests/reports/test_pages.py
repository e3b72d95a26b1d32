"""What a person sees: every page rendered with pdftoppm, none blank, nothing drawn in the side margins."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.reports.conftest import REPORT_ARGS, Demo

DPI = 40
MARGIN_MM = 17  # report.css: @page margin left and right
STRIP_MM = 12  # the outer part of the side margins must stay white


def _pages(pdf: Path, folder: Path) -> list[Path]:
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: install poppler-utils (.ci/run does)")
    prefix = folder / pdf.stem
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(pdf), str(prefix)], check=True)
    return sorted(folder.glob(f"{pdf.stem}-*.png"))


@pytest.mark.parametrize("name", list(REPORT_ARGS))
def test_no_blank_page_and_nothing_overflows_the_width(demo: Demo, tmp_path: Path, name: str) -> None:
    pages = _pages(demo.reports[name], tmp_path)
    assert len(pages) >= 3
    strip = round(STRIP_MM / 25.4 * DPI)
    for page in pages:
        with Image.open(page) as image:
            grey = image.convert("L")
            width, height = grey.size
            inked = sum(grey.histogram()[:200])
            assert inked > width * height * 0.005, f"{page.name} is blank"
            for side in ((width - strip, 0, width, height), (0, 0, strip, height)):
                counts = grey.crop(side).histogram()
                darkest = next(level for level, n in enumerate(counts) if n)
                assert darkest >= 245, (
                    f"{page.name}: something is drawn in the margin {side} (darkest {darkest})"
                )
