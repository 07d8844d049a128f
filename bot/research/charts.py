"""PNG charts of the research, drawn headless (matplotlib's Agg canvas, as `bot.analysis`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bot.research.book import Segment

_DOLLARS = FuncFormatter(lambda value, _pos: f"${value:,.0f}")


def _curve(days: Sequence[date], cents: Sequence[int]) -> tuple[Any, Any]:
    """x (dates) and y (cumulative dollars) as numpy arrays for matplotlib."""
    return np.array(days, dtype="datetime64[D]"), np.array([c / 100 for c in accumulate(cents)])


def equity_chart(
    in_sample: Segment, out_of_sample: Segment, no_hedge_oos: Segment, title: str, path: Path
) -> None:
    """Cumulative P&L per sleeve and of the book: in-sample (each fold's last training year,
    stitched) above, out-of-sample (each fold's test year, stitched) below."""
    figure = Figure(figsize=(10, 7.5))
    panels = (
        (figure.add_subplot(2, 1, 1), in_sample, "in-sample: each fold's last training year"),
        (figure.add_subplot(2, 1, 2), out_of_sample, "out-of-sample: each fold's test year"),
    )
    for axes, seg, label in panels:
        days = [d.day for d in seg.days]
        for name in seg.sleeves:
            axes.plot(*_curve(days, seg.net(name)), linewidth=1, label=name)
        axes.plot(*_curve(days, seg.net()), color="black", linewidth=1.8, label="book")
        if seg is out_of_sample:
            nh_days = [d.day for d in no_hedge_oos.days]
            axes.plot(
                *_curve(nh_days, no_hedge_oos.net()),
                color="grey",
                linestyle="--",
                linewidth=1.2,
                label="book without hedge",
            )
        axes.axhline(0, color="black", linewidth=0.5)
        axes.set_title(label, fontsize=10)
        axes.yaxis.set_major_formatter(_DOLLARS)
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left", fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=90)


def bars_chart(
    labels: Sequence[str], series: dict[str, Sequence[float]], title: str, path: Path
) -> None:
    """Grouped bars (e.g. worst day with and without the hedge per window), in dollars."""
    figure = Figure(figsize=(10, 4.5))
    axes = figure.add_subplot()
    width = 0.8 / max(1, len(series))
    for k, (name, values) in enumerate(series.items()):
        xs = [i + k * width for i in range(len(labels))]
        axes.bar(xs, list(values), width=width, label=name)
    axes.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(labels))])
    axes.set_xticklabels(list(labels), fontsize=8, rotation=15)
    axes.yaxis.set_major_formatter(_DOLLARS)
    axes.axhline(0, color="black", linewidth=0.5)
    axes.grid(alpha=0.3, axis="y")
    axes.legend(fontsize=8)
    axes.set_title(title)
    figure.tight_layout()
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=90)
