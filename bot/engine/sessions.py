"""The trading calendar as the kernel needs it on every event: cached per trading day.

`TradingCalendar` asks exchange-calendars (pandas) for each answer, which costs tens of
microseconds; a backtest asks millions of times.  This wrapper computes each day's open, cutoff
and close once and answers `new_risk_allowed` / `trading_day` from integers, with the same
results (it implements the risk engine's `SessionClock`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.instruments.calendar import DAY_BOUNDARY, CalendarUnavailable, TradingCalendar
from bot.instruments.specs import ProductGroup
from bot.model.units import to_datetime, to_nanos


@dataclass(frozen=True, slots=True)
class DayWindow:
    """One trading day in nanoseconds: new risk allowed in [open, cutoff); `close` is the
    exchange's close.  `tradable` is False on holidays and outside the calendar's range."""

    day: date
    tradable: bool
    open_ns: int = 0
    cutoff_ns: int = 0
    close_ns: int = 0
    why_not: str = ""


class SessionSchedule:
    """Per-day windows of a `TradingCalendar`, computed once per day."""

    __slots__ = ("_days", "_last", "calendar")

    def __init__(self, calendar: TradingCalendar) -> None:
        self.calendar = calendar
        self._days: dict[tuple[date, ProductGroup | None], DayWindow] = {}
        self._last: tuple[int, int, date] = (1, 0, date.min)  # [start, end) ns -> day

    def window(self, day: date, group: ProductGroup | None = None) -> DayWindow:
        """The day's window for a product group (None: the earliest close of every group, the
        kernel's session timers: the whole book goes flat at the first group's cutoff)."""
        key = (day, group)
        found = self._days.get(key)
        if found is None:
            found = self._days[key] = self._compute(day, group)
        return found

    def _compute(self, day: date, group: ProductGroup | None) -> DayWindow:
        try:
            session = self.calendar.session(day, group)
            cutoff = self.calendar.bot_cutoff(day, group)
        except CalendarUnavailable as exc:
            return DayWindow(day, False, why_not=str(exc))
        return DayWindow(
            day, True, to_nanos(session.open_utc), to_nanos(cutoff), to_nanos(session.close_utc)
        )

    def day_of_ns(self, ts_ns: int) -> date:
        """The trading-day label of `ts_ns` by the 17:00 Chicago rule (cached per label)."""
        start, end, day = self._last
        if start <= ts_ns < end:
            return day
        day = self.calendar.trading_day(to_datetime(ts_ns))
        tz = self.calendar.tz
        begin = datetime.combine(day - timedelta(days=1), DAY_BOUNDARY, tzinfo=tz)
        finish = datetime.combine(day, DAY_BOUNDARY, tzinfo=tz)
        self._last = (to_nanos(begin.astimezone(UTC)), to_nanos(finish.astimezone(UTC)), day)
        return day

    def day_span_ns(self, ts_ns: int) -> tuple[int, int]:
        """[start, end) in ns of the trading day `ts_ns` falls in: every time in it has the
        label `day_of_ns(ts_ns)`."""
        self.day_of_ns(ts_ns)
        start, end, _ = self._last
        return start, end

    # ---- the risk engine's SessionClock ------------------------------------------------------

    def trading_day(self, ts: datetime) -> date:
        return self.day_of_ns(to_nanos(ts))

    def new_risk_allowed(self, ts: datetime, group: ProductGroup | None = None) -> tuple[bool, str]:
        return self.allowed_ns(to_nanos(ts), group)

    def allowed_ns(self, ts_ns: int, group: ProductGroup | None = None) -> tuple[bool, str]:
        day = self.day_of_ns(ts_ns)
        window = self.window(day, group)
        if not window.tradable:
            return False, window.why_not
        if ts_ns < window.open_ns:
            return False, f"the {day} session has not opened"
        if ts_ns >= window.cutoff_ns:
            local = to_datetime(window.cutoff_ns).astimezone(self.calendar.tz).strftime("%H:%M")
            return False, f"past the flat-by cutoff {local} CT for {day}"
        return True, "ok"
