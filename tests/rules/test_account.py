"""Hand-worked cases from Topstep's published XFA rules, one rule at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.rules.account import AccountState, DayOutcome, DayPnl, apply_day
from bot.rules.profiles import PROFILES, AccountRules

XFA = PROFILES["xfa-50k"]
COMBINE = PROFILES["combine-50k"]
START = date(2026, 3, 2)


def run(rules: AccountRules, days: list[tuple[float, float | None, float]]) -> list[DayOutcome]:
    """Apply (net, low, payout) dollar triples day by day, stopping after a failure."""
    state = AccountState.initial(rules)
    out: list[DayOutcome] = []
    for i, (net, low, payout) in enumerate(days):
        net_c = round(net * 100)
        low_c = min(0, net_c) if low is None else round(low * 100)
        pnl = DayPnl(START + timedelta(days=i), net_c, low_c, round(payout * 100))
        state, outcome = apply_day(rules, state, pnl)
        out.append(outcome)
        if outcome.account_failed:
            break
    return out


def test_initial_state_is_zero_balance_and_floor_minus_2000() -> None:
    state = AccountState.initial(XFA)
    assert (state.balance_cents, state.floor_cents, state.max_micros) == (0, -200_000, 2)


def test_floor_trails_end_of_day_balance_and_never_falls() -> None:
    out = run(XFA, [(500, -100, 0), (700, -50, 0), (-400, -600, 0), (100, None, 0)])
    assert [o.balance_cents for o in out] == [50_000, 120_000, 80_000, 90_000]
    assert [o.mll_floor_cents for o in out] == [-150_000, -80_000, -80_000, -80_000]


def test_floor_locks_at_zero_once_balance_passes_2000() -> None:
    out = run(XFA, [(1500, None, 0), (1000, None, 0), (800, None, 0), (-1500, -1500, 0)])
    assert [o.mll_floor_cents for o in out] == [-50_000, 0, 0, 0]
    assert out[-1].balance_cents == 180_000 and not out[-1].account_failed


def test_intraday_low_reaching_the_floor_fails_even_if_day_recovers() -> None:
    out = run(XFA, [(300, -2000, 0), (100, None, 0)])
    assert len(out) == 1
    failed = out[0]
    assert failed.mll_breached and failed.account_failed
    assert failed.balance_cents == -200_000  # start balance + low
    assert failed.mll_floor_cents == -200_000


def test_a_cent_above_the_floor_survives() -> None:
    out = run(XFA, [(-1999.99, -1999.99, 0)])
    assert not out[0].mll_breached and out[0].balance_cents == -199_999


def test_dll_hit_is_not_an_account_failure() -> None:
    out = run(XFA, [(-1000, -1000, 0), (200, None, 0)])
    assert out[0].dll_hit and not out[0].account_failed and not out[0].mll_breached
    assert out[0].balance_cents == -100_000
    assert not out[1].dll_hit
    just_short = run(XFA, [(-999.99, -999.99, 0)])
    assert not just_short[0].dll_hit


def test_winning_days_count_at_150_net() -> None:
    out = run(XFA, [(150, None, 0), (149.99, None, 0), (400, None, 0)])
    assert [o.winning_day for o in out] == [True, False, True]
    assert [o.winning_days for o in out] == [1, 1, 2]


def test_payout_before_the_lock_sets_floor_to_zero_and_restarts_count() -> None:
    days: list[tuple[float, float | None, float]] = [(240, -20, 0)] * 4 + [(240, -20, 400)]
    out = run(XFA, days)
    last = out[-1]
    assert last.payout_eligible and last.max_payout_cents == 60_000  # 50% of 1,200
    assert last.payout_paid_cents == 40_000 and last.payout_refused is None
    assert last.balance_cents == 80_000
    assert last.mll_floor_cents == 0  # was -800 before the payout
    assert last.winning_days == 0


def test_payout_refused_before_five_winning_days() -> None:
    out = run(XFA, [(300, None, 0)] * 3 + [(300, None, 100)])
    last = out[-1]
    assert not last.payout_eligible and last.max_payout_cents == 0
    assert last.payout_paid_cents == 0
    assert last.payout_refused is not None and "not eligible" in last.payout_refused
    assert last.balance_cents == 120_000 and last.winning_days == 4


def test_payout_above_the_cap_is_refused_whole() -> None:
    out = run(XFA, [(300, None, 0)] * 4 + [(300, None, 1000)])
    last = out[-1]
    assert last.max_payout_cents == 75_000
    assert last.payout_paid_cents == 0 and "exceeds the maximum" in (last.payout_refused or "")
    assert last.winning_days == 5 and last.mll_floor_cents == -50_000


def test_payout_capped_at_5000() -> None:
    out = run(XFA, [(3000, None, 0)] * 5)
    assert out[-1].balance_cents == 1_500_000
    assert out[-1].max_payout_cents == 500_000  # min($5,000, 50% of $15,000)


def test_after_a_payout_the_balance_is_the_whole_buffer() -> None:
    out = run(XFA, [(240, -20, 0)] * 4 + [(240, -20, 600), (-599, -600, 0)])
    assert out[-2].balance_cents == 60_000 and out[-2].mll_floor_cents == 0
    assert out[-1].account_failed  # 600 + (-600) reaches the $0 floor


def test_scaling_tiers_up_and_down_at_the_boundaries() -> None:
    # A tier is reached only strictly above its threshold: exactly $1,500.00 and $2,000.00 stay
    # in the lower tier (the conservative reading; Topstep's table does not say).
    days: list[tuple[float, float | None, float]] = [
        (1499.99, None, 0),
        (0.01, None, 0),
        (0.01, None, 0),
        (499.99, None, 0),
        (0.01, None, 0),
        (-600, None, 0),
    ]
    out = run(XFA, days)
    assert [o.balance_cents for o in out] == [149_999, 150_000, 150_001, 200_000, 200_001, 140_001]
    assert [o.max_micros for o in out] == [2, 2, 3, 3, 5, 2]  # one micro is one lot (FIX)
    topstepx = run(replace(XFA, micros_per_lot=10), days)
    assert [o.max_micros for o in topstepx] == [20, 20, 30, 30, 50, 20]


def test_combine_has_no_scaling_plan_and_no_payouts() -> None:
    out = run(COMBINE, [(200, None, 0)] * 5 + [(200, None, 100)])
    assert all(o.max_micros == 5 for o in out)
    assert out[-1].payout_refused == "payouts are not available on combine-50k"
    assert out[-1].payout_paid_cents == 0


def test_configured_limits_apply() -> None:
    tight = replace(XFA, dll_cents=50_000, mll_amount_cents=100_000)
    out = run(tight, [(-500, -500, 0), (-400, -500, 0)])
    assert out[0].dll_hit and not out[0].account_failed  # a $500 DLL is hit at -500
    assert out[0].mll_floor_cents == -100_000  # a $1,000 MLL
    assert out[1].account_failed  # -500 then a low of -500: equity reaches the -1,000 floor
    assert out[1].balance_cents == -100_000
    survives = run(tight, [(-500, -500, 0), (-400, -499.99, 0)])
    assert not survives[1].account_failed and survives[1].balance_cents == -90_000


def test_no_day_applies_after_failure() -> None:
    state = AccountState.initial(XFA)
    state, outcome = apply_day(XFA, state, DayPnl(START, -2500, -250_000))
    assert outcome.account_failed
    with pytest.raises(ValueError, match="already failed"):
        apply_day(XFA, state, DayPnl(START + timedelta(days=1), 100, 0))
