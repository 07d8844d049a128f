"""The CME trading day, DST changes, holidays and early closes (from exchange-calendars)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.instruments.calendar import CalendarUnavailable, TradingCalendar

CAL = TradingCalendar(flat_by_cutoff=time(15, 0))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_sunday_evening_belongs_to_monday() -> None:
    assert CAL.trading_day(utc("2024-06-09T22:00:00")) == date(2024, 6, 10)  # Sun 17:00 CDT
    assert CAL.trading_day(utc("2024-06-09T21:59:59")) == date(2024, 6, 9)


def test_march_dst_change_moves_the_day_boundary_to_22_utc() -> None:
    # 2024-03-10: clocks spring forward at 02:00 CT; Sunday's 17:00 CT is 22:00 UTC.
    assert CAL.trading_day(utc("2024-03-10T21:59:59")) == date(2024, 3, 10)
    assert CAL.trading_day(utc("2024-03-10T22:00:00")) == date(2024, 3, 11)
    assert CAL.new_risk_allowed(utc("2024-03-10T22:00:00")) == (True, "ok")
    # The Friday before (CST) the boundary was still at 23:00 UTC.
    assert CAL.trading_day(utc("2024-03-07T22:30:00")) == date(2024, 3, 7)
    assert CAL.bot_cutoff(date(2024, 3, 11)) == utc("2024-03-11T20:00:00")  # 15:00 CDT
    assert CAL.bot_cutoff(date(2024, 3, 8)) == utc("2024-03-08T21:00:00")  # 15:00 CST


def test_november_dst_change_moves_the_day_boundary_to_23_utc() -> None:
    assert CAL.trading_day(utc("2024-11-03T22:30:00")) == date(2024, 11, 3)
    assert CAL.trading_day(utc("2024-11-03T23:00:00")) == date(2024, 11, 4)
    assert CAL.bot_cutoff(date(2024, 11, 4)) == utc("2024-11-04T21:00:00")
    assert CAL.topstep_flat_by(date(2024, 11, 1)) == utc("2024-11-01T20:10:00")  # 15:10 CDT


def test_holidays_are_not_trading_days() -> None:
    assert not CAL.is_trading_day(date(2024, 12, 25))
    allowed, why = CAL.new_risk_allowed(utc("2024-12-25T15:00:00"))
    assert not allowed and "not a CME trading day" in why
    assert CAL.trading_day(utc("2024-12-25T23:30:00")) == date(2024, 12, 26)
    assert CAL.new_risk_allowed(utc("2024-12-25T23:30:00"))[0]


def test_early_close_pulls_the_cutoffs_forward() -> None:
    day = date(2024, 11, 29)  # the day after Thanksgiving: 12:00 CT close
    assert CAL.session(day).early_close
    assert CAL.topstep_flat_by(day) == utc("2024-11-29T18:00:00")
    assert CAL.bot_cutoff(day) == utc("2024-11-29T17:50:00")
    assert not CAL.new_risk_allowed(utc("2024-11-29T17:55:00"))[0]
    assert CAL.new_risk_allowed(utc("2024-11-29T17:45:00"))[0]


def test_cutoff_blocks_new_risk_and_weekend_is_closed() -> None:
    assert CAL.new_risk_allowed(utc("2024-06-12T19:59:59"))[0]
    allowed, why = CAL.new_risk_allowed(utc("2024-06-12T20:00:00"))
    assert not allowed and "cutoff 15:00" in why
    assert CAL.must_be_flat(utc("2024-06-12T21:30:00"))  # 16:30 CT maintenance
    assert CAL.must_be_flat(utc("2024-06-15T15:00:00"))  # Saturday


def test_outside_the_calendar_range_fails_closed() -> None:
    with pytest.raises(CalendarUnavailable):
        CAL.session(date(2099, 1, 5))
    assert CAL.must_be_flat(utc("2099-01-05T15:00:00"))
