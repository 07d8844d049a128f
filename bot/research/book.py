"""One book of bar sleeves run on a window of bars through the real core: `build_kernel` (the
risk engine with the account rules, portfolio, execution), the backtest loop and its bar venue.
Research never re-implements a fill or a rule; it only chooses which bars and which sleeves.

A window is whole trading days [first, last].  The run starts `warmup_days` calendar days
earlier so the sleeves' indicators are ready on the window's first day; the warm-up trades
like any other day (the account starts fresh at its start) but none of its days or trades is
counted.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.app.factory import build_kernel
from bot.backtest.data import BarItem
from bot.backtest.market import add_bar_items
from bot.backtest.models import FeeModel
from bot.backtest.runner import Backtest
from bot.config import Settings
from bot.engine.results import DayResult
from bot.model.clock import SimulatedClock
from bot.model.ids import OrderIdFactory
from bot.model.units import to_nanos
from bot.strategy.config import SleeveSpec

CHICAGO = ZoneInfo("America/Chicago")
SYMBOL = "MES"


@dataclass(frozen=True, slots=True)
class Window:
    """Trading days first..last (inclusive), by Topstep's 17:00 Chicago day."""

    first: date
    last: date

    def start_ns(self, warmup_days: int = 0) -> int:
        day = self.first - timedelta(days=1 + warmup_days)
        return to_nanos(datetime.combine(day, time(17), tzinfo=CHICAGO))

    def end_ns(self) -> int:
        return to_nanos(datetime.combine(self.last, time(17), tzinfo=CHICAGO))

    def __str__(self) -> str:
        return f"{self.first}..{self.last}"


@dataclass(frozen=True, slots=True)
class Segment:
    """What one run produced inside its window."""

    sleeves: tuple[str, ...]
    days: tuple[DayResult, ...]
    trips: dict[str, dict[date, int]]  # per sleeve and day: round trips closed (flat again)
    account_failed: bool

    def net(self, sleeve: str | None = None) -> list[int]:
        if sleeve is None:
            return [d.net_cents for d in self.days]
        return [d.sleeve_net_cents.get(sleeve, 0) for d in self.days]

    def lows(self) -> list[int]:
        return [d.low_cents for d in self.days]

    def dll_days(self) -> int:
        return sum(d.dll_hit for d in self.days)

    def trades(self, sleeve: str | None = None) -> int:
        """Round trips closed on the segment's days (all sleeves' when None)."""
        names = self.sleeves if sleeve is None else (sleeve,)
        wanted = {d.day for d in self.days}
        return sum(n for s in names for day, n in self.trips.get(s, {}).items() if day in wanted)

    def between(self, first: date, last: date) -> Segment:
        """The days in [first, last] of this run."""
        days = tuple(d for d in self.days if first <= d.day <= last)
        return Segment(self.sleeves, days, self.trips, self.account_failed)


def concat(segments: Sequence[Segment]) -> Segment:
    """Segments of disjoint days, one after the other (e.g. the test windows of every fold)."""
    names: dict[str, None] = {}
    trips: dict[str, dict[date, int]] = {}
    days: list[DayResult] = []
    for seg in segments:
        names.update(dict.fromkeys(seg.sleeves))
        days.extend(seg.days)
        wanted = {d.day for d in seg.days}
        for name, by_day in seg.trips.items():
            mine = trips.setdefault(name, {})
            for day, n in by_day.items():
                if day in wanted:
                    mine[day] = mine.get(day, 0) + n
    failed = any(s.account_failed for s in segments)
    return Segment(tuple(names), tuple(days), trips, failed)


class BarBook:
    """Runs sleeve books on slices of one decoded bar series (read once, run many times)."""

    def __init__(self, settings: Settings, bars: Sequence[BarItem], warmup_days: int = 60) -> None:
        self.settings = settings
        self.bars = bars
        self.starts = [b.start_ns for b, _ in bars]
        self.warmup_days = warmup_days
        self.runs = 0

    def days(self) -> list[date]:
        """Every calendar date that has a bar (Chicago date of the bar's end)."""
        seen: dict[date, None] = {}
        for bar, _ in self.bars:
            seen[datetime.fromtimestamp(bar.end_ns / 1e9, tz=UTC).astimezone(CHICAGO).date()] = None
        return list(seen)

    def run(self, specs: list[SleeveSpec], window: Window) -> Segment:
        """The sleeves of `specs` together, one fresh account, on the window (plus warm-up)."""
        self.runs += 1
        start, end = window.start_ns(self.warmup_days), window.end_ns()
        lo = bisect.bisect_left(self.starts, start)
        hi = bisect.bisect_left(self.starts, end)
        clock = SimulatedClock()
        kernel = build_kernel(self.settings, clock, specs, OrderIdFactory("wf"))
        backtest = Backtest(kernel, clock)
        fees = FeeModel.from_instruments(kernel.instruments)
        items = (self.bars[i] for i in range(lo, hi))
        add_bar_items(backtest, items, SYMBOL, 0, fees, kernel.schedule.day_of_ns)
        if backtest.has_data:
            backtest.run()
        days = tuple(d for d in kernel.days if window.first <= d.day <= window.last)
        names = tuple(s.name for s in specs)
        trips: dict[str, dict[date, int]] = {name: {} for name in names}
        held: dict[str, int] = {}
        day_of = kernel.schedule.day_of_ns
        for fill in kernel.fills:
            before = held.get(fill.sleeve, 0)
            after = held[fill.sleeve] = before + fill.side * fill.qty
            if before and (after == 0 or (after > 0) != (before > 0)):
                by_day = trips.setdefault(fill.sleeve, {})
                day = day_of(fill.ts_ns)
                by_day[day] = by_day.get(day, 0) + 1
        return Segment(names, days, trips, kernel.account.failed)
