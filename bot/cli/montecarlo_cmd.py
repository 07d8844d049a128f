"""`topstep-quant montecarlo FILE.csv`: the odds of reaching the profit target within the
account rules, from a daily P&L history; and `bench montecarlo`, its speed in paths per second.

Arguments are read as text and validated here, so every mistake is one `error:` line, exit 2.
"""

from __future__ import annotations

import argparse
import json
import resource
import secrets
import sys
import time
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.analysis.history import MIN_ROWS, History, scale_days
from bot.analysis.montecarlo import (
    CHUNK_PATHS,
    MAX_DAYS,
    Outcomes,
    Study,
    default_workers,
    run_study,
)
from bot.analysis.pathsim import PathRules
from bot.analysis.report import Setup, scaled_json, single_json, text_report
from bot.analysis.stats import MAX_BREACH, Summary, recommend_scale, summarize
from bot.analysis.synthetic import mes_history
from bot.cli.errors import UserInputError
from bot.config import Settings
from bot.rules.account import DayPnl
from bot.rules.daily_csv import DailyCsvError, read_daily_pnl
from bot.rules.profiles import rules_from_settings

if TYPE_CHECKING:
    from bot.cli.main import Subparsers

MAX_PATHS = 10_000_000
FAN_TRACE_PATHS = 10_000
MAX_SEED = 2**63 - 1
INT64_HEADROOM = 2**60  # balances, floors and payouts stay far from int64 overflow
MAX_LIMIT_MICROS = 50  # the largest position limit a path can have (5 lots of 10 micros)


def register(commands: Subparsers, bench: Subparsers) -> None:
    mc = commands.add_parser(
        "montecarlo",
        help="odds of reaching the profit target without breaking the account rules",
        description="Bootstrap a daily P&L CSV (day,net_pnl,low_pnl) into many accounts "
        "and apply the Topstep rules to each, day by day.",
    )
    mc.add_argument("file", type=Path, help="CSV with header day,net_pnl,low_pnl (payout ignored)")
    mc.add_argument("--days", default="147", help="trading days per path (default 147, ~7 months)")
    mc.add_argument("--paths", default="100000", help="number of simulated paths (default 100000)")
    mc.add_argument("--target", default="7600", help="profit target in dollars (default 7600)")
    mc.add_argument(
        "--payouts",
        default="standard",
        help="none, or standard: take the maximum payout whenever eligible and the balance is "
        "at least --payout-min-balance (default standard)",
    )
    mc.add_argument(
        "--payout-min-balance", default="5000", help="standard payouts' balance threshold ($)"
    )
    mc.add_argument(
        "--bootstrap", default="iid", help="iid, or block:N for blocks of N consecutive days"
    )
    mc.add_argument(
        "--scale", default=None, help="comma-separated position-size factors, e.g. 0.5,1,1.5"
    )
    mc.add_argument("--seed", default=None, help="random seed (default: a fresh one, reported)")
    mc.add_argument("--json", action="store_true", help="print one JSON object")
    mc.add_argument("--out", type=Path, default=None, help="write summary.json and PNG charts here")
    mc.add_argument(
        "--account",
        choices=("xfa-50k", "combine-50k"),
        default=None,
        help="account profile (default: ACCOUNT_PROFILE, xfa-50k)",
    )
    mc.set_defaults(handler=run_montecarlo)

    bm = bench.add_parser("montecarlo", help="Monte Carlo paths per second (JSON)")
    bm.add_argument("--paths", default="100000", help="paths per run (default 100000)")
    bm.add_argument("--days", default="147", help="days per path (default 147)")
    bm.add_argument("--repeat", default="3", help="runs; the fastest counts (default 3)")
    bm.add_argument("--workers", default=None, help="threads (default: the usable CPUs)")
    bm.set_defaults(handler=run_bench)


def _whole(text: str, name: str, low: int, high: int) -> int:
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        raise UserInputError(f"{name} must be a whole number, got {text!r}") from None
    if not low <= value <= high:
        raise UserInputError(f"{name} must be between {low:,} and {high:,}, got {text!r}")
    return value


