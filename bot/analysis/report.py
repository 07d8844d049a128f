"""A study's summary as the command's JSON object and as a short table for people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.analysis.stats import Summary


@dataclass(frozen=True, slots=True)
class Setup:
    """What was simulated, echoed in every report so a number can be reproduced."""

    account: str
    rows: int
    days: int
    paths: int
    seed: int
    target_cents: int
    bootstrap: str
    payouts: str
    payout_min_balance_cents: int | None


def dollars(cents: float) -> float:
    return round(cents / 100, 2)


def setup_json(setup: Setup) -> dict[str, Any]:
    return {
        "account": setup.account,
        "rows": setup.rows,
        "days": setup.days,
        "paths": setup.paths,
        "seed": setup.seed,
        "target": dollars(setup.target_cents),
        "bootstrap": setup.bootstrap,
        "payouts": setup.payouts,
        "payout_min_balance": (
            None
            if setup.payout_min_balance_cents is None
            else dollars(setup.payout_min_balance_cents)
        ),
    }


def summary_json(summary: Summary) -> dict[str, Any]:
    """The statistics of one study; probabilities are shares of paths (0..1)."""
    return {
        "p_target": round(summary.p_target, 6),
        "p_mll_breach": round(summary.p_mll_breach, 6),
        "p_target_no_breach": round(summary.p_target_no_breach, 6),
        "median_profit": dollars(summary.median_profit),
        "p5_profit": dollars(summary.p5_profit),
        "p95_profit": dollars(summary.p95_profit),
        "mean_profit": dollars(summary.mean_profit),
        "mean_dll_days": round(summary.mean_dll_days, 4),
        "median_days_to_target": summary.median_days_to_target,
        "mean_payouts": round(summary.mean_payouts, 4),
    }


def single_json(setup: Setup, summary: Summary) -> dict[str, Any]:
    return {**summary_json(summary), **setup_json(setup), "scale": 1.0}


def scaled_json(
    setup: Setup, studies: list[tuple[float, Summary]], recommended: float | None, max_breach: float
) -> dict[str, Any]:
    """One entry per factor, plus the largest factor whose breach odds stay within bounds."""
    return {
        **setup_json(setup),
        "scales": [{"scale": factor, **summary_json(s)} for factor, s in studies],
        "max_breach": max_breach,
        "recommended_scale": recommended,
    }


def _money(cents: float) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.0f}"


def text_report(
    setup: Setup,
    studies: list[tuple[float, Summary]],
    recommended: float | None,
    max_breach: float,
) -> str:
    """A few aligned lines: the setup, one row per scale factor, the sizing advice."""
    payout_rule = (
        "no payouts"
        if setup.payout_min_balance_cents is None
        else f"max payout whenever eligible at >= {_money(setup.payout_min_balance_cents)}"
    )
    lines = [
        f"{setup.paths:,} paths x {setup.days} days, {setup.bootstrap} bootstrap of "
        f"{setup.rows} rows, {setup.account}, {payout_rule}, seed {setup.seed}",
        f"target {_money(setup.target_cents)} profit (final balance + payouts)",
        f"{'scale':>6} {'P(target)':>10} {'P(breach)':>10} {'median':>9} {'p5':>9} {'p95':>9} "
        f"{'days to tgt':>11} {'DLL days':>9} {'payouts':>8}",
    ]
    for factor, s in studies:
        days = "-" if s.median_days_to_target is None else str(s.median_days_to_target)
        lines.append(
            f"{factor:>6g} {s.p_target:>10.2%} {s.p_mll_breach:>10.2%} "
            f"{_money(s.median_profit):>9} {_money(s.p5_profit):>9} {_money(s.p95_profit):>9} "
            f"{days:>11} {s.mean_dll_days:>9.2f} {s.mean_payouts:>8.2f}"
        )
    if len(studies) > 1:
        advice = "none of the factors" if recommended is None else f"{recommended:g}"
        lines.append(f"largest scale with P(breach) <= {max_breach:.0%}: {advice}")
    return "\n".join(lines)
