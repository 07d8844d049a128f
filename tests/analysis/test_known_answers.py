"""Cases whose answers are known by hand: constant days, and a coin-flip walk counted exactly."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bot.analysis.history import History
from bot.analysis.montecarlo import Study, run_days, run_study
from bot.analysis.pathsim import PathRules
from bot.analysis.stats import summarize
from bot.rules.profiles import PROFILES

from .helpers import make_days

RULES = PathRules.from_account(PROFILES["xfa-50k"])


def constant(net: float, low: float, rows: int = 20) -> History:
    return History.from_days(make_days([net] * rows, [low] * rows))


def study(
    days: int = 147, paths: int = 64, auto: int | None = None, target: int = 760_000
) -> Study:
    return Study(days=days, paths=paths, target=target, seed=3, auto_payout_min_balance=auto)


def test_constant_gain_reaches_the_target_on_day_16_with_or_without_payouts() -> None:
    # $500 a day: $7,500 after day 15, $8,000 after day 16.
    for auto in (None, 500_000):
        summary = summarize(run_study(RULES, constant(500, -120), study(auto=auto)))
        assert summary.median_days_to_target == 16
        assert summary.p_target == 1.0 and summary.p_mll_breach == 0.0
        assert summary.median_profit == summary.p5_profit == 147 * 50_000  # payouts keep profit


def test_constant_gain_pays_out_every_fifth_day_from_day_10() -> None:
    # Day 10: $5,000 and 10 winning days -> pay $2,500 (half); then $2,500 + 5 x $500 = $5,000
    # again every 5 days: days 10, 15, ..., 145 = 28 payouts, $70,000 paid, $3,500 left.
    outcomes = run_study(RULES, constant(500, 0), study(auto=500_000))
    assert set(outcomes.payouts.tolist()) == {28}
    assert set(outcomes.profit.tolist()) == {70_000_00 + 3_500_00}


def test_gains_below_the_payout_threshold_never_pay_out() -> None:
    outcomes = run_study(RULES, constant(30, 0), study(auto=500_000))  # $4,410 after 147 days
    assert set(outcomes.payouts.tolist()) == {0}
    assert summarize(outcomes).median_days_to_target is None


def test_constant_loss_fails_on_day_7_at_its_low() -> None:
    # Floor -$2,000 never trails up; the day-7 low is -$2,100 <= floor.
    outcomes = run_study(RULES, constant(-300, -300), study())
    assert set(outcomes.profit.tolist()) == {-210_000}
    assert outcomes.failed.all() and set(outcomes.dll_days.tolist()) == {0}
    summary = summarize(outcomes)
    assert summary.p_mll_breach == 1.0 and summary.p_target == 0.0
    assert summary.median_days_to_target is None


def test_a_low_exactly_on_the_floor_fails_and_dll_days_count_the_failing_day() -> None:
    # -$200 closes with lows of -$1,000: every day reaches the DLL and is liquidated at its low,
    # so it counts -$1,000, not -$200 (issue 8 item 4).  Day 2 opens at -$1,000, low -$2,000.
    history = constant(-200, -1000)
    rows = np.zeros((147, 4), dtype=np.intp)
    state, _ = run_days(RULES, history, rows, 760_000, None)
    assert state.failed.all()
    assert state.balance.tolist() == [-200_000] * 4
    assert state.dll_days.tolist() == [2] * 4


def coin_flip_history() -> History:
    """Ten +$1,000 days and ten -$1,000 days (low -$1,000): a fair +-1 walk in $1,000s."""
    return History.from_days(make_days([1000] * 10 + [-1000] * 10, [0] * 10 + [-1000] * 10))


def test_coin_flip_walk_matches_the_hand_count_over_4_days() -> None:
    # Target $2,000 in 4 days.  Reached: UU?? (4), UDUU, DUUU -> 6/16.
    # Breached (the floor trails $2,000 below the peak and locks at $0): DD?? (4), UDD? (2),
    # DUDD (1), and UUDD, which reached the target first (floor locked at $0) -> 8/16.
    up, down = 0, 10
    rows = np.array(list(itertools.product((up, down), repeat=4)), dtype=np.intp).T
    state, _ = run_days(RULES, coin_flip_history(), rows, 200_000, None)
    assert int((state.target_day > 0).sum()) == 6
    assert int(state.failed.sum()) == 8
    assert sorted(state.target_day[state.target_day > 0].tolist()) == [2, 2, 2, 2, 4, 4]


def test_iid_monte_carlo_estimates_the_hand_count() -> None:
    outcomes = run_study(RULES, coin_flip_history(), Study(4, 200_000, 200_000, seed=9))
    summary = summarize(outcomes)
    assert summary.p_target == pytest.approx(6 / 16, abs=0.005)  # sd 0.0011
    assert summary.p_mll_breach == pytest.approx(8 / 16, abs=0.005)
    expected_dll = sum(_down_days_played(seq) for seq in itertools.product("UD", repeat=4)) / 16
    assert summary.mean_dll_days == pytest.approx(expected_dll, abs=0.01)


def test_block_bootstrap_keeps_neighbouring_days_together() -> None:
    # Rows are 10 ups then 10 downs; a circular block of 2 is UU or DD with odds 9/20 each,
    # UD or DU with 1/20 each.  Reached within 4 days: UU first (9/20), or UD/DU then UU
    # (2 x 1/20 x 9/20): 0.495, far from the fair coin's 0.375.
    study = Study(4, 200_000, 200_000, seed=9, block=2)
    assert summarize(run_study(RULES, coin_flip_history(), study)).p_target == pytest.approx(
        0.495, abs=0.005
    )


def _down_days_played(seq: tuple[str, ...]) -> int:
    """Down days until (and including) a breach, following the rules by hand in $1,000s."""
    balance, floor, count = 0, -2, 0
    for move in seq:
        if move == "D":
            count += 1
            if balance - 1 <= floor:
                return count
            balance -= 1
        else:
            balance += 1
        floor = max(floor, min(balance - 2, 0))
    return count
