"""`topstep-quant research-mm` (also `add_parser(sub)` for a `research mm` subcommand): the
market maker's parameters chosen on synthetic training seeds, reported on other seeds and on
real ES MBO data (see `bot.research.market_making`)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.argtypes import non_negative_float, positive_int
from bot.cli.errors import UserInputError
from bot.config import Settings

if TYPE_CHECKING:
    from bot.cli.main import Subparsers

SHARED_ES_DAY = Path("cme/esh4-glbx-mdp3-20231225.mbo.dbn.zst")  # under MARKET_DATA_DIR
MAX_MINUTES = 405  # 08:30 to 15:15 Chicago, the synthetic market's day
TEST_SEED_BASE = 1000  # test seeds are 1001.. so they never meet the training seeds 1..


def _minutes(text: str) -> int:
    value = positive_int(text)
    if value > MAX_MINUTES:
        raise argparse.ArgumentTypeError(f"{text}: at most {MAX_MINUTES} (08:30-15:15 Chicago)")
    return value


def _seeds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 500:
        raise argparse.ArgumentTypeError(f"{text} must be 0..500")
    return value


def add_parser(sub: Subparsers, name: str = "mm") -> argparse.ArgumentParser:
    """Add the command to `sub` (e.g. as `research mm`)."""
    p = sub.add_parser(name, help="market making on real ES MBO data and synthetic sessions")
    p.add_argument("--data", action="append", type=Path, default=None, metavar="FILE",
                   help="Databento MBO file (repeatable; default: the shared ES day under "
                        "MARKET_DATA_DIR)")  # fmt: skip
    p.add_argument("--no-real", action="store_true", help="synthetic sessions only")
    p.add_argument("--train-seeds", type=_seeds, default=4,
                   help="synthetic training sessions, seeds 1..N (4)")  # fmt: skip
    p.add_argument("--test-seeds", type=_seeds, default=16,
                   help="synthetic test sessions, seeds 1001..1000+N (16)")  # fmt: skip
    p.add_argument("--minutes", type=_minutes, default=60,
                   help="length of a synthetic session from 08:30 Chicago (60)")  # fmt: skip
    p.add_argument("--latency-ms", type=non_negative_float, default=5.0,
                   help="one-way latency, each way (5)")  # fmt: skip
    p.add_argument("--no-search", action="store_true",
                   help="no parameter search: the MarketMakingParams defaults")  # fmt: skip
    p.add_argument("--out", type=Path, default=None, help="write the CSV/JSON files here")
    p.set_defaults(handler=run)
    return p


def register(commands: Subparsers, bench: Subparsers) -> None:
    add_parser(commands, "research-mm")


def _files(args: argparse.Namespace, settings: Settings) -> list[Path]:
    from bot.backtest.data import detect_kind
    from bot.marketdata.errors import MarketDataError

    if args.no_real:
        return []
    files: list[Path] = args.data or [settings.market_data_dir / SHARED_ES_DAY]
    for path in files:
        try:
            kind = detect_kind(path)
        except MarketDataError as exc:
            hint = "" if args.data else " (set MARKET_DATA_DIR, give --data, or --no-real)"
            raise UserInputError(f"{exc}{hint}") from None
        if kind != "mbo":
            raise UserInputError(f"{path}: a {kind} file; research-mm needs Databento MBO")
    return files


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.marketdata.errors import MarketDataError
    from bot.research.market_making import study
    from bot.research.mm_report import print_table, write

    if args.train_seeds == 0 and not args.no_search:
        raise UserInputError("--train-seeds 0 leaves nothing to choose on: add --no-search")
    files = _files(args, settings)
    if not files and args.test_seeds == 0 and args.train_seeds == 0:
        raise UserInputError("nothing to run: no real data and no synthetic seeds")
    logging.getLogger("bot.exchange.flow").setLevel(logging.WARNING)  # regime lines: noise here
    started = time.perf_counter()

    def progress(text: str) -> None:
        print(f"research-mm: {text}", file=sys.stderr, flush=True)

    train = list(range(1, args.train_seeds + 1))
    test = list(range(TEST_SEED_BASE + 1, TEST_SEED_BASE + 1 + args.test_seeds))
    try:
        result = study(
            settings, files, train, test, args.minutes, args.latency_ms, not args.no_search,
            progress,
        )  # fmt: skip
    except MarketDataError as exc:
        raise UserInputError(str(exc)) from None
    elapsed = time.perf_counter() - started
    if args.out is not None:
        meta = {
            "command": "topstep-quant research-mm",
            "files": [str(p) for p in files],
            "train_seeds": train,
            "test_seeds": test,
            "minutes": args.minutes,
            "latency_ms": args.latency_ms,
            "search": not args.no_search,
        }
        write(result, args.out, meta, elapsed)
    print_table(result, elapsed)
    return 0
