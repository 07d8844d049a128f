"""`topstep-quant research walkforward|hedge|account|mm`: the bar sleeves measured honestly.

- `walkforward` chooses each fold's parameters on its training years only, runs the chosen
  book on the next (unseen) year, and writes the in-sample and out-of-sample tables, the
  stitched daily P&L files, the crisis windows, the choices and the equity chart;
- `hedge` compares the book with and without the tail hedge in the crisis windows (from a
  walk-forward's out-of-sample files) and on seeded synthetic shocks;
- `account` puts the walk-forward's out-of-sample daily P&L through the account Monte Carlo.

Every run is deterministic (fixed seeds, ordered results); bad input is one `error:` line.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.argtypes import positive_int
from bot.cli.errors import UserInputError
from bot.config import Settings

if TYPE_CHECKING:
    from bot.cli.main import Subparsers
    from bot.research.book import Segment

DEFAULT_DATA = "spy/spy_hour_1998_2021.zip"
OOS_DAILY, OOS_NO_HEDGE, IS_DAILY, CHOSEN = (
    "oos_daily.csv",
    "oos_daily_no_hedge.csv",
    "is_daily.csv",
    "chosen.json",
)


def _years(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    try:
        a, b = int(first), int(last or first)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not YEAR or YEAR-YEAR") from None
    if not 1900 < a <= b < 2200:
        raise argparse.ArgumentTypeError(f"{text!r}: need 1900 < first <= last < 2200")
    return a, b


def register(commands: Subparsers, bench: Subparsers) -> None:
    research = commands.add_parser(
        "research", help="the sleeves' research: walk-forward, hedge, account, mm"
    )
    sub = research.add_subparsers(dest="study", metavar="STUDY", required=True)

    wf = sub.add_parser("walkforward", help="parameters chosen in-sample, judged out-of-sample")
    wf.add_argument(
        "--data",
        type=Path,
        default=None,
        help=f"LEAN hourly bar zip (MARKET_DATA_DIR/{DEFAULT_DATA})",
    )
    wf.add_argument("--train-years", type=positive_int, default=2, help="training years (2)")
    wf.add_argument(
        "--years",
        type=_years,
        default=None,
        metavar="Y1-Y2",
        help="only these calendar years of the data (all)",
    )
    wf.add_argument(
        "--warmup-days",
        type=positive_int,
        default=60,
        help="calendar days of bars before each window, not counted (60)",
    )
    wf.add_argument("--jobs", type=positive_int, default=1, help="worker processes (1)")
    wf.add_argument("--out", type=Path, default=None, help="write tables, CSVs and charts here")
    wf.add_argument("--json", action="store_true", help="print the summary as JSON")
    wf.set_defaults(handler=run_walkforward)

    hedge = sub.add_parser("hedge", help="the book with and without the tail hedge")
    hedge.add_argument(
        "--walkforward",
        type=Path,
        required=True,
        metavar="DIR",
        help="a `research walkforward --out` directory",
    )
    hedge.add_argument("--shocks", type=positive_int, default=30, help="synthetic shocks (30)")
    hedge.add_argument("--seed", type=positive_int, default=1, help="first scenario seed (1)")
    hedge.add_argument("--out", type=Path, default=None, help="write hedge.json and a chart")
    hedge.add_argument("--json", action="store_true", help="print the result as JSON")
    hedge.set_defaults(handler=run_hedge)

    acct = sub.add_parser("account", help="the out-of-sample book through the Monte Carlo")
    acct.add_argument(
        "--walkforward",
        type=Path,
        required=True,
        metavar="DIR",
        help="a `research walkforward --out` directory",
    )
    acct.add_argument("--paths", type=positive_int, default=20_000, help="paths (20,000)")
    acct.add_argument("--seed", type=positive_int, default=1, help="seed (1)")
    acct.add_argument("--scale", default="0.5,1,2,3,4,5", help="size factors (0.5,1,2,3,4,5)")
    acct.add_argument("--bootstrap", default="iid", help="iid or block:N (iid)")
    acct.add_argument("--out", type=Path, default=None, help="write account.json and the fan")
    acct.add_argument("--json", action="store_true", help="print the result as JSON")
    acct.set_defaults(handler=run_account)

    from bot.cli import research_mm_cmd  # the market maker's study: `research mm`

    research_mm_cmd.add_parser(sub)


def _say(message: str) -> None:
    if sys.stderr.isatty():
        print(message, file=sys.stderr, flush=True)


def _out_dir(path: Path | None) -> Path | None:
    if path is None:
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"--out {path}: cannot create the directory: {exc}") from None
    return path


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserInputError(f"{path}: cannot write: {exc}") from None


# ------------------------------------------------------------------------- walkforward


def run_walkforward(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app.factory import core_parts
    from bot.backtest.data import detect_kind, read_lean
    from bot.marketdata.errors import MarketDataError
    from bot.research import report
    from bot.research.book import BarBook
    from bot.research.walkforward import (
        CoreEvaluator,
        make_folds,
        walk_forward_parallel,
        year_bounds,
    )
    from bot.rules.profiles import rules_from_settings

    started = time.perf_counter()
    path: Path = args.data or Path(settings.market_data_dir) / DEFAULT_DATA
    out = _out_dir(args.out)
    try:
        if detect_kind(path) != "lean":
            raise UserInputError(f"{path}: not a LEAN bar zip (walkforward reads SPY hourly bars)")
        bars = list(read_lean(path, core_parts(settings).instruments["MES"])[1])
    except MarketDataError as exc:
        raise UserInputError(str(exc)) from None
    book = BarBook(settings, bars, warmup_days=args.warmup_days)
    bounds = year_bounds(book.days())
    if args.years is not None:
        first, last = args.years
        bounds = {y: w for y, w in bounds.items() if first <= y <= last}
    if not make_folds(bounds, args.train_years):
        have = f"{min(bounds)}-{max(bounds)}" if bounds else "none"
        raise UserInputError(
            f"{path}: years {have} give no fold with {args.train_years} training year(s) "
            "and a test year after them"
        )
    evaluator = CoreEvaluator(book, bounds)
    wf = walk_forward_parallel(evaluator, args.train_years, args.jobs, _say)
    dll = rules_from_settings(settings).dll_cents
    document: dict[str, Any] = {
        "data": str(path),
        "proxy_label": report.PROXY,
        "train_years": args.train_years,
        "warmup_days": args.warmup_days,
        "score": "training Sharpe of daily P&L (mr, tf alone; hedge: the whole book)",
        "grids": {g.name: [c.model_dump() for c in g.candidates] for g in wf.grids},
        "side_by_side": report.side_by_side(wf, dll),
        "folds": report.fold_rows(wf),
        "crises": report.crisis_rows(wf),
        "correlation_out_of_sample": report.correlation(wf.stitched_oos()),
        "chosen": report.chosen(wf),
    }
    elapsed = time.perf_counter() - started
    if out is not None:
        _write_walkforward(out, wf, document, elapsed)
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        first, last = wf.folds[0].fold, wf.folds[-1].fold
        print(
            f"walk-forward on {path.name} ({report.PROXY}): {len(wf.folds)} folds, train "
            f"{args.train_years} y, test years {first.test_year}-{last.test_year}; "
            "in-sample = each fold's last training year, out-of-sample = its test year"
        )
        print(report.table_text(document["side_by_side"]))
        print()
        print(report.folds_text(document["folds"]))
        print()
        print("crisis windows, out-of-sample:")
        print(report.crisis_text(document["crises"]))
        print(f"\n{elapsed:.0f} s" + (f"; files in {out}" if out else ""))
    return 0


def _write_walkforward(out: Path, wf: Any, document: dict[str, Any], elapsed: float) -> None:
    from bot.research import charts, report
    from bot.research.sleeves_toml import render

    _write(out / "summary.json", json.dumps(document, indent=2) + "\n")
    _write(out / CHOSEN, json.dumps(document["chosen"], indent=2) + "\n")
    label = f"{Path(document['data']).name}, {report.PROXY}"
    _write(out / "sleeves.toml", render(document["chosen"], label, len(wf.folds)))
    _write(out / OOS_DAILY, report.daily_text(wf.stitched_oos()))
    _write(out / OOS_NO_HEDGE, report.daily_text(wf.stitched_oos(hedge=False)))
    _write(out / IS_DAILY, report.daily_text(wf.stitched_is()))
    _write(out / "timing.json", json.dumps({"elapsed_s": round(elapsed, 1)}) + "\n")
    title = f"Walk-forward, bar sleeves ({report.PROXY})"
    charts.equity_chart(
        wf.stitched_is(), wf.stitched_oos(), wf.stitched_oos(hedge=False), title, out / "equity.png"
    )


# ------------------------------------------------------------------------- shared readers


def _daily(folder: Path, name: str) -> tuple[list[Any], dict[str, list[int]]]:
    """A walk-forward daily file: DayPnl rows and the sleeve columns (cents)."""
    from bot.rules.daily_csv import DailyCsvError, read_daily_pnl

    path = folder / name
    if not path.is_file():
        raise UserInputError(f"{path}: no such file (run `research walkforward --out {folder}`)")
    try:
        days = read_daily_pnl(path)
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (DailyCsvError, OSError, UnicodeDecodeError) as exc:
        raise UserInputError(str(exc)) from None
    sleeves: dict[str, list[int]] = {}
    for column in rows[0] if rows else {}:
        if column.startswith("sleeve_"):
            try:
                sleeves[column[7:]] = [round(Decimal(r[column]) * 100) for r in rows]
            except (ArithmeticError, TypeError, ValueError):
                raise UserInputError(f"{path}: column {column} is not money") from None
    return days, sleeves


def _chosen_specs(folder: Path) -> list[Any]:
    """The latest fold's choices as sleeve specs (the same as sleeves.toml ships)."""
    from bot.strategy.config import Allocation, SleeveSpec
    from bot.strategy.sleeves import PARAM_MODELS

    path = folder / CHOSEN
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        specs = []
        for name, entry in data.items():
            model = PARAM_MODELS[entry["kind"]]
            params = model.model_validate(entry["latest"]["params"])
            allocation = Allocation.model_validate(entry["allocation"])
            specs.append(SleeveSpec(name, entry["kind"], ("MES",), allocation, params))
    except FileNotFoundError:
        raise UserInputError(f"{path}: no such file (run `research walkforward --out`)") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserInputError(f"{path}: not a walk-forward choice file ({exc})") from None
    return specs


