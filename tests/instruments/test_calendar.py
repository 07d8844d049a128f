"""The CME trading day, DST changes, holidays and early closes (from exchange-calendars)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.instruments.calendar import CHICAGO, CalendarUnavailable, TradingCalendar

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


# ---- issue 8 item 6: early closes and holiday halts per product group ------------------------


@pytest.mark.parametrize(
    ("day", "group", "close_ct"),
    [
        # Juneteenth: CMES shows a full session; the exchange halted at 12:00 CT
        ("2024-06-19", "equity", "12:00"),
        ("2025-06-19", "equity", "12:00"),
        ("2026-06-19", "equity", "12:00"),
        ("2024-06-19", "metals", "12:00"),
        ("2025-06-19", "energy", "12:00"),
        # July 3 before Independence Day: equity at 12:15 CT, metals and energy regular
        ("2024-07-03", "equity", "12:15"),
        ("2025-07-03", "equity", "12:15"),
        ("2024-07-03", "metals", "17:00"),
        ("2025-07-03", "energy", "17:00"),
        # From CMES: the holiday halts, the day after Thanksgiving, Christmas Eve
        ("2024-07-04", "equity", "12:00"),
        ("2026-07-03", "equity", "12:00"),  # the observed holiday itself
        ("2024-11-29", "equity", "12:00"),
        ("2025-11-28", "metals", "12:00"),
        ("2026-11-27", "energy", "12:00"),
        ("2024-12-24", "equity", "12:00"),
        ("2025-12-24", "equity", "12:00"),
        ("2026-12-24", "metals", "12:00"),
        ("2025-01-20", "equity", "12:00"),  # Martin Luther King Jr. Day
        ("2026-09-07", "energy", "12:00"),  # Labor Day
        ("2026-06-18", "equity", "17:00"),  # an ordinary day
    ],
)
def test_early_closes_per_group(day: str, group: str, close_ct: str) -> None:
    session = CAL.session(date.fromisoformat(day), group)  # type: ignore[arg-type]
    local = session.close_utc.astimezone(CHICAGO).strftime("%H:%M")
    assert local == close_ct
    assert session.early_close == (close_ct != "17:00")


@pytest.mark.parametrize(
    "day", ["2024-03-29", "2025-04-18", "2026-04-03", "2024-12-25", "2025-01-01"]
)
def test_full_holidays_are_closed(day: str) -> None:
    assert not CAL.is_trading_day(date.fromisoformat(day))


def test_no_entry_after_an_early_close_and_flat_before_it() -> None:
    """2024-06-19 (Juneteenth): the cutoff is 11:50 CT for every group, not 15:00."""
    assert CAL.bot_cutoff(date(2024, 6, 19), "equity") == utc("2024-06-19T16:50:00")
    assert CAL.topstep_flat_by(date(2024, 6, 19)) == utc("2024-06-19T17:00:00")
    allowed, why = CAL.new_risk_allowed(utc("2024-06-19T17:30:00"), "equity")  # 12:30 CT
    assert not allowed and "cutoff 11:50" in why
    # July 3: equity stops at 12:05 CT, metals trade on to the usual 15:00 cutoff
    assert not CAL.new_risk_allowed(utc("2024-07-03T17:10:00"), "equity")[0]
    assert CAL.new_risk_allowed(utc("2024-07-03T17:10:00"), "metals")[0]
    assert not CAL.new_risk_allowed(utc("2024-07-03T17:10:00"))[0]  # no group: the earliest


def test_the_engine_applies_the_early_close_of_the_instrument() -> None:
    from bot.risk.orders import OrderRequest, OrderType, Side
    from bot.rules.account import AccountState
    from tests.risk.conftest import make_engine

    engine = make_engine()
    now = utc("2024-07-03T17:10:00")  # 12:10 CT
    engine.start_day(date(2024, 7, 3), AccountState.initial(engine.limits.rules), now)
    engine.on_mark("MES", 20_000, now)
    engine.on_mark("MGC", 23_000, now)
    mes = OrderRequest("a", "MES", Side.BUY, 1, OrderType.LIMIT, 20_000, None, 19_990)
    mgc = OrderRequest("b", "MGC", Side.BUY, 1, OrderType.LIMIT, 23_000, None, 22_990)
    denied = engine.check(mes, now)
    assert not denied.approved and "cutoff 12:05" in denied.reason
    assert engine.check(mgc, now).approved


def test_the_calendar_runs_on_chicago_time_only() -> None:
    from zoneinfo import ZoneInfo

    with pytest.raises(ValueError, match="Chicago"):
        TradingCalendar(tz=ZoneInfo("America/New_York"))
