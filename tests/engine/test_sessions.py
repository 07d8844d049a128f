"""The cached session schedule answers exactly as the calendar it wraps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.sessions import SessionSchedule
from bot.instruments.calendar import PRODUCT_GROUPS, TradingCalendar
from bot.model.units import to_nanos

CAL = TradingCalendar()
SCHEDULE = SessionSchedule(CAL)
START = datetime(2024, 1, 1, tzinfo=UTC)  # covers the sourced early closes of 2024


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=365 * 24 * 3600))
def test_same_answers_as_the_calendar(offset_s: int) -> None:
    ts = START + timedelta(seconds=offset_s)
    assert SCHEDULE.trading_day(ts) == CAL.trading_day(ts)
    assert SCHEDULE.new_risk_allowed(ts) == CAL.new_risk_allowed(ts)
    for group in PRODUCT_GROUPS:
        assert SCHEDULE.new_risk_allowed(ts, group) == CAL.new_risk_allowed(ts, group)


def test_group_early_closes_agree_with_the_calendar() -> None:
    for day in (date(2024, 7, 3), date(2024, 6, 19), date(2024, 11, 29), date(2025, 7, 3)):
        for group in (None, *PRODUCT_GROUPS):
            window = SCHEDULE.window(day, group)
            assert window.cutoff_ns == to_nanos(CAL.bot_cutoff(day, group))
    july3 = SCHEDULE.window(date(2024, 7, 3), "equity")
    assert july3.cutoff_ns < SCHEDULE.window(date(2024, 7, 3), "energy").cutoff_ns


def test_day_boundary_is_17_00_chicago() -> None:
    before = datetime(2024, 3, 5, 22, 59, 59, tzinfo=UTC)  # 16:59:59 CST
    after = datetime(2024, 3, 5, 23, 0, 0, tzinfo=UTC)  # 17:00 CST
    assert SCHEDULE.day_of_ns(to_nanos(before)) == date(2024, 3, 5)
    assert SCHEDULE.day_of_ns(to_nanos(after)) == date(2024, 3, 6)


def test_holiday_window_is_not_tradable() -> None:
    window = SCHEDULE.window(date(2024, 12, 25))
    assert not window.tradable and window.why_not
    open_day = SCHEDULE.window(date(2024, 3, 6))
    assert open_day.tradable and open_day.open_ns < open_day.cutoff_ns < open_day.close_ns


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=365 * 24 * 3600))
def test_day_span_holds_exactly_the_times_of_that_day(offset_s: int) -> None:
    """The kernel's same-day shortcut: every time in [start, end) has the label of the time
    asked about, the nanoseconds just outside do not."""
    ts = to_nanos(START + timedelta(seconds=offset_s))
    start, end = SessionSchedule(CAL).day_span_ns(ts)
    day = CAL.trading_day(START + timedelta(seconds=offset_s))
    fresh = SessionSchedule(CAL)  # no cache: each answer from the calendar's rule
    assert start <= ts < end
    assert fresh.day_of_ns(start) == day and SessionSchedule(CAL).day_of_ns(end - 1) == day
    assert SessionSchedule(CAL).day_of_ns(start - 1) != day
    assert SessionSchedule(CAL).day_of_ns(end) != day