# ------------------------------------------------------------------------- hedge


def run_hedge(args: argparse.Namespace, settings: Settings) -> int:
    from bot.research.book import BarBook, Window
    from bot.research.report import CRISES, crisis_text
    from bot.research.shocks import scenario, trading_days
    from bot.rules.profiles import rules_from_settings

    started = time.perf_counter()
    folder: Path = args.walkforward
    out = _out_dir(args.out)
    dll = rules_from_settings(settings).dll_cents
    with_h, _ = _daily(folder, OOS_DAILY)
    without, _ = _daily(folder, OOS_NO_HEDGE)
    crises = []
    for name, first, last in CRISES:
        a = [d for d in with_h if first <= d.day <= last]
        b = [d for d in without if first <= d.day <= last]
        if not a:
            continue
        crises.append(
            {
                "window": name,
                "first": first.isoformat(),
                "last": last.isoformat(),
                "with_hedge": _days_metrics(a, dll),
                "without_hedge": _days_metrics(b, dll),
            }
        )
    specs = _chosen_specs(folder)
    hedged = [s.name for s in specs if s.kind == "tail_hedge"]
    base = [s for s in specs if s.kind != "tail_hedge"]
    days = trading_days(date(2019, 1, 2), 160)
    shock_at = 110
    rows: list[dict[str, Any]] = []
    for seed in range(args.seed, args.seed + args.shocks):
        sc = scenario(seed, days, shock_at)
        book = BarBook(settings, sc.bars, warmup_days=90)
        window = Window(days[60], days[-1])
        span = (days[shock_at], days[min(len(days) - 1, shock_at + sc.shock_days + 5)])
        seg_h, seg_n = book.run(specs, window), book.run(base, window)
        rows.append(
            {
                "seed": seed,
                "direction": sc.direction,
                "shock_days": sc.shock_days,
                "with_hedge": _seg_metrics(seg_h.between(*span)),
                "without_hedge": _seg_metrics(seg_n.between(*span)),
            }
        )
    synthetic = _shock_summary(rows)
    document = {
        "walkforward": str(folder),
        "hedge_sleeves": hedged,
        "crises_out_of_sample": crises,
        "synthetic": {
            "scenarios": len(rows),
            "first_seed": args.seed,
            "summary": synthetic,
            "window": "shock day to 5 days after the shock ends",
            "runs": rows,
        },
    }
    elapsed = time.perf_counter() - started
    if out is not None:
        _write(out / "hedge.json", json.dumps(document, indent=2) + "\n")
        _hedge_chart(out, crises, synthetic)
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print("the book with and without the tail hedge, crisis windows out-of-sample:")
        print(crisis_text(crises))
        print(
            f"\n{len(rows)} synthetic shocks (seeds {args.seed}..{args.seed + len(rows) - 1}), "
            "shock day to 5 days after:"
        )
        for key, label in (
            ("worst_day", "worst day"),
            ("max_drawdown", "max drawdown"),
            ("net_pnl", "net P&L"),
        ):
            s = synthetic[key]
            print(
                f"  {label:<13} median with hedge {_usd(s['median_with'])}, without "
                f"{_usd(s['median_without'])}; hedge better in {s['hedge_better']} of {len(rows)}"
            )
        print(f"\n{elapsed:.0f} s" + (f"; files in {out}" if out else ""))
    return 0


