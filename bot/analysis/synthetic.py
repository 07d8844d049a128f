"""A seeded, plausible daily P&L history of an MES day-trading strategy, for the benchmark and
the shipped example: a positive edge, a choppy regime that brings real losing streaks, fat
tails, and intraday lows below the close.  Ten micros, so one tick is $12.50; fees included.
Every day records its peak position (`max_contracts` = 10), so the Monte Carlo shrinks the days
a path's scaling-plan tier does not allow (2 lots at the XFA start, with one micro a lot).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from bot.rules.account import DayPnl

CONTRACTS = 10
TICK_CENTS = 1_250  # 10 MES micros x $1.25
FEE_ROUND_TURN_CENTS = 740  # 10 micros x 2 sides x $0.37
HOLIDAYS = frozenset(
    date.fromisoformat(d)
    for d in ("2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25", "2026-01-01")
)
# Regime 0 trends (the edge), regime 1 chops; both persist for weeks.
MEAN_TICKS = (11.0, -3.0)
SD_TICKS = (22.0, 26.0)
SWITCH = (0.05, 0.10)  # daily probability of leaving each regime


def trading_days(first: date, count: int) -> list[date]:
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5 and day not in HOLIDAYS:
            days.append(day)
        day += timedelta(days=1)
    return days


def mes_history(seed: int = 2024, rows: int = 160, first: date = date(2025, 6, 2)) -> list[DayPnl]:
    """`rows` trading days of net and low P&L in whole cents."""
    rng = np.random.default_rng(seed)
    regime = 0
    result = []
    for day in trading_days(first, rows):
        if rng.random() < SWITCH[regime]:
            regime = 1 - regime
        ticks = round(MEAN_TICKS[regime] + SD_TICKS[regime] * rng.standard_t(4) / np.sqrt(2))
        trades = int(rng.integers(2, 7))
        net = ticks * TICK_CENTS - trades * FEE_ROUND_TURN_CENTS
        excursion = round(rng.exponential(10.0 + 0.25 * abs(ticks))) * TICK_CENTS
        low = min(0, net) - excursion
        result.append(DayPnl(day, net, low, max_contracts=CONTRACTS))
    return result


def to_csv(days: list[DayPnl]) -> str:
    """The daily P&L file format (`day,net_pnl,low_pnl,payout,max_contracts`, payout empty)."""
    lines = ["day,net_pnl,low_pnl,payout,max_contracts"]
    lines += [
        f"{d.day},{d.net_pnl_cents / 100:.2f},{d.low_pnl_cents / 100:.2f},,{d.max_contracts}"
        for d in days
    ]
    return "\n".join(lines) + "\n"
