"""Contract months: which listed month is the front one to trade on a given day.

Equity micros expire on the third Friday of H/M/U/Z at 08:30 CT; the bot rolls on the Monday of
expiry week (CME's current customary roll date).  MGC must be out before first notice (the last
business day of the month before delivery), so it rolls on the 20th of the month before; MCL
expires around the 20th of the month before delivery, so it rolls on the 15th of that month.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from bot.instruments.specs import Instrument

MONTH_CODES = "FGHJKMNQUVXZ"
_CYCLES = {
    "quarterly": (3, 6, 9, 12),
    "bimonthly-even": (2, 4, 6, 8, 10, 12),
    "monthly": tuple(range(1, 13)),
}


@dataclass(frozen=True, slots=True)
class Contract:
    root: str
    year: int
    month: int

    @property
    def maturity(self) -> str:
        """FIX MaturityMonthYear (tag 200), YYYYMM."""
        return f"{self.year:04d}{self.month:02d}"

    @property
    def code(self) -> str:
        """Exchange code such as MESZ6."""
        return f"{self.root}{MONTH_CODES[self.month - 1]}{self.year % 10}"


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    offset = (calendar.FRIDAY - first.weekday()) % 7
    return first + timedelta(days=offset + 14)


def roll_date(instrument: Instrument, year: int, month: int) -> date:
    """First day on which the next listed month is the one to trade."""
    if instrument.month_cycle == "quarterly":
        return third_friday(year, month) - timedelta(days=4)  # Monday of expiry week
    prev_year, prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
    day = 20 if instrument.month_cycle == "bimonthly-even" else 15
    return date(prev_year, prev_month, day)


def front_contract(instrument: Instrument, day: date) -> Contract:
    """The contract to trade on `day` (a trading-day label)."""
    year = day.year
    for _ in range(3):
        for month in _CYCLES[instrument.month_cycle]:
            if day < roll_date(instrument, year, month):
                return Contract(instrument.symbol, year, month)
        year += 1
    raise AssertionError("unreachable: a listed month always exists within three years")


def parse_maturity(instrument: Instrument, maturity: str) -> Contract:
    """Validate a YYYYMM maturity against the instrument's listed months."""
    if len(maturity) != 6 or not maturity.isdigit():
        raise ValueError(f"maturity {maturity!r} is not YYYYMM")
    year, month = int(maturity[:4]), int(maturity[4:])
    if month not in _CYCLES[instrument.month_cycle]:
        raise ValueError(f"{instrument.symbol} does not list month {month:02d}")
    return Contract(instrument.symbol, year, month)
