"""Whole studies: reproducibility, chunking, statistics, scaling and exact payout shares."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.analysis.history import History, scale_cents, scale_days
from bot.analysis.montecarlo import CHUNK_PATHS, Outcomes, Study, run_study
from bot.analysis.pathsim import PathRules
from bot.analysis.stats import median_days_to_target, recommend_scale, summarize
from bot.rules.account import max_payout_cents
from bot.rules.profiles import PROFILES

from .helpers import rough_history

XFA = PROFILES["xfa-50k"]
RULES = PathRules.from_account(XFA)
HISTORY = History.from_days(rough_history(seed=8))


def same(a: Outcomes, b: Outcomes) -> bool:
    return all(
        np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("profit", "failed", "target_day", "dll_days", "payouts")
    )


def test_results_do_not_depend_on_the_thread_count() -> None:
    study = Study(days=60, paths=2 * CHUNK_PATHS + 100, target=300_000, seed=4,
                  auto_payout_min_balance=300_000)  # fmt: skip
    one = run_study(RULES, HISTORY, study, workers=1)
    assert same(one, run_study(RULES, HISTORY, study, workers=3))
    assert not same(one, run_study(RULES, HISTORY, replace(study, seed=5), workers=3))


def test_more_paths_extend_the_same_sample() -> None:
    study = Study(days=30, paths=CHUNK_PATHS + 10, target=300_000, seed=4)
    small = run_study(RULES, HISTORY, study)
    big = run_study(RULES, HISTORY, replace(study, paths=2 * CHUNK_PATHS + 7))
    assert np.array_equal(small.profit, big.profit[: study.paths])


def test_trace_bands_summarise_the_leading_paths_day_by_day() -> None:
    study = Study(days=40, paths=500, target=300_000, seed=4, trace_paths=50)
    outcomes = run_study(RULES, HISTORY, study)
    trace = outcomes.trace
    assert trace is not None and trace.paths == 50 and trace.balance.shape == (40, 5)
    assert trace.profit[-1] == np.median(outcomes.profit[:50])
    assert (np.diff(trace.balance, axis=1) >= 0).all()  # 5th <= 25th <= ... <= 95th
    # Every floor only rises and never passes the $0 lock, so their median does the same.
    assert (np.diff(trace.floor) >= 0).all() and trace.floor.max() <= 0


def test_study_refuses_bad_parameters() -> None:
    for bad in ({"days": 0}, {"paths": 0}, {"block": 0}, {"seed": -1}, {"trace_paths": 11}):
        with pytest.raises(ValueError):
            Study(**{"days": 5, "paths": 10, "target": 1, "seed": 1, **bad})
    with pytest.raises(ValueError, match="block"):
        run_study(RULES, HISTORY, Study(days=5, paths=10, target=1, seed=1, block=61))


def test_summary_numbers() -> None:
    outcomes = Outcomes(
        profit=np.array([-200_000, 0, 760_000, 900_000], dtype=np.int64),
        failed=np.array([True, False, False, True]),
        target_day=np.array([0, 0, 30, 12], dtype=np.int32),
        dll_days=np.array([2, 0, 0, 1], dtype=np.int32),
        payouts=np.array([0, 0, 1, 2], dtype=np.int32),
        trace=None,
    )
    s = summarize(outcomes)
    assert (s.p_target, s.p_mll_breach, s.p_target_no_breach) == (0.5, 0.5, 0.25)
    assert s.median_profit == 380_000 and s.mean_dll_days == 0.75 and s.mean_payouts == 0.75
    assert s.median_days_to_target == 30


@pytest.mark.parametrize(
    ("days", "expected"),
    [([3, 5, 0, 0], 5), ([0, 3, 5], 5), ([0, 0, 3], None), ([7], 7), ([0], None), ([4, 2, 9], 4)],
)
def test_median_days_to_target_counts_misses_as_infinitely_late(
    days: list[int], expected: int | None
) -> None:
    assert median_days_to_target(np.array(days, dtype=np.int32)) == expected


def test_recommended_scale_stops_at_the_first_factor_over_the_limit() -> None:
    assert recommend_scale([(1.5, 0.015), (0.5, 0.01), (1.0, 0.03)]) == 0.5
    assert recommend_scale([(0.5, 0.0), (1.0, 0.02)]) == 1.0
    assert recommend_scale([(0.5, 0.021)]) is None


def test_scaling_rounds_half_to_even_once_per_row() -> None:
    assert [scale_cents(c, Decimal("0.5")) for c in (1, 3, -1, -3, 5)] == [0, 2, 0, -2, 2]
    day = rough_history(seed=1, rows=20)[0]
    (scaled,) = scale_days([replace(day, payout_cents=500)], Decimal("1.37"))
    assert scaled.payout_cents == 0
    assert scaled.net_pnl_cents == scale_cents(day.net_pnl_cents, Decimal("1.37"))
    with pytest.raises(ValueError):
        scale_days([day], Decimal(0))


@given(
    net=st.integers(-(10**9), 10**9),
    drop=st.integers(0, 10**9),
    factor=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100), places=3),
)
def test_scaling_keeps_low_at_most_min_zero_net(net: int, drop: int, factor: Decimal) -> None:
    low = min(0, net) - drop
    assert scale_cents(low, factor) <= min(0, scale_cents(net, factor))


@given(
    balance=st.integers(1, 10**13),
    fraction=st.sampled_from(["0.5", "0.25", "0.75", "0.35", "0.333", "1", "0.9999999"]),
)
def test_payout_share_is_exactly_the_scalar_maximum(balance: int, fraction: str) -> None:
    rules = replace(XFA, payout_fraction=Decimal(fraction), payout_cap_cents=10**15)
    share = PathRules.from_account(rules).payout_share(np.array([balance], dtype=np.int64))
    assert int(share[0]) == max_payout_cents(rules, balance)
