"""A risk engine on the real instrument table and CME calendar, in the middle of a session."""

from __future__ import annotations

from datetime import UTC, date, datetime

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


def make_engine(account: AccountState | None = None, **limits: int) -> RiskEngine:
    rules = PROFILES["xfa-50k"]
    engine = RiskEngine(RiskLimits(rules=rules, **limits), instrument_table(), CALENDAR)  # type: ignore[arg-type]
    engine.start_day(DAY, account or AccountState.initial(rules), NOW)
    engine.on_mark("MES", 20_000, NOW)  # 5000.00
    engine.on_mark("MNQ", 80_000, NOW)
    engine.drain_events()
    return engine


@pytest.fixture
def engine() -> RiskEngine:
    return make_engine()
