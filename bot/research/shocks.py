"""Synthetic shock scenarios for the hedge: seeded hourly bars on real CME trading days, calm,
then a gap and a few days of fourfold volatility drifting with the gap, then calm again.

Seven bars a day starting 08:00 Chicago, as the SPY hourly file has them (the last ends at the
bot's 15:00 cutoff); prices in MES ticks around 4,000 index points.  Constructed, so the result
says what the hedge does in a shock of this shape, not how often such shocks come.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.backtest.data import BarItem
from bot.instruments.calendar import TradingCalendar
from bot.model.market import Bar
from bot.model.units import to_nanos

CHICAGO = ZoneInfo("America/Chicago")
HOUR_NS = 3_600_000_000_000
BARS_PER_DAY = 7
START = 16_000  # ticks: 4,000.00 index points
CALM_SIGMA = 0.0025  # per hourly bar


@dataclass(frozen=True, slots=True)
class Scenario:
    seed: int
    bars: list[BarItem]
    days: list[date]
    shock_index: int  # index in `days` of the shock's first day
    shock_days: int
    direction: int  # -1 a crash, +1 a melt-up


def trading_days(first: date, count: int) -> list[date]:
    calendar = TradingCalendar()
    days: list[date] = []
    day = first
    while len(days) < count:
        if calendar.is_trading_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def scenario(
    seed: int, days: list[date], shock_index: int, calm_sigma: float = CALM_SIGMA
) -> Scenario:
    """One seeded path on `days` with its shock starting on `days[shock_index]`."""
    rng = random.Random(seed)
    direction = -1 if rng.random() < 0.8 else 1
    shock_days = rng.randint(3, 8)
    gap_sigmas = rng.uniform(3.0, 6.0)
    price = float(START)
    bars: list[BarItem] = []
    for n, day in enumerate(days):
        shocked = shock_index <= n < shock_index + shock_days
        sigma = calm_sigma * (4.0 if shocked else 1.0)
        drift = direction * 0.4 * sigma if shocked else 0.0
        gap = rng.gauss(0.0, 1.5 * calm_sigma)
        if n == shock_index:
            gap = direction * gap_sigmas * calm_sigma * math.sqrt(BARS_PER_DAY)
        start = to_nanos(datetime.combine(day, time(8), tzinfo=CHICAGO))
        for k in range(BARS_PER_DAY):
            open_ = price * math.exp(gap) if k == 0 else price
            close = open_ * math.exp(rng.gauss(drift, sigma))
            wick = abs(rng.gauss(0.0, 0.5 * sigma)) * open_
            hi = max(open_, close) + wick
            lo = min(open_, close) - abs(rng.gauss(0.0, 0.5 * sigma)) * open_
            o, h, low, c = (max(1, round(x)) for x in (open_, hi, lo, close))
            h, low = max(h, o, c), min(low, o, c)
            at = start + k * HOUR_NS
            bars.append((Bar(at, at + HOUR_NS, o, h, low, c, 1_000, symbol="MES"), None))
            price = close
    return Scenario(seed, bars, days, shock_index, shock_days, direction)
