"""The vectorised engine against the scalar rules engine, path by path and day by day."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.analysis.history import History, scale_days, tier_capped_day
from bot.analysis.montecarlo import run_days
from bot.analysis.pathsim import DayArrays, PathRules, PathState
from bot.analysis.sampling import chunk_rng, draw_rows
from bot.rules.account import AccountState, DayPnl, apply_day
from bot.rules.profiles import PROFILES, AccountRules

from .helpers import grid_history, make_days, rough_history

XFA = PROFILES["xfa-50k"]


def assert_agree(
    rules: AccountRules,
    days: list[DayPnl],
    rows: np.ndarray,
    target: int,
    auto: int | None,
    factor: Decimal = Decimal(1),
) -> dict[str, int]:
    """Run every column of `rows` through both engines; return counts of what was exercised.
    Rows are taken at `factor`, each shrunk to the path's scaling-plan limit of that day."""
    record: list[tuple[PathState, DayArrays]] = []
    path_rules = PathRules.from_account(rules)
    history = History.from_days(days, factor)
    final, _ = run_days(path_rules, history, rows, target, auto, record=record)
    seen = {"payouts": 0, "failures": 0, "dll": 0, "eligible": 0, "targets": 0, "capped": 0}
    for path in range(rows.shape[1]):
        state = AccountState.initial(rules)
        target_day = 0
        for day, (snap, arrays) in enumerate(record):
            raw = days[int(rows[day, path])]
            pnl = tier_capped_day(raw, factor, state.max_micros)
            seen["capped"] += pnl != scale_days([raw], factor)[0]
            state, out = apply_day(rules, state, pnl, auto)
            got = (
                int(snap.balance[path]),
                int(snap.floor[path]),
                bool(arrays.dll_hit[path]),
                bool(arrays.mll_breached[path]),
                bool(snap.failed[path]),
                bool(arrays.winning_day[path]),
                int(snap.winning_days[path]),
                bool(arrays.payout_eligible[path]),
                int(arrays.max_payout[path]),
                int(arrays.payout_paid[path]),
                int(snap.paid_out[path]),
                int(snap.limit[path]),
            )
            want = (
                out.balance_cents,
                out.mll_floor_cents,
                out.dll_hit,
                out.mll_breached,
                out.account_failed,
                out.winning_day,
                out.winning_days,
                out.payout_eligible,
                out.max_payout_cents,
                out.payout_paid_cents,
                state.paid_out_cents,
                out.max_micros,
            )
            assert got == want, f"path {path} day {day + 1}: vector {got} != scalar {want}"
            profit = state.balance_cents - rules.start_balance_cents + state.paid_out_cents
            if not target_day and not out.account_failed and profit >= target:
                target_day = day + 1
            seen["payouts"] += out.payout_paid_cents > 0
            seen["dll"] += out.dll_hit
            seen["eligible"] += out.payout_eligible
            if out.account_failed:
                seen["failures"] += 1
                break
        assert int(final.target_day[path]) == target_day
        assert int(final.payouts[path]) == state.payouts
        seen["targets"] += target_day > 0
    return seen


def test_sampled_paths_agree_day_by_day_with_payouts() -> None:
    days = rough_history(seed=5)
    rows = draw_rows(chunk_rng(11, 0), len(days), 147, 300)
    # at 0.7 of the size: DLL days count at their lows, and at full size too few paths live
    seen = assert_agree(XFA, days, rows, target=760_000, auto=500_000, factor=Decimal("0.7"))
    del seen["capped"]  # no row records its size: nothing to cap
    assert all(count > 10 for count in seen.values()), seen  # every rule was exercised


def test_boundaries_agree() -> None:
    # $50 steps hit "low == floor", "low == -DLL", "net == $150" and "balance == $5,000" often.
    days = grid_history(seed=7)
    rows = draw_rows(chunk_rng(13, 0), len(days), 147, 300)
    seen = assert_agree(XFA, days, rows, target=760_000, auto=500_000)
    del seen["capped"]
    assert all(count > 10 for count in seen.values()), seen


