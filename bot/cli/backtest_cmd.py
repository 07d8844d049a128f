"""`topstep-quant backtest` (the trading core on history or on the synthetic market) and
`bench backtest --bars FILE | --mbo FILE` (its speed, printed as JSON).

Every mistake in the input (a file, a row, a sleeve name, sleeves.toml) is one `error:` line and
exit status 2: the data readers raise `MarketDataError`, the sleeve configuration
`SleeveConfigError`, and both become `UserInputError` here.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.app.factory import build_kernel_from_config, core_parts
from bot.backtest.bar_venue import BarVenueClient
from bot.backtest.data import BarItem, detect_kind, read_bar_csv, read_lean
from bot.backtest.feeds import BarFeed, MboFeed
from bot.backtest.market import MarketOptions, open_market
from bot.backtest.models import FeeModel, LatencyModel, SlippageModel
from bot.backtest.runner import Backtest, RunStats, build_result
from bot.backtest.sim_client import SimVenueClient
from bot.backtest.trade_bars import DEFAULT_BAR_SECONDS, TradeBars
from bot.cli.argtypes import iso_day, non_negative_float, positive_int
from bot.cli.errors import UserInputError
from bot.config import Settings
from bot.engine.kernel import TradingKernel
from bot.engine.results import BacktestResult
from bot.marketdata.errors import MarketDataError
from bot.model.clock import SimulatedClock
from bot.model.ids import OrderIdFactory
from bot.rules.profiles import rules_from_settings
from bot.strategy.config import SleeveConfigError

if TYPE_CHECKING:
    from bot.cli.main import Subparsers

BAR_SLEEVES = ["mr", "tf", "hedge"]


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be >= 0")
    return value


def _positive_float(text: str) -> float:
    value = non_negative_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be > 0")
    return value


def register(commands: Subparsers, bench: Subparsers) -> None:
    run = commands.add_parser(
        "backtest", help="run the sleeves, portfolio, risk and execution on history"
    )
    run.add_argument("--data", action="append", type=Path, default=[], metavar="FILE",
                     help="Databento MBO/MBP-1, LEAN bar zip or bar CSV (repeatable)")  # fmt: skip
    run.add_argument("--sleeves", default=None, help="comma list, e.g. mm,mr,tf,hedge (all)")
    run.add_argument("--from", dest="from_day", type=iso_day, default=None, metavar="DAY")
    run.add_argument("--to", dest="to_day", type=iso_day, default=None, metavar="DAY")
    run.add_argument("--config", type=Path, default=None, help="sleeves.toml (built-in default)")
    run.add_argument("--seed", type=_non_negative_int, default=1, help="run seed (1)")
    run.add_argument("--latency-ms", type=non_negative_float, default=0.0,
                     help="one-way latency, each way (0)")  # fmt: skip
    run.add_argument("--slippage-ticks", type=_non_negative_int, default=0,
                     help="ticks against market and stop fills on bar and L2 data (0)")  # fmt: skip
    run.add_argument("--out", type=Path, default=None, help="write the result files here")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--synthetic-days", type=positive_int, default=None, metavar="N",
                     help="also trade the simulator's synthetic market for N days")  # fmt: skip
    run.add_argument("--bar-seconds", type=_positive_float, default=None, metavar="S",
                     help="bar length of a bar file (default: from the spacing), or of the "
                          "bars built from an MBO or synthetic book's prints (60)")  # fmt: skip
    run.add_argument("--symbol", default="MES",
                     help="instrument of bar files and the synthetic market (MES); Databento "
                          "files trade as their product's micro (ES -> MES)")  # fmt: skip
    run.add_argument("--no-monte-carlo", action="store_true", help="skip the report's MC")
    run.set_defaults(handler=run_backtest)

    speed = bench.add_parser("backtest", help="backtest speed on bars or an MBO day")
    what = speed.add_mutually_exclusive_group(required=True)
    what.add_argument("--bars", type=Path, help="LEAN zip or bar CSV: the three bar sleeves")
    what.add_argument("--mbo", type=Path, help="Databento MBO file: all four sleeves")
    speed.add_argument("--passes", type=positive_int, default=3, help="timed runs (3)")
    speed.set_defaults(handler=run_bench)


# ------------------------------------------------------------------------- backtest


def _sleeve_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UserInputError("--sleeves: give at least one sleeve name")
    return names


def _kernel(
    settings: Settings, clock: SimulatedClock, config: Path | None, names: list[str] | None,
    seed: int,
) -> TradingKernel:  # fmt: skip
    try:
        return build_kernel_from_config(settings, clock, config, names, OrderIdFactory(f"bt{seed}"))
    except SleeveConfigError as exc:
        raise UserInputError(str(exc)) from None


def run_backtest(args: argparse.Namespace, settings: Settings) -> int:
    if not args.data and not args.synthetic_days:
        raise UserInputError("give --data FILE (repeatable) or --synthetic-days N")
    if args.from_day and args.to_day and args.from_day > args.to_day:
        raise UserInputError(f"--from {args.from_day} is after --to {args.to_day}")
    logging.getLogger("bot.exchange.flow").setLevel(logging.WARNING)  # regime lines: noise here
    clock = SimulatedClock()
    kernel = _kernel(settings, clock, args.config, _sleeve_names(args.sleeves), args.seed)
    backtest = Backtest(kernel, clock, LatencyModel.fixed_ms(args.latency_ms))
    options = MarketOptions(
        symbol=args.symbol,
        bar_seconds=args.bar_seconds,
        slippage_ticks=args.slippage_ticks,
        from_day=args.from_day,
        to_day=args.to_day,
        synthetic_days=args.synthetic_days or 0,
        seed=args.seed,
    )
    try:
        files = open_market(backtest, args.data, options, core_parts(settings).instruments)
        if not backtest.has_data:
            raise UserInputError("no data to run on (empty files, or none in --from/--to)")
        stats = _run(backtest)
    except MarketDataError as exc:
        raise UserInputError(str(exc)) from None
    sleeves = [s.name for s in kernel.sleeves]
    result = build_result(
        kernel, stats, sleeves, files, args.seed, {"account_failed": kernel.account.failed}
    )
    rules = rules_from_settings(settings)
    if args.out is not None:
        from bot.backtest.output import write_outputs

        write_outputs(result, args.out, monte_carlo=not args.no_monte_carlo, rules=rules)
    _print_summary(result, args.json, rules, args.out)
    return 0


def _run(backtest: Backtest) -> RunStats:
    from bot.backtest.progress import Progress

    with Progress(unit="records") as bar:
        return backtest.run(bar.update)


def _print_summary(result: BacktestResult, as_json: bool, rules: Any, out: Path | None) -> None:
    from bot.backtest.output import summary

    document = summary(result, rules)
    if as_json:
        print(json.dumps(document, indent=2, allow_nan=False))
        return
    combined = document["combined"]
    labels = "; ".join(document["proxy_labels"])
    print(
        f"backtest {document['first_day']} .. {document['last_day']}: {document['days']} days, "
        f"sleeves {','.join(result.sleeves)}" + (f" ({labels})" if labels else "")
    )
    print(f"net P&L {combined.get('net_pnl')}, fees {combined.get('fees')}, "
          f"trades {combined.get('trades')}, worst day {combined.get('worst_day')}, "
          f"max drawdown {combined.get('max_drawdown')}")  # fmt: skip
    print(f"{result.events:,} events in {result.elapsed_s:.2f} s "
          f"({result.events_per_s:,.0f}/s)" + (f"; files in {out}" if out else ""))  # fmt: skip


# ------------------------------------------------------------------------- bench


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _timed(
    settings: Settings, sleeves: list[str] | None, passes: int, attach: Callable[[Backtest], None]
) -> dict[str, Any]:
    """Median of `passes` runs on a fresh kernel; `attach` adds the market to each backtest."""
    seconds: list[float] = []
    stats = RunStats()
    kernel: TradingKernel | None = None
    for _ in range(passes):
        clock = SimulatedClock()
        kernel = _kernel(settings, clock, None, sleeves, 1)
        backtest = Backtest(kernel, clock)
        attach(backtest)
        stats = backtest.run()
        seconds.append(stats.elapsed_s)
    if kernel is None:
        raise RuntimeError("invariant broken: kernel is None")
    median = statistics.median(seconds)
    return {"seconds": round(median, 4), "records": stats.records, "events": stats.events,
            "rate": round(stats.records / median) if median > 0 else None,
            "fills": len(kernel.fills), "days": len(kernel.days)}  # fmt: skip


def run_bench(args: argparse.Namespace, settings: Settings) -> int:
    try:
        document = _bench_bars(args, settings) if args.bars else _bench_mbo(args, settings)
    except MarketDataError as exc:
        raise UserInputError(str(exc)) from None
    print(json.dumps(document))
    return 0


def _bench_bars(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """The three bar sleeves + portfolio + risk on decoded bars (decoding timed apart)."""
    path: Path = args.bars
    kind = detect_kind(path)
    if kind not in ("lean", "bar-csv"):
        raise UserInputError(f"{path}: a {kind} file; --bars needs a LEAN zip or a bar CSV")
    instrument = core_parts(settings).instruments["MES"]
    started = time.perf_counter()
    reader = read_lean if kind == "lean" else read_bar_csv
    bars: list[BarItem] = list(reader(path, instrument)[1])
    decode_s = time.perf_counter() - started
    fees = FeeModel.from_instruments(core_parts(settings).instruments)

    def attach(backtest: Backtest) -> None:
        client = BarVenueClient(backtest.deliver, 0, fees, SlippageModel(), frozenset({"MES"}))
        backtest.router.add(["MES"], client)
        backtest.finishers.append(client)
        backtest.add_feed(BarFeed(iter(bars), client, backtest.deliver, 0))

    timed = _timed(settings, BAR_SLEEVES, args.passes, attach)
    rate = timed.pop("rate")
    return {
        "benchmark": "backtest-bars",
        "file": str(path),
        "sleeves": BAR_SLEEVES,
        "bars": timed["records"],
        "bars_per_s": rate,
        **timed,
        "decode_s": round(decode_s, 4),
        "bars_per_s_with_decode": round(timed["records"] / (timed["seconds"] + decode_s)),
        "passes": args.passes,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _bench_mbo(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """All four sleeves + queue-position matching + risk on an MBO day, next to `bench book`
    on the same records in the same process."""
    from bot.cli.book_cmd import bench_replay
    from bot.exchange.replay import ReplayFeed
    from bot.exchange.venue import Venue
    from bot.marketdata.replay import decode_mbo_file

    path: Path = args.mbo
    parts = core_parts(settings)
    rows = max(decode_mbo_file(path).values(), key=len)
    book = bench_replay(rows, max(3, args.passes))
    fees = FeeModel.from_instruments(parts.instruments)
    first_day = date.fromtimestamp(rows[0][6] / 1e9)

    def attach(backtest: Backtest) -> None:
        venue = Venue(parts.instruments, first_day)
        replay = ReplayFeed(venue, rows, venue.contract("MES"))
        sink = TradeBars(backtest.deliver, round(DEFAULT_BAR_SECONDS * 1e9))  # bar sleeves too
        client = SimVenueClient(venue, sink, 0, fees)
        backtest.router.add(["MES"], client)
        backtest.add_feed(MboFeed(replay, client))

    timed = _timed(settings, None, args.passes, attach)
    rate = timed.pop("rate")
    return {
        "benchmark": "backtest-mbo",
        "file": str(path),
        "sleeves": "all",
        "records_per_s": rate,
        **timed,
        "book_msgs_per_s": book["msgs_per_s"],
        "ratio_to_book": round(rate / book["msgs_per_s"], 3) if rate else None,
        "target_ratio": 0.5,
        "passes": args.passes,
        "peak_rss_mb": _peak_rss_mb(),
    }