def _decimal(text: str, name: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise UserInputError(f"{name} must be a number, got {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise UserInputError(f"{name} must be a positive number, got {text!r}")
    return value


def _cents(text: str, name: str) -> int:
    value = _decimal(text, name) * 100
    if value != value.to_integral_value() or value > 10**13:
        raise UserInputError(f"{name} must be whole cents and at most $100 billion, got {text!r}")
    return int(value)


def parse_block(text: str) -> int:
    """`iid` is blocks of one day; `block:N` is blocks of N consecutive days."""
    spec = text.strip().lower()
    if spec == "iid":
        return 1
    kind, _, length = spec.partition(":")
    if kind != "block" or not length:
        raise UserInputError(f"--bootstrap must be iid or block:N, got {text!r}")
    return _whole(length, "--bootstrap block length", 1, MAX_DAYS)


def parse_scales(text: str) -> list[Decimal]:
    """Distinct positive factors, ascending."""
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise UserInputError("--scale needs at least one factor, e.g. 0.5,1,1.5")
    if len(parts) > 50:
        raise UserInputError("--scale takes at most 50 factors")
    factors = sorted({_decimal(part, "--scale factor") for part in parts})
    for factor in factors:
        if factor > 1000:
            raise UserInputError(f"--scale factor must be at most 1000, got {factor}")
    return factors


def _read(path: Path) -> list[DayPnl]:
    try:
        days = read_daily_pnl(path)
    except DailyCsvError as exc:
        raise UserInputError(str(exc)) from None
    if len(days) < MIN_ROWS:
        raise UserInputError(
            f"{path}: {len(days)} day(s) of P&L; the Monte Carlo needs at least {MIN_ROWS}"
        )
    return days


@dataclass(frozen=True, slots=True)
class Job:
    """A validated `montecarlo` invocation: nothing has been simulated yet."""

    setup: Setup
    study: Study
    rules: PathRules
    histories: list[tuple[Decimal, History]]  # one per scale factor, ascending
    scaled: bool  # --scale given: report every factor and a recommendation
    out: Path | None


def _histories(
    path: Path, days: list[DayPnl], factors: list[Decimal], n_days: int
) -> list[tuple[Decimal, History]]:
    """The history at every factor, refused up front if int64 cents could overflow."""
    result = []
    for factor in factors:
        scaled = scale_days(days, factor)
        largest = max(max(abs(d.net_pnl_cents), abs(d.low_pnl_cents)) for d in scaled)
        # a day shrunk to the scaling plan multiplies the raw P&L by the limit first
        raw = max(max(abs(d.net_pnl_cents), abs(d.low_pnl_cents)) for d in days)
        if max(largest * n_days, raw * MAX_LIMIT_MICROS) >= INT64_HEADROOM:
            raise UserInputError(
                f"{path}: P&L up to {largest / 100:,.2f} x {n_days} days (scale {factor}) "
                "is too large to simulate exactly in 64-bit cents"
            )
        result.append((factor, History.from_days(days, factor)))
    return result


def parse_job(args: argparse.Namespace, settings: Settings) -> Job:
    """Every argument and the input file checked; the first problem is a UserInputError."""
    rules = rules_from_settings(settings, args.account)
    days = _whole(args.days, "--days", 1, MAX_DAYS)
    paths = _whole(args.paths, "--paths", 1, MAX_PATHS)
    target = _cents(args.target, "--target")
    block = parse_block(args.bootstrap)
    payouts = args.payouts.strip().lower()
    if payouts not in ("none", "standard"):
        raise UserInputError(f"--payouts must be none or standard, got {args.payouts!r}")
    threshold = _cents(args.payout_min_balance, "--payout-min-balance")
    if not rules.payouts_enabled:
        payouts = "none"  # e.g. the Trading Combine: no payouts to take
    auto = threshold if payouts == "standard" else None
    seed = (
        secrets.randbelow(2**32) if args.seed is None else _whole(args.seed, "--seed", 0, MAX_SEED)
    )
    factors = parse_scales(args.scale) if args.scale is not None else [Decimal(1)]
    history_days = _read(args.file)
    if block > len(history_days):
        raise UserInputError(
            f"--bootstrap block:{block} is longer than the {len(history_days)} days of history"
        )
    out: Path | None = args.out
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserInputError(f"--out {out}: cannot create the directory: {exc}") from None
    trace = min(paths, FAN_TRACE_PATHS) if out else 0
    setup = Setup(
        account=rules.name,
        rows=len(history_days),
        days=days,
        paths=paths,
        seed=seed,
        target_cents=target,
        bootstrap="iid" if block == 1 else f"block:{block}",
        payouts=payouts,
        payout_min_balance_cents=auto,
    )
    return Job(
        setup=setup,
        study=Study(days, paths, target, seed, block, auto, trace),
        rules=PathRules.from_account(rules),
        histories=_histories(args.file, history_days, factors, days),
        scaled=args.scale is not None,
        out=out,
    )


def _write_charts(job: Job, out: Path, factor: Decimal, outcomes: Outcomes, name: str) -> None:
    """The fan and profit charts of one factor (suffixed by the factor when scaling)."""
    from bot.analysis import charts  # matplotlib loads only when charts are wanted

    suffix = f"_x{factor}" if job.scaled else ""
    setup = job.setup
    title = f"{name}: {setup.bootstrap}, payouts {setup.payouts}, scale {factor}"
    if outcomes.trace is not None:
        fan = out / f"balance_fan{suffix}.png"
        charts.fan_chart(outcomes.trace, setup.target_cents, setup.paths, title, fan)
    profit = out / f"profit_distribution{suffix}.png"
    charts.profit_chart(outcomes, setup.target_cents, title, profit)


def run_montecarlo(args: argparse.Namespace, settings: Settings) -> int:
    job = parse_job(args, settings)
    studies: list[tuple[float, Summary]] = []
    try:
        for factor, history in job.histories:
            outcomes = run_study(job.rules, history, job.study)
            studies.append((float(factor), summarize(outcomes)))
            if job.out is not None:
                _write_charts(job, job.out, factor, outcomes, args.file.name)
        recommended = recommend_scale([(f, s.p_mll_breach) for f, s in studies])
        if job.scaled:
            document = scaled_json(job.setup, studies, recommended, MAX_BREACH)
        else:
            document = single_json(job.setup, studies[0][1])
        if job.out is not None:
            summary = json.dumps(document, indent=2) + "\n"
            (job.out / "summary.json").write_text(summary, encoding="utf-8")
            if job.scaled:
                from bot.analysis import charts

                rows = [(f, s.p_target, s.p_mll_breach) for f, s in studies]
                sizing = job.out / "sizing.png"
                charts.sizing_chart(rows, MAX_BREACH, recommended, args.file.name, sizing)
    except OSError as exc:
        raise UserInputError(f"--out {job.out}: cannot write: {exc}") from None
    if args.json:
        sys.stdout.write(json.dumps(document) + "\n")
    else:
        sys.stdout.write(text_report(job.setup, studies, recommended, MAX_BREACH) + "\n")
    return 0


def _max_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_bench(args: argparse.Namespace, settings: Settings) -> int:
    """Time the standard study (payouts on) on the synthetic MES history; print JSON."""
    paths = _whole(args.paths, "--paths", 1, MAX_PATHS)
    days = _whole(args.days, "--days", 1, MAX_DAYS)
    repeat = _whole(args.repeat, "--repeat", 1, 100)
    workers = (
        default_workers() if args.workers is None else _whole(args.workers, "--workers", 1, 64)
    )
    rules = PathRules.from_account(replace(rules_from_settings(settings), payouts_enabled=True))
    history = History.from_days(mes_history())
    study = Study(days=days, paths=paths, target=760_000, seed=1, auto_payout_min_balance=500_000)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run_study(rules, history, study, workers)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    result: dict[str, Any] = {
        "benchmark": "montecarlo",
        "paths": paths,
        "days": days,
        "payouts": "standard",
        "workers": workers,
        "chunk_paths": CHUNK_PATHS,
        "seconds": round(best, 4),
        "seconds_all": [round(t, 4) for t in timings],
        "paths_per_s": round(paths / best),
        "path_days_per_s": round(paths * days / best),
        "max_rss_mb": _max_rss_mb(),
    }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0