def test_scaling_plan_caps_agree_day_by_day() -> None:
    """Issue 8 (also): rows record their peak position; each path's day is shrunk to the tier
    its balance allows, the same way in both engines, at 1 and 10 micros per lot."""
    rng = np.random.default_rng(21)
    for micros_per_lot, contracts in ((1, (1, 6)), (10, (5, 60))):
        days = [
            replace(d, max_contracts=int(rng.integers(*contracts))) for d in rough_history(seed=15)
        ]
        rules = replace(XFA, micros_per_lot=micros_per_lot)
        rows = draw_rows(chunk_rng(16, 0), len(days), 147, 200)
        seen = assert_agree(rules, days, rows, target=760_000, auto=500_000, factor=Decimal("1.5"))
        assert seen["capped"] > 100 and seen["failures"] > 5 and seen["payouts"] > 5, seen


def test_block_paths_agree_without_payouts_at_odd_scale() -> None:
    days = scale_days(rough_history(seed=6), Decimal("1.37"))
    rows = draw_rows(chunk_rng(12, 0), len(days), 147, 200, block=7)
    seen = assert_agree(XFA, days, rows, target=500_000, auto=None)
    assert seen["payouts"] == 0 and seen["failures"] > 10 and seen["targets"] > 10


def test_payouts_at_any_balance_reset_the_floor() -> None:
    # With no balance threshold, payouts happen while the floor still trails below $0.
    days = grid_history(seed=9)
    rows = draw_rows(chunk_rng(14, 0), len(days), 147, 200)
    seen = assert_agree(XFA, days, rows, target=760_000, auto=0)
    assert seen["payouts"] > 100 and seen["failures"] > 10, seen


def test_a_dll_day_counts_at_its_low_in_both_engines() -> None:
    """Issue 8 item 4: +$500 after a -$1,200 low is a -$1,200 day (liquidated at the DLL)."""
    days = make_days([500, 400], [-1200, -600])
    rows = np.array([[0, 1, 1]]).T
    record: list[tuple[PathState, DayArrays]] = []
    run_days(PathRules.from_account(XFA), History.from_days(days), rows, 10**6, None, record=record)
    assert [int(snap.balance[0]) for snap, _ in record] == [-120_000, -80_000, -40_000]
    assert not bool(record[0][1].winning_day[0])
    assert_agree(XFA, days, rows, target=10**6, auto=None)


def test_a_zero_balance_after_five_winning_days_is_not_eligible() -> None:
    days = make_days([200, -1000], [0, -1000])
    rows = np.array([[0, 0, 0, 0, 0, 1, 0]]).T  # five +$200 days, -$1,000, +$200
    record: list[tuple[PathState, DayArrays]] = []
    run_days(PathRules.from_account(XFA), History.from_days(days), rows, 10**6, None, record=record)
    eligible = [bool(arrays.payout_eligible[0]) for _, arrays in record]
    assert eligible == [False] * 4 + [True, False, True]  # $0.00 is not a positive balance
    assert_agree(XFA, days, rows, target=10**6, auto=None)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    scale=st.sampled_from(["0.25", "0.5", "1", "1.5", "2.3"]),
    dll=st.integers(4, 30).map(lambda k: k * 5_000),
    mll=st.integers(10, 60).map(lambda k: k * 5_000),
    win=st.integers(1, 40_000),
    fraction=st.sampled_from(["0.5", "0.75", "0.35", "1", "0.333"]),
    cap=st.integers(10_000, 1_000_000),
    auto=st.one_of(st.none(), st.integers(0, 800_000)),
    profile=st.sampled_from(["xfa-50k", "combine-50k"]),
)
def test_random_rules_agree(
    seed: int,
    scale: str,
    dll: int,
    mll: int,
    win: int,
    fraction: str,
    cap: int,
    auto: int | None,
    profile: str,
) -> None:
    rules = replace(
        PROFILES[profile],  # type: ignore[index]
        dll_cents=dll,
        mll_amount_cents=mll,
        winning_day_cents=win,
        payout_fraction=Decimal(fraction),
        payout_cap_cents=cap,
    )
    history = grid_history if seed % 2 else rough_history
    days = scale_days(history(seed=seed % 1000, rows=25), Decimal(scale))
    rows = draw_rows(chunk_rng(seed, 0), len(days), 60, 12, block=1 + seed % 5)
    assert_agree(rules, days, rows, target=300_000, auto=auto)