def _usd(value: float) -> str:
    return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"


def _days_metrics(days: list[Any], dll: int) -> dict[str, float | int]:
    from bot.research.metrics import measure

    net = [d.net_pnl_cents for d in days]
    lows = [d.low_pnl_cents for d in days]
    return measure(net, lows, sum(1 for x in lows if x <= -dll)).as_dict()


def _seg_metrics(seg: Segment) -> dict[str, float | int]:
    from bot.research.metrics import measure

    return measure(seg.net(), seg.lows(), seg.dll_days(), seg.trades()).as_dict()


def _shock_summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | int]]:
    import statistics

    summary: dict[str, dict[str, float | int]] = {}
    for key, better in (("worst_day", max), ("max_drawdown", min), ("net_pnl", max)):
        a = [r["with_hedge"][key] for r in rows]
        b = [r["without_hedge"][key] for r in rows]
        wins = sum(1 for x, y in zip(a, b, strict=True) if x != y and better(x, y) == x)
        summary[key] = {
            "median_with": statistics.median(a),
            "median_without": statistics.median(b),
            "hedge_better": wins,
        }
    return summary


def _hedge_chart(out: Path, crises: list[dict[str, Any]], synthetic: dict[str, Any]) -> None:
    from bot.research.charts import bars_chart

    labels = [c["window"] for c in crises] + ["synthetic (median)"]
    with_h = [c["with_hedge"]["max_drawdown"] for c in crises]
    without = [c["without_hedge"]["max_drawdown"] for c in crises]
    with_h.append(synthetic["max_drawdown"]["median_with"])
    without.append(synthetic["max_drawdown"]["median_without"])
    bars_chart(
        labels,
        {"with hedge": with_h, "without hedge": without},
        "max drawdown of the book, out-of-sample crises and synthetic shocks",
        out / "hedge.png",
    )


