"""The combined account's odds: a daily P&L history through the account Monte Carlo (the
`montecarlo` command's engine, XFA rules, payouts as there) at several size factors."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bot.analysis.history import History
from bot.analysis.montecarlo import Outcomes, Study, run_study
from bot.analysis.pathsim import PathRules
from bot.analysis.stats import MAX_BREACH, Summary, recommend_scale, summarize
from bot.rules.account import DayPnl
from bot.rules.profiles import AccountRules

PROMISE_TARGET_CENTS = 760_000
PROMISE_DAYS = 147  # about 7 months of trading days


@dataclass(frozen=True, slots=True)
class AccountStudy:
    rows: int
    factors: list[tuple[float, Summary]]
    recommended: float | None
    outcomes: dict[float, Outcomes]


def study_account(
    days: list[DayPnl],
    rules: AccountRules,
    factors: list[Decimal],
    paths: int,
    seed: int,
    block: int = 1,
    payout_min_balance_cents: int | None = 500_000,
    horizon: int = PROMISE_DAYS,
    target_cents: int = PROMISE_TARGET_CENTS,
    trace: int = 0,
) -> AccountStudy:
    """Every factor with the same seed: the sizes differ, the sampled days do not."""
    path_rules = PathRules.from_account(rules)
    study = Study(horizon, paths, target_cents, seed, block, payout_min_balance_cents, trace)
    results: list[tuple[float, Summary]] = []
    outcomes: dict[float, Outcomes] = {}
    for factor in factors:
        out = run_study(path_rules, History.from_days(days, factor), study, workers=1)
        results.append((float(factor), summarize(out)))
        outcomes[float(factor)] = out
    recommended = recommend_scale([(f, s.p_mll_breach) for f, s in results], MAX_BREACH)
    return AccountStudy(len(days), results, recommended, outcomes)


def fan(study: AccountStudy, factor: float, title: str, path: Path) -> None:
    from bot.analysis import charts

    out = study.outcomes[factor]
    if out.trace is not None:
        paths = int(out.profit.shape[0])
        charts.fan_chart(out.trace, PROMISE_TARGET_CENTS, paths, title, path)
