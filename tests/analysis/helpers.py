"""Shared helpers: P&L histories that exercise every rule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from bot.rules.account import DayPnl


def make_days(net_dollars: Sequence[float], low_dollars: Sequence[float]) -> list[DayPnl]:
    """Rows on consecutive dates from (net, low) in dollars."""
    start = date(2026, 1, 5)
    return [
        DayPnl(start + timedelta(days=i), round(net * 100), round(low * 100))
        for i, (net, low) in enumerate(zip(net_dollars, low_dollars, strict=True))
    ]


def rough_history(seed: int, rows: int = 60) -> list[DayPnl]:
    """Wide swings with an edge: payouts, DLL days, trailing, locking and failures all occur."""
    rng = np.random.default_rng(seed)
    net = np.round(rng.normal(180, 650, rows), 2)
    low = np.minimum(net, 0) - np.round(rng.exponential(350, rows), 2)
    return make_days([float(v) for v in net], [float(v) for v in low])


def grid_history(seed: int, rows: int = 60) -> list[DayPnl]:
    """Whole $50 steps, so lows land exactly on floors, the DLL and thresholds: the boundaries."""
    rng = np.random.default_rng(seed)
    net = 50 * rng.integers(-20, 31, rows)
    low = np.minimum(net, 0) - 50 * rng.integers(0, 16, rows)
    return make_days([float(v) for v in net], [float(v) for v in low])