# ------------------------------------------------------------------------- account


def run_account(args: argparse.Namespace, settings: Settings) -> int:
    from bot.analysis.stats import MAX_BREACH
    from bot.backtest.stats import correlation_matrix
    from bot.cli.montecarlo_cmd import MAX_PATHS, parse_block, parse_scales
    from bot.research.account import PROMISE_DAYS, PROMISE_TARGET_CENTS, fan, study_account
    from bot.rules.profiles import rules_from_settings

    started = time.perf_counter()
    folder: Path = args.walkforward
    out = _out_dir(args.out)
    days, sleeves = _daily(folder, OOS_DAILY)
    if len(days) < 20:
        raise UserInputError(f"{folder / OOS_DAILY}: {len(days)} days; need at least 20")
    factors = parse_scales(args.scale)
    block = parse_block(args.bootstrap)
    if block > len(days):
        raise UserInputError(f"--bootstrap block:{block} is longer than the {len(days)} days")
    if args.paths > MAX_PATHS:
        raise UserInputError(f"--paths must be at most {MAX_PATHS:,}, got {args.paths:,}")
    rules = rules_from_settings(settings, "xfa-50k")
    trace = min(args.paths, 5_000) if out is not None else 0
    study = study_account(days, rules, factors, args.paths, args.seed, block, trace=trace)
    names = list(sleeves)
    matrix = correlation_matrix([sleeves[n] for n in names])
    document: dict[str, Any] = {
        "input": str(folder / OOS_DAILY),
        "history_days": len(days),
        "first_day": days[0].day.isoformat(),
        "last_day": days[-1].day.isoformat(),
        "account": rules.name,
        "micros_per_lot": settings.micros_per_lot,
        "horizon_days": PROMISE_DAYS,
        "target": PROMISE_TARGET_CENTS / 100,
        "paths": args.paths,
        "seed": args.seed,
        "bootstrap": args.bootstrap,
        "factors": [
            {
                "scale": f,
                "p_target": round(s.p_target, 4),
                "p_breach": round(s.p_mll_breach, 4),
                "median_profit": round(s.median_profit / 100, 2),
                "p5_profit": round(s.p5_profit / 100, 2),
                "p95_profit": round(s.p95_profit / 100, 2),
                "median_days_to_target": s.median_days_to_target,
                "mean_dll_days": round(s.mean_dll_days, 2),
            }
            for f, s in study.factors
        ],
        "largest_scale_with_breach_at_most_2pct": study.recommended,
        "max_breach": MAX_BREACH,
        "correlation": {
            "sleeves": names,
            "matrix": [[None if v is None else round(v, 3) for v in row] for row in matrix],
        },
    }
    elapsed = time.perf_counter() - started
    if out is not None:
        _write(out / "account.json", json.dumps(document, indent=2) + "\n")
        shown = study.recommended if study.recommended is not None else study.factors[0][0]
        title = f"out-of-sample book (walk-forward), XFA, scale {shown}"
        try:
            fan(study, shown, title, out / "account_fan.png")
        except OSError as exc:
            raise UserInputError(f"{out}: cannot write the chart: {exc}") from None
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        _print_account(document, elapsed, out)
    return 0


