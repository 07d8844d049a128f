"""The CME trading day, its sessions and the times by which the bot must be flat.

A trading day runs 17:00 America/Chicago to 17:00 the next day and is labelled by the day it
ends, so Sunday evening belongs to Monday.  Holidays and early closes come from
`exchange-calendars` (CMES), and from `EARLY_CLOSES` below for the closes CMES lacks or puts
later than the exchange did: a product group's close is the earlier of the two.  Every clock rule
is computed in Chicago local time through zoneinfo, so both DST changes are right by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import exchange_calendars as xcals

from bot.config import TOPSTEP_FLAT_BY
from bot.instruments.specs import ProductGroup

CHICAGO = ZoneInfo("America/Chicago")
DAY_BOUNDARY = time(17, 0)
PRODUCT_GROUPS: tuple[ProductGroup, ...] = ("equity", "metals", "energy")

# Closes (Chicago time) that CMES lacks or puts later than CME did, per product group.  CMES
# (exchange-calendars) already closes every US holiday halt, the day after Thanksgiving and
# Christmas Eve at 12:00 CT for all groups: that is at or before the real equity (12:00/12:15 CT)
# and metals/energy (12:45-13:45 CT) times, so those stay as CMES has them.  What it misses:
#  * Juneteenth (June 19): CMES shows a full session.  Equity halts at 12:00 CT (CME via
#    forexlive.com, 2024-06-17/19: "Wednesday, June 19th 12:00pm Halt"; docs.trade.xyz
#    holiday-closures 2026: 13:00 ET).  Metals: 13:00 ET = 12:00 CT in 2026 (docs.trade.xyz);
#    for 2024-2025 and energy we found no group-specific page and take the same 12:00 CT, the
#    earliest published time of any group (conservative: the bot is flat sooner, never later).
#  * July 3 (a weekday before Independence Day): equity closes early at 12:15 CT (DTN's 2024
#    exchange schedule, iqhelp.dtn.com "Fourth of July service hours 2024"; the same pattern in
#    CME's 2013 schedule).  Energy and metals kept their regular hours on 2024-07-03 (DTN).
#    2026-07-03 is the observed holiday itself: CMES already has it at 12:00 CT.
EARLY_CLOSES: Mapping[date, Mapping[ProductGroup, time]] = {
    date(2024, 6, 19): {"equity": time(12, 0), "metals": time(12, 0), "energy": time(12, 0)},
    date(2025, 6, 19): {"equity": time(12, 0), "metals": time(12, 0), "energy": time(12, 0)},
    date(2026, 6, 19): {"equity": time(12, 0), "metals": time(12, 0), "energy": time(12, 0)},
    date(2024, 7, 3): {"equity": time(12, 15)},
    date(2025, 7, 3): {"equity": time(12, 15)},
}


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


def _cmes_session(day: date) -> tuple[datetime, datetime, bool] | None:
    """CMES's (open, close, early close) for the session labelled `day` in UTC, None on a
    holiday; `CalendarUnavailable` outside the calendar (from the table read once)."""
    first, last, table = _sessions()
    if not first <= day <= last:
        raise CalendarUnavailable(f"{day} is outside the CME calendar's range")
    return table.get(day)


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

    def __post_init__(self) -> None:
        if self.tz.key != CHICAGO.key:
            raise ValueError("Topstep's clock is Chicago's: the calendar runs on America/Chicago")

    def trading_day(self, ts: datetime) -> date:
        """The label of the trading day that `ts` (aware) falls in, by the 17:00 clock rule."""
        local = ts.astimezone(self.tz)
        return local.date() + timedelta(days=1) if local.time() >= DAY_BOUNDARY else local.date()

    def is_trading_day(self, day: date) -> bool:
        return _cmes_session(day) is not None

    def session(self, day: date, group: ProductGroup | None = None) -> Session:
        """The exchange session labelled `day` for a product group (None: the earliest close of
        all groups); raises `CalendarUnavailable` if there is none."""
        found = _cmes_session(day)
        if found is None:
            raise CalendarUnavailable(f"{day} is not a CME trading day")
        opened, closed, early = found
        extra = EARLY_CLOSES.get(day, {})
        for name in PRODUCT_GROUPS if group is None else (group,):
            if name in extra:
                own = datetime.combine(day, extra[name], tzinfo=self.tz).astimezone(UTC)
                if own < closed:
                    closed, early = own, True
        return Session(day=day, open_utc=opened, close_utc=closed, early_close=early)

    def topstep_flat_by(self, day: date, group: ProductGroup | None = None) -> datetime:
        """Topstep's hard rule: flat before 15:10 CT, or before an earlier exchange close."""
        rule = datetime.combine(day, TOPSTEP_FLAT_BY, tzinfo=self.tz).astimezone(UTC)
        return min(rule, self.session(day, group).close_utc)

    def bot_cutoff(self, day: date, group: ProductGroup | None = None) -> datetime:
        """When the bot stops adding risk and flattens: its own cutoff, or a margin before an
        early close, whichever is earlier; always strictly before Topstep's flat-by time."""
        own = datetime.combine(day, self.flat_by_cutoff, tzinfo=self.tz).astimezone(UTC)
        session = self.session(day, group)
        if session.early_close:
            own = min(own, session.close_utc - self.early_close_margin)
        return min(own, self.topstep_flat_by(day, group) - timedelta(seconds=1))

    def new_risk_allowed(self, ts: datetime, group: ProductGroup | None = None) -> tuple[bool, str]:
        """May the bot hold or open exposure in `group` (None: in every group) at `ts`?
        (False, why) when it may not."""
        day = self.trading_day(ts)
        try:
            session = self.session(day, group)
            cutoff = self.bot_cutoff(day, group)
        except CalendarUnavailable as exc:
            return False, str(exc)
        now = ts.astimezone(UTC)
        if now < session.open_utc:
            return False, f"the {day} session has not opened"
        if now >= cutoff:
            local = cutoff.astimezone(self.tz).strftime("%H:%M")
            return False, f"past the flat-by cutoff {local} CT for {day}"
        return True, "ok"

    def must_be_flat(self, ts: datetime, group: ProductGroup | None = None) -> bool:
        """True from the bot's cutoff to the next session's open, and on any non-trading day."""
        allowed, _ = self.new_risk_allowed(ts, group)
        return not allowed
