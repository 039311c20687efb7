"""The charts of the printable report, as PNG bytes drawn by matplotlib: the year's emissions by
service (bars with their range) and the trajectories of the scenarios against the target (lines
with their range shaded, the target dashed).

Owns: how each chart looks (the French number format on the axes, the unit that reads well, the
DejaVu Sans font matplotlib bundles, colours whose text contrast on white is above 4.5:1), and
PNG bytes that are the same for the same figures (no date nor software in the file).

Must not: choose what is shown (``scenarios.report`` gives the figures and labels) or lay out the
PDF (``report_pdf``). Uses matplotlib's object interface with the Agg canvas (no pyplot, no global
backend: nothing of the process's state changes), imported only when a chart is drawn. Labels are
data: they are drawn as text, never read as mathematical markup.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from footprint.io.formatting import format_number, scale_for

# Presentation choices: inches and dots per inch of the images (sharp when printed at their size
# in the report), colours (each with a contrast above 4.5:1 on white).
_DPI = 200
_WIDTH_IN = 7.0
_INK = "#1f2328"
_MUTED = "#4b5563"
_GRID = "#d8dde3"
_BAR = "#0f5e5a"
_TARGET = "#b42318"
_PALETTE = ("#0f5e5a", "#1d4ed8", "#9a3412", "#6d28d9", "#0e7490", "#a16207", "#be185d", "#374151")
# A service's name longer than this is cut (with « … ») on the chart; the table gives it whole.
_LABEL_LENGTH = 38
_RC = {"font.family": "DejaVu Sans", "text.parse_math": False, "text.usetex": False, "axes.unicode_minus": True,
       "svg.fonttype": "none"}
# matplotlib's rc parameters are process-wide: one chart drawn at a time.
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Series:
    """One line of the trajectories chart: values per year [kgCO2e], and its range when known."""

    label: str
    central: Sequence[float]
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None


def _short(label: str) -> str:
    text = " ".join(str(label).split())
    return text if len(text) <= _LABEL_LENGTH else text[:_LABEL_LENGTH - 1].rstrip() + "…"


def _png(figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None}, facecolor="white")
    return buffer.getvalue()


def _style(axes) -> None:
    axes.grid(True, color=_GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(_MUTED)
    axes.tick_params(colors=_INK, labelsize=8)


def _french_axis(axis) -> None:
    """Tick labels the French way (the values are already in the axis's unit)."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _position: format_number(value)))


def service_bars(labels: Sequence[str], low: Sequence[float], central: Sequence[float], high: Sequence[float],
                 title: str) -> bytes:
    """Horizontal bars of each group's emissions [kgCO2e], largest at the top, the range as a
    whisker; the axis in the unit that reads well for the largest."""
    from matplotlib.figure import Figure

    with _LOCK:
        import matplotlib

        with matplotlib.rc_context(_RC):
            count = max(len(labels), 1)
            figure = Figure(figsize=(_WIDTH_IN, 0.8 + 0.26 * count))
            axes = figure.add_subplot()
            factor, unit = scale_for(max([*high, 0.0]) or 0.0, "kgCO2e")
            positions = list(range(len(labels)))[::-1]
            errors = [[c - lo for c, lo in zip(central, low)], [hi - c for c, hi in zip(central, high)]]
            axes.barh(positions, [c * factor for c in central], color=_BAR, height=0.62,
                      xerr=[[e * factor for e in errors[0]], [e * factor for e in errors[1]]],
                      error_kw={"ecolor": _INK, "elinewidth": 0.8, "capsize": 2.5})
            axes.set_yticks(positions, labels=[_short(label) for label in labels])
            _style(axes)
            axes.grid(False, axis="y")
            _french_axis(axes.xaxis)
            axes.set_xlabel(f"{title} ({unit} par an)", color=_INK, fontsize=8.5)
            figure.tight_layout()
            return _png(figure)


def trajectories(years: Sequence[int], series: Sequence[Series], target: Series) -> bytes:
    """Each scenario's emissions year by year [kgCO2e] with its range shaded, and the target's
    path dashed."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with _LOCK:
        import matplotlib

        with matplotlib.rc_context(_RC):
            figure = Figure(figsize=(_WIDTH_IN, 2.9))
            axes = figure.add_subplot()
            peak = max([v for s in [*series, target] for v in (s.high if s.high is not None else s.central)] + [0.0])
            factor, unit = scale_for(peak, "kgCO2e")
            xs = [int(y) for y in years]
            for index, line in enumerate(series):
                colour = _PALETTE[index % len(_PALETTE)]
                if line.low is not None and line.high is not None:
                    axes.fill_between(xs, [v * factor for v in line.low], [v * factor for v in line.high],
                                      color=colour, alpha=0.14, linewidth=0)
                axes.plot(xs, [v * factor for v in line.central], color=colour, linewidth=1.8, marker="o",
                          markersize=3, label=line.label)
            axes.plot(xs, [v * factor for v in target.central], color=_TARGET, linewidth=1.6, linestyle=(0, (5, 3)),
                      label=target.label)
            _style(axes)
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _p: str(int(value))))
            _french_axis(axes.yaxis)
            axes.set_ylim(bottom=0)
            axes.set_ylabel(f"{unit} par an", color=_INK, fontsize=8.5)
            legend = axes.legend(fontsize=7.5, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
            for text in legend.get_texts():
                text.set_color(_INK)
            figure.tight_layout()
            return _png(figure)
