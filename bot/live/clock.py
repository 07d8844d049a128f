"""Clocks for the live process.

`WallClock` reads the real time.  `MarketClock` is the sim mode's market time: it starts at a
chosen instant of a regular trading day and runs at `speed` times the wall clock, so the
calendar, the cutoff and the 17:00 CT day change happen as on that day, whatever the machine's
date.  Both only ever move forward (a monotonic clock measures the elapsed time).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from bot.engine.sessions import SessionSchedule
from bot.model.units import to_nanos

CHICAGO = ZoneInfo("America/Chicago")
FULL_CLOSE_AFTER = dtime(15, 30)  # an early close is at or before 13:30 CT
FALLBACK_DAY = date(2026, 3, 10)  # a regular Tuesday inside the calendar's range
DEFAULT_START = dtime(8, 30)  # Chicago: the cash open, hours before the 15:00 cutoff


class WallClock:
    """Real time (UTC nanoseconds since the epoch)."""

    __slots__ = ()

    def now_ns(self) -> int:
        return time.time_ns()

    @property
    def speed(self) -> float:
        return 1.0

    def wall_delay_s(self, market_ns: int) -> float:
        return max(0.0, (market_ns - self.now_ns()) / 1e9)


class MarketClock:
    """Market time = `start_ns` + (monotonic time since the anchor) x `speed`."""

    __slots__ = ("_anchor", "speed", "start_ns")

    def __init__(
        self, start_ns: int, speed: float = 1.0, anchor_mono_ns: int | None = None
    ) -> None:
        if speed <= 0:
            raise ValueError("the market clock's speed must be positive")
        self.start_ns = start_ns
        self.speed = speed
        self._anchor = time.monotonic_ns() if anchor_mono_ns is None else anchor_mono_ns

    def now_ns(self) -> int:
        return self.start_ns + int((time.monotonic_ns() - self._anchor) * self.speed)

    def wall_delay_s(self, market_ns: int) -> float:
        """Wall seconds until the market clock reads `market_ns` (0 if it already has)."""
        return max(0.0, (market_ns - self.now_ns()) / self.speed / 1e9)


def regular_day(schedule: SessionSchedule, today: date, lookback_days: int = 40) -> date:
    """The latest weekday before `today` with a full session (tradable, closing after 15:30
    CT: no early close); a fixed regular day when the calendar knows none in the lookback (a
    machine clock outside its range)."""
    for back in range(1, lookback_days + 1):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        window = schedule.window(day)
        if not window.tradable:
            continue
        close = datetime.fromtimestamp(window.close_ns / 1e9, UTC).astimezone(CHICAGO)
        if close.date() == day and close.time() >= FULL_CLOSE_AFTER:
            return day
    return FALLBACK_DAY


def market_start_ns(day: date, at: dtime = DEFAULT_START) -> int:
    """`at` Chicago time on trading day `day`, as UTC nanoseconds."""
    return to_nanos(datetime.combine(day, at, tzinfo=CHICAGO).astimezone(UTC))
