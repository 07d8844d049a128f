"""Many simulated accounts: draw each path's days, run the vectorised rules, collect outcomes.

Paths run in fixed-size chunks (bounded memory at any path count) on a few threads (numpy
releases the GIL in its array loops).  Chunk k always holds paths k*CHUNK_PATHS onwards and
draws from its own stream, so the numbers depend on the seed and path count, not on the
thread count, and a run with more paths extends the same sample.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace

import numpy as np
import numpy.typing as npt

from bot.analysis.history import History
from bot.analysis.pathsim import Cents, DayArrays, Mask, PathRules, PathState, step
from bot.analysis.sampling import RowIndex, chunk_rng, draw_rows

CHUNK_PATHS = 2**14  # fixed: part of what a seed means
MAX_DAYS = 2_520  # ten years of trading days keeps one chunk's row indices small
Counts = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Study:
    """One Monte Carlo run's parameters; money in cents."""

    days: int
    paths: int
    target: int
    seed: int
    block: int = 1
    auto_payout_min_balance: int | None = None  # None: never take a payout
    trace_paths: int = 0  # leading paths summarised day by day for the fan chart

    def __post_init__(self) -> None:
        if not 1 <= self.days <= MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}")
        if self.paths < 1 or self.block < 1 or self.seed < 0:
            raise ValueError("paths and block must be positive and seed non-negative")
        if not 0 <= self.trace_paths <= min(self.paths, CHUNK_PATHS):
            raise ValueError(f"trace_paths must be between 0 and min(paths, {CHUNK_PATHS})")


FAN_PERCENTILES = (5, 25, 50, 75, 95)
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Trace:
    """The fan chart's day-by-day bands over the traced leading paths (cents): balance
    percentiles (days, len(FAN_PERCENTILES)), median MLL floor and median profit (days,).
    Reduced as the days go, so memory is per day, not per path and day."""

    paths: int
    balance: Floats
    floor: Floats
    profit: Floats


@dataclass(frozen=True, slots=True)
class Outcomes:
    """Every path's result at the horizon, in path order."""

    profit: Cents  # final balance - start balance + everything paid out
    failed: Mask
    target_day: Counts  # first day (1-based) at or over the target before a failure; 0 = never
    dll_days: Counts
    payouts: Counts
    trace: Trace | None


def run_days(
    rules: PathRules,
    history: History,
    rows: RowIndex,
    target: int,
    auto_payout_min_balance: int | None,
    trace_paths: int = 0,
    record: list[tuple[PathState, DayArrays]] | None = None,
) -> tuple[PathState, Trace | None]:
    """All days for the paths whose row indices are the columns of `rows` (days, paths).
    With `record`, a snapshot of the state and the day's arrays is appended per day."""
    days, n_paths = rows.shape
    state = PathState.initial(rules, n_paths)
    # The scaling plan: each distinct limit gets its own table of rows, looked up per path.
    limits = rules.possible_limits()
    slot = np.zeros(max(limits) + 1, dtype=np.intp)
    slot[list(limits)] = np.arange(len(limits)) * history.rows
    nets, lows = history.capped_tables(limits) if history.capped else (history.net, history.low)
    balances = np.empty((days, len(FAN_PERCENTILES)), dtype=np.float64)
    floors = np.empty(days, dtype=np.float64)
    profits = np.empty(days, dtype=np.float64)
    for day in range(days):
        index = rows[day].astype(np.intp)  # gathers run 3x faster with native indices
        if history.capped:
            index = index + slot[state.limit]
        arrays = step(
            rules,
            state,
            nets[index],
            lows[index],
            day + 1,
            target,
            auto_payout_min_balance,
        )
        if trace_paths:
            balances[day] = np.percentile(state.balance[:trace_paths], FAN_PERCENTILES)
            floors[day] = np.median(state.floor[:trace_paths])
            profits[day] = np.median(state.profit(rules)[:trace_paths])
        if record is not None:
            snapshot = PathState(**{f.name: np.copy(getattr(state, f.name)) for f in fields(state)})
            record.append((snapshot, arrays))
    trace = Trace(trace_paths, balances, floors, profits) if trace_paths else None
    return state, trace


def _chunk(
    rules: PathRules, history: History, study: Study, out: Outcomes, index: int
) -> Trace | None:
    """Simulate chunk `index` and write its paths' results into their slice of `out`."""
    first = index * CHUNK_PATHS
    n_paths = min(CHUNK_PATHS, study.paths - first)
    rows = draw_rows(chunk_rng(study.seed, index), history.rows, study.days, n_paths, study.block)
    trace_paths = study.trace_paths if index == 0 else 0
    state, trace = run_days(
        rules, history, rows, study.target, study.auto_payout_min_balance, trace_paths
    )
    part = slice(first, first + n_paths)
    out.profit[part] = state.profit(rules)
    out.failed[part] = state.failed
    out.target_day[part] = state.target_day
    out.dll_days[part] = state.dll_days
    out.payouts[part] = state.payouts
    return trace


def default_workers() -> int:
    """The CPUs this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def run_study(
    rules: PathRules, history: History, study: Study, workers: int | None = None
) -> Outcomes:
    """Simulate `study.paths` accounts over `study.days` days drawn from `history`."""
    if study.block > history.rows:
        raise ValueError(f"block length {study.block} exceeds the {history.rows} rows")
    n_chunks = -(-study.paths // CHUNK_PATHS)
    threads = max(1, min(workers or default_workers(), n_chunks))
    out = Outcomes(
        profit=np.empty(study.paths, dtype=np.int64),
        failed=np.empty(study.paths, dtype=np.bool_),
        target_day=np.empty(study.paths, dtype=np.int32),
        dll_days=np.empty(study.paths, dtype=np.int32),
        payouts=np.empty(study.paths, dtype=np.int32),
        trace=None,
    )
    with ThreadPoolExecutor(max_workers=threads) as pool:
        traces = list(pool.map(lambda k: _chunk(rules, history, study, out, k), range(n_chunks)))
    return replace(out, trace=traces[0])
