"""A risk engine on the real instrument table and CME calendar, in the middle of a session."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.instruments.calendar import TradingCalendar
from bot.instruments.specs import instrument_table
from bot.risk.engine import RiskEngine
from bot.risk.limits import RiskLimits
from bot.rules.account import AccountState
from bot.rules.profiles import PROFILES

DAY = date(2024, 6, 12)  # a Wednesday
NOW = datetime(2024, 6, 12, 15, 0, tzinfo=UTC)  # 10:00 CDT
CALENDAR = TradingCalendar()


def make_engine(
    account: AccountState | None = None, micros_per_lot: int = 10, **limits: Any
) -> RiskEngine:
    """An XFA engine at 10:00 CT.  Most buffer tests need room for 10-lot orders, so the
    default counts micros as TopstepX does (10 a lot); `micros_per_lot=1` is the FIX route."""
    rules = replace(PROFILES["xfa-50k"], micros_per_lot=micros_per_lot)
    engine = RiskEngine(RiskLimits(rules=rules, **limits), instrument_table(), CALENDAR)
    engine.start_day(DAY, account or AccountState.initial(rules), NOW)
    engine.on_mark("MES", 20_000, NOW)  # 5000.00
    engine.on_mark("MNQ", 80_000, NOW)
    engine.drain_events()
    return engine


@pytest.fixture
def engine() -> RiskEngine:
    return make_engine()
