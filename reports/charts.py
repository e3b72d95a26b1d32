"""Charts as SVG drawn with matplotlib (no pyplot, no global backend), byte-for-byte repeatable.

Repeatable because ``svg.hashsalt`` is fixed (element ids), the metadata date is omitted, and
glyphs are written as paths from the font shipped in ``reports/fonts`` (so the chart needs
no font in the PDF and looks the same everywhere).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from reports.assets import SANS_FONTS

BAND_COLORS = {"green": "#2e7d32", "yellow": "#d89e00", "red": "#c62828"}
BASELINE_COLOR = "#9aa5b1"
CANDIDATE_COLOR = "#1f4e79"
SERIES_COLORS = ("#1f4e79", "#c2185b", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f")
PARITY_COLOR = "#555555"
FONT_FAMILY = "Liberation Sans"
MAX_LABELLED = 16  # beyond this many releases, label every n-th tick and only the highlighted point

_RC: Any = {  # matplotlib types rcParams keys as literals; these are checked by matplotlib
    "svg.hashsalt": "release-ledger-report",
    "svg.fonttype": "path",
    "font.family": FONT_FAMILY,
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "legend.frameon": False,
    "legend.fontsize": 7.5,
}


@cache
def _register_fonts() -> None:
    for path in SANS_FONTS:
        font_manager.fontManager.addfont(str(path))


def _figure(width_in: float, height_in: float) -> Figure:
    fig = Figure(figsize=(width_in, height_in), dpi=72)
    FigureCanvasSVG(fig)
    return fig


def _data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches=None)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _f(value: Decimal | str) -> float:
    return float(Decimal(str(value)))


def subscores(names: Sequence[str], baseline: Sequence[str], candidate: Sequence[str], title: str) -> str:
    """Grouped bars: each subscore, baseline against candidate (0-100)."""
    _register_fonts()
    with rc_context(_RC):
        fig = _figure(6.6, 2.5)
        ax = fig.add_axes((0.07, 0.14, 0.76, 0.74))
        xs = list(range(len(names)))
        width = 0.38
        base = ax.bar([x - width / 2 for x in xs], [_f(v) for v in baseline], width, color=BASELINE_COLOR)
        cand = ax.bar([x + width / 2 for x in xs], [_f(v) for v in candidate], width, color=CANDIDATE_COLOR)
        ax.bar_label(base, labels=list(baseline), fontsize=7, padding=1.5)
        ax.bar_label(cand, labels=list(candidate), fontsize=7, padding=1.5)
        ax.set_xticks(xs, list(names))
        ax.set_ylim(0, 110)
        ax.set_ylabel("score (0-100)")
        ax.set_title(title, loc="left")
        fig.legend(
            [base.patches[0], cand.patches[0]],
            ["baseline", "candidate"],
            loc="upper right",
            bbox_to_anchor=(0.995, 0.9),
        )
        return _data_uri(fig)


def index_history(
    labels: Sequence[str], indices: Sequence[str], bands: Sequence[str], highlight: int | None, title: str
) -> str:
    """The Model Iteration Index of each release in order, coloured by band; 100 is parity."""
    _register_fonts()
    with rc_context(_RC):
        fig = _figure(6.6, 2.4)
        ax = fig.add_axes((0.07, 0.17, 0.9, 0.7))
        xs = list(range(len(labels)))
        ys = [_f(v) for v in indices]
        ax.plot(xs, ys, color="#777777", linewidth=1, zorder=1)
        ax.scatter(xs, ys, c=[BAND_COLORS.get(b, "#333333") for b in bands], s=36, zorder=2)
        if highlight is not None:
            ax.scatter(
                [xs[highlight]], [ys[highlight]], s=150, facecolors="none", edgecolors="#000000", zorder=3
            )
        many = len(xs) > MAX_LABELLED
        for x, y, text in zip(xs, ys, indices, strict=True):
            if not many or x == highlight:
                ax.annotate(text, (x, y), textcoords="offset points", xytext=(0, 9), ha="center", fontsize=7)
        ax.axhline(100, color=PARITY_COLOR, linewidth=0.8, linestyle="--")
        step = max(1, -(-len(xs) // MAX_LABELLED))
        ax.set_xticks(xs[::step], list(labels)[::step])
        low, high = min([*ys, 100.0]), max([*ys, 100.0])
        ax.set_ylim(low - 4, high + 6)
        ax.set_xlim(-0.5, len(xs) - 0.5)
        ax.set_ylabel("index (100 = parity)")
        ax.set_title(title, loc="left")
        return _data_uri(fig)


def composite(labels: Sequence[str], indices: Sequence[str], bands: Sequence[str], title: str) -> str:
    """Bars of the composite index per release (baseline first, at 100), coloured by band."""
    _register_fonts()
    with rc_context(_RC):
        fig = _figure(6.6, 2.4)
        ax = fig.add_axes((0.07, 0.15, 0.9, 0.72))
        xs = list(range(len(labels)))
        ys = [_f(v) for v in indices]
        bars = ax.bar(xs, ys, 0.55, color=[BAND_COLORS.get(b, BASELINE_COLOR) for b in bands])
        if len(xs) <= MAX_LABELLED:
            ax.bar_label(bars, labels=list(indices), fontsize=7, padding=1.5)
        ax.axhline(100, color=PARITY_COLOR, linewidth=0.8, linestyle="--")
        step = max(1, -(-len(xs) // MAX_LABELLED))
        ax.set_xticks(xs[::step], list(labels)[::step])
        low, high = min([*ys, 100.0]), max([*ys, 100.0])
        ax.set_ylim(max(0.0, low - 15), high + 6)
        ax.set_ylabel("composite index")
        ax.set_title(title, loc="left")
        return _data_uri(fig)


def health_trend(model: str, labels: Sequence[str], components: dict[str, Sequence[str]], title: str) -> str:
    """A model's iteration index across its releases, with the four inputs it weighs."""
    _register_fonts()
    with rc_context(_RC):
        fig = _figure(6.6, 2.5)
        ax = fig.add_axes((0.07, 0.16, 0.66, 0.72))
        xs = list(range(1, len(labels) + 1))
        for number, (name, values) in enumerate(components.items()):
            main = number == 0
            ax.plot(
                xs,
                [_f(v) for v in values],
                marker="o" if main else None,
                markersize=3.5,
                linewidth=2.0 if main else 0.9,
                linestyle="-" if main else "--",
                color=SERIES_COLORS[number % len(SERIES_COLORS)],
                label=name,
            )
        ax.set_xlim(0.5, len(xs) + 0.5)
        ax.set_ylim(0, 105)
        step = max(1, len(xs) // 12)
        ticks = list(range(1, len(xs) + 1, step))
        ax.set_xticks(ticks, [labels[t - 1] for t in ticks])
        ax.set_xlabel(f"{model}: releases in the period, by submission")
        ax.set_ylabel("0-100")
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return _data_uri(fig)
