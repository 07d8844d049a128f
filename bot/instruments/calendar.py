"""The CME trading day, its sessions and the times by which the bot must be flat.

A trading day runs 17:00 America/Chicago to 17:00 the next day and is labelled by the day it
ends, so Sunday evening belongs to Monday.  Holidays and early closes come from
`exchange-calendars` (CMES), never from a hand-written list.  Every clock rule is computed in
Chicago local time through zoneinfo, so both DST changes are right by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import exchange_calendars as xcals

from bot.config import TOPSTEP_FLAT_BY

CHICAGO = ZoneInfo("America/Chicago")
DAY_BOUNDARY = time(17, 0)


CALENDAR_START = "1997-01-01"  # the library's default is only the last 20 years: too short
# for the 1998-2021 backtests, whose early days would all look like holidays


@lru_cache(maxsize=1)
def _cmes() -> Any:
    return xcals.get_calendar("CMES", start=CALENDAR_START)


@lru_cache(maxsize=1)
def _sessions() -> tuple[date, date, dict[date, tuple[datetime, datetime, bool]]]:
    """Every session's (open, close, early close) read once from the calendar's schedule: a
    pandas lookup per day cost ~1 ms, which a 23-year backtest paid thousands of times."""
    cal = _cmes()
    early = {ts.date() for ts in cal.early_closes}
    schedule = cal.schedule
    table = {
        stamp.date(): (
            opened.to_pydatetime().astimezone(UTC),
            closed.to_pydatetime().astimezone(UTC),
            stamp.date() in early,
        )
        for stamp, opened, closed in zip(
            schedule.index, schedule["open"], schedule["close"], strict=True
        )
    }
    return cal.first_session.date(), cal.last_session.date(), table


@dataclass(frozen=True, slots=True)
class Session:
    """One trading day's window in UTC, with the exchange close (early on half days)."""

    day: date
    open_utc: datetime
    close_utc: datetime  # the exchange's close for the day (early closes included)
    early_close: bool


class CalendarUnavailable(LookupError):
    """The date is outside the exchange calendar's range: treat it as not tradable."""


@dataclass(frozen=True, slots=True)
class TradingCalendar:
    """Trading-day arithmetic and cutoffs; `flat_by_cutoff` is the bot's own, before 15:10."""

    flat_by_cutoff: time = time(15, 0)
    early_close_margin: timedelta = timedelta(minutes=10)
    tz: ZoneInfo = CHICAGO

    def trading_day(self, ts: datetime) -> date:
        """The label of the trading day that `ts` (aware) falls in, by the 17:00 clock rule."""
        local = ts.astimezone(self.tz)
        return local.date() + timedelta(days=1) if local.time() >= DAY_BOUNDARY else local.date()

    def is_trading_day(self, day: date) -> bool:
        first, last, table = _sessions()
        if not first <= day <= last:
            raise CalendarUnavailable(f"{day} is outside the CME calendar's range")
        return day in table

    def session(self, day: date) -> Session:
        """The exchange session labelled `day`; raises `CalendarUnavailable` if none."""
        if not self.is_trading_day(day):
            raise CalendarUnavailable(f"{day} is not a CME trading day")
        opened, closed, early = _sessions()[2][day]
        return Session(day=day, open_utc=opened, close_utc=closed, early_close=early)

    def topstep_flat_by(self, day: date) -> datetime:
        """Topstep's hard rule: flat before 15:10 CT, or before an earlier exchange close."""
        rule = datetime.combine(day, TOPSTEP_FLAT_BY, tzinfo=self.tz).astimezone(UTC)
        return min(rule, self.session(day).close_utc)

    def bot_cutoff(self, day: date) -> datetime:
        """When the bot stops adding risk and flattens: its own cutoff, or a margin before an
        early close, whichever is earlier; always strictly before Topstep's flat-by time."""
        own = datetime.combine(day, self.flat_by_cutoff, tzinfo=self.tz).astimezone(UTC)
        session = self.session(day)
        if session.early_close:
            own = min(own, session.close_utc - self.early_close_margin)
        return min(own, self.topstep_flat_by(day) - timedelta(seconds=1))

    def new_risk_allowed(self, ts: datetime) -> tuple[bool, str]:
        """May the bot open new exposure at `ts`?  (False, why) when it may not."""
        day = self.trading_day(ts)
        try:
            session = self.session(day)
            cutoff = self.bot_cutoff(day)
        except CalendarUnavailable as exc:
            return False, str(exc)
        now = ts.astimezone(UTC)
        if now < session.open_utc:
            return False, f"the {day} session has not opened"
        if now >= cutoff:
            local = cutoff.astimezone(self.tz).strftime("%H:%M")
            return False, f"past the flat-by cutoff {local} CT for {day}"
        return True, "ok"

    def must_be_flat(self, ts: datetime) -> bool:
        """True from the bot's cutoff to the next session's open, and on any non-trading day."""
        allowed, _ = self.new_risk_allowed(ts)
        return not allowed
