"""Invariants of the account rules over arbitrary day sequences."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.account import AccountState, DayPnl, apply_day
from bot.rules.profiles import PROFILES

XFA = PROFILES["xfa-50k"]

day_strategy = st.tuples(
    st.integers(-150_000, 250_000),  # net, cents
    st.integers(0, 150_000),  # extra drawdown below min(0, net)
    st.one_of(st.just(0), st.integers(1, 600_000)),  # payout request
)


@settings(max_examples=300, deadline=None)
@given(st.lists(day_strategy, min_size=1, max_size=60))
def test_floor_never_falls_never_passes_the_lock_and_breach_is_final(
    days: list[tuple[int, int, int]],
) -> None:
    state = AccountState.initial(XFA)
    floor = state.floor_cents
    for i, (net, extra, payout) in enumerate(days):
        pnl = DayPnl(date(2026, 1, 1) + timedelta(days=i), net, min(0, net) - extra, payout)
        start = state.balance_cents
        state, out = apply_day(XFA, state, pnl)
        assert out.mll_breached == (start + pnl.low_pnl_cents <= floor)  # the day's floor
        assert out.mll_floor_cents >= floor
        assert out.mll_floor_cents <= XFA.mll_lock_cents
        floor = out.mll_floor_cents
        assert out.payout_paid_cents <= out.max_payout_cents
        if out.payout_paid_cents:
            assert out.mll_floor_cents == 0 and out.winning_days == 0
            assert out.balance_cents > 0
        if out.account_failed:
            break
        assert out.balance_cents > out.mll_floor_cents  # a surviving day ends above its floor
        assert out.max_micros in (2, 3, 5)
