"""PNG charts of a study, drawn headless (matplotlib's Agg canvas, no pyplot, no display)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from bot.analysis.montecarlo import Outcomes, Trace

_DOLLARS = FuncFormatter(lambda value, _pos: f"${value:,.0f}")


def _save(figure: Figure, path: Path) -> None:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=110)


def fan_chart(trace: Trace, target_cents: int, total_paths: int, title: str, path: Path) -> None:
    """Balance over the days: median and 5-95% band, the median MLL floor, the median
    profit including payouts, and the target; drawn from the traced leading paths."""
    days = np.arange(1, trace.balance.shape[0] + 1)
    balance = trace.balance.T / 100  # rows: the 5, 25, 50, 75 and 95th percentiles
    floor = trace.floor / 100
    profit = trace.profit / 100
    figure = Figure(figsize=(9, 5.2))
    axes = figure.add_subplot()
    axes.fill_between(days, balance[0], balance[4], color="#4c78a8", alpha=0.18, label="5-95%")
    axes.fill_between(days, balance[1], balance[3], color="#4c78a8", alpha=0.30, label="25-75%")
    axes.plot(days, balance[2], color="#1f4e79", linewidth=2, label="median balance")
    axes.plot(days, profit, color="#2ca02c", linewidth=1.5, linestyle="--",
              label="median profit (balance + payouts)")  # fmt: skip
    axes.step(days, floor, where="post", color="#d62728", linewidth=1.5,
              label="median MLL floor")  # fmt: skip
    axes.axhline(target_cents / 100, color="#2ca02c", linewidth=1, linestyle=":",
                 label=f"target ${target_cents / 100:,.0f}")  # fmt: skip
    axes.axhline(0, color="black", linewidth=0.6)
    traced = trace.paths
    sample = "all" if traced == total_paths else f"first {traced:,} of {total_paths:,}"
    axes.set_title(f"{title}\nday-end balance, {sample} paths")
    axes.set_xlabel("trading day")
    axes.set_ylabel("balance")
    axes.yaxis.set_major_formatter(_DOLLARS)
    axes.set_xlim(1, days[-1])
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    _save(figure, path)


def profit_chart(outcomes: Outcomes, target_cents: int, title: str, path: Path) -> None:
    """Distribution of final profit, breached paths stacked apart, target and median marked.
    Binned here in cents (no float copy of a million profits), then drawn as bars."""
    n = outcomes.profit.shape[0]
    low, high = int(outcomes.profit.min()), int(outcomes.profit.max())
    edges = np.linspace(low, max(high, low + 100), 81)
    breached = np.histogram(outcomes.profit[outcomes.failed], bins=edges)[0] / n
    everyone = np.histogram(outcomes.profit, bins=edges)[0] / n
    left, width = edges[:-1] / 100, np.diff(edges) / 100
    figure = Figure(figsize=(9, 5.2))
    axes = figure.add_subplot()
    axes.bar(left, everyone - breached, width=width, align="edge", color="#4c78a8",
             label="no breach")  # fmt: skip
    axes.bar(left, breached, width=width, bottom=everyone - breached, align="edge",
             color="#d62728", label="MLL breach")  # fmt: skip
    reached = float(np.mean(outcomes.target_day > 0))
    axes.axvline(target_cents / 100, color="#2ca02c", linewidth=2,
                 label=f"target ${target_cents / 100:,.0f} (reached by {reached:.1%})")  # fmt: skip
    median = float(np.median(outcomes.profit)) / 100
    axes.axvline(median, color="black", linestyle="--", linewidth=1.2,
                 label=f"median ${median:,.0f}")  # fmt: skip
    axes.set_title(f"{title}\nfinal profit (balance + payouts) of {n:,} paths")
    axes.set_xlabel("final profit")
    axes.set_ylabel("share of paths")
    axes.xaxis.set_major_formatter(_DOLLARS)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    _save(figure, path)


def sizing_chart(
    rows: list[tuple[float, float, float]],
    max_breach: float,
    recommended: float | None,
    title: str,
    path: Path,
) -> None:
    """P(target) and P(breach) against the scale factor, the breach limit, the advice."""
    factors = [r[0] for r in rows]
    figure = Figure(figsize=(9, 5.2))
    axes = figure.add_subplot()
    axes.plot(factors, [r[1] for r in rows], marker="o", color="#2ca02c", label="P(target)")
    axes.plot(factors, [r[2] for r in rows], marker="o", color="#d62728", label="P(MLL breach)")
    axes.axhline(max_breach, color="#d62728", linestyle=":", linewidth=1,
                 label=f"breach limit {max_breach:.0%}")  # fmt: skip
    if recommended is not None:
        axes.axvline(recommended, color="black", linestyle="--", linewidth=1,
                     label=f"recommended scale {recommended:g}")  # fmt: skip
    axes.set_title(f"{title}\nodds by position size")
    axes.set_xlabel("scale factor (x position size)")
    axes.set_ylabel("probability")
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.set_ylim(0, 1.02)
    axes.margins(x=0.05)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper center", fontsize=8)
    figure.tight_layout()
    _save(figure, path)