def _print_account(document: dict[str, Any], elapsed: float, out: Path | None) -> None:
    print(
        f"account Monte Carlo ({document['account']}, {document['paths']:,} paths x "
        f"{document['horizon_days']} days, target {_usd(document['target'])}, seed "
        f"{document['seed']}, {document['bootstrap']}) on {document['history_days']} "
        f"out-of-sample days {document['first_day']}..{document['last_day']}"
    )
    print(f"{'scale':>6}{'P(target)':>11}{'P(breach)':>11}{'median':>10}{'p5':>10}{'p95':>10}")
    for row in document["factors"]:
        print(
            f"{row['scale']:>6g}{row['p_target']:>11.2%}{row['p_breach']:>11.2%}"
            f"{_usd(row['median_profit']):>10}{_usd(row['p5_profit']):>10}"
            f"{_usd(row['p95_profit']):>10}"
        )
    rec = document["largest_scale_with_breach_at_most_2pct"]
    print(f"largest scale with P(breach) <= 2%: {rec if rec is not None else 'none tried'}")
    corr = document["correlation"]
    print(
        "daily P&L correlation, out-of-sample: "
        + ", ".join(
            f"{a}/{b} {corr['matrix'][i][j]}"
            for i, a in enumerate(corr["sleeves"])
            for j, b in enumerate(corr["sleeves"])
            if j > i
        )
    )
    print(f"{elapsed:.1f} s" + (f"; files in {out}" if out else ""))
