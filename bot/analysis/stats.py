"""The numbers a trader reads off a Monte Carlo run, from every path's outcome.

Probabilities are shares of paths; money is in cents here and in dollars only in reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.analysis.montecarlo import Outcomes

MAX_BREACH = 0.02  # the product promise: at least a 98% chance of no rule breach


@dataclass(frozen=True, slots=True)
class Summary:
    """Aggregate statistics of one study."""

    paths: int
    p_target: float
    p_mll_breach: float
    p_target_no_breach: float  # reached the target and never breached over the whole horizon
    median_profit: float  # cents (percentiles interpolate, so not whole cents)
    p5_profit: float
    p95_profit: float
    mean_profit: float
    mean_dll_days: float
    median_days_to_target: int | None
    mean_payouts: float


def median_days_to_target(target_day: np.ndarray) -> int | None:
    """The first day by which at least half of all paths have reached the target (the
    ceil(n/2)-th smallest day, counting paths that never get there as infinitely late);
    None if under half the paths ever get there."""
    n = int(target_day.shape[0])
    rank = (n + 1) // 2
    reached = target_day[target_day > 0]
    if reached.shape[0] < rank:
        return None
    return int(np.partition(reached, rank - 1)[rank - 1])


def summarize(outcomes: Outcomes) -> Summary:
    paths = int(outcomes.profit.shape[0])
    p5, p50, p95 = (float(v) for v in np.percentile(outcomes.profit, [5, 50, 95]))
    reached = outcomes.target_day > 0
    return Summary(
        paths=paths,
        p_target=float(np.mean(reached)),
        p_mll_breach=float(np.mean(outcomes.failed)),
        p_target_no_breach=float(np.mean(reached & ~outcomes.failed)),
        median_profit=p50,
        p5_profit=p5,
        p95_profit=p95,
        mean_profit=float(np.mean(outcomes.profit)),
        mean_dll_days=float(np.mean(outcomes.dll_days)),
        median_days_to_target=median_days_to_target(outcomes.target_day),
        mean_payouts=float(np.mean(outcomes.payouts)),
    )


def recommend_scale(
    results: Sequence[tuple[float, float]], max_breach: float = MAX_BREACH
) -> float | None:
    """The largest factor up to which every tried factor's breach probability stays at or
    under `max_breach` (scanning upward, a noisy dip above a failure does not count); None
    if even the smallest factor breaches too often.  `results` holds (factor, p_mll_breach)."""
    best = None
    for factor, p_breach in sorted(results):
        if p_breach > max_breach:
            break
        best = factor
    return best
