"""`topstep-quant book FILE` (replay an MBO file, print the final book) and `bench book FILE`."""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
import tracemalloc
from decimal import Decimal, InvalidOperation
from typing import Any

from bot import _native
from bot.book.mbo import MboBook, MboRecord
from bot.book.types import Level, Side
from bot.cli.argtypes import positive_int
from bot.cli.errors import UserInputError
from bot.config import Settings
from bot.marketdata.errors import MarketDataError
from bot.marketdata.replay import decode_mbo_file, replay_mbo_file


def _tick_size(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be a positive price increment")
    return value


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    book = commands.add_parser("book", help="replay a Databento MBO file and print the final book")
    _file_args(book)
    book.add_argument("--depth", type=positive_int, default=10, help="levels per side (10)")
    book.add_argument("--json", action="store_true", help="one JSON object: bids, asks, ts_recv")
    book.set_defaults(handler=run_book)

    bench_book = bench.add_parser("book", help="order book replay speed on an MBO file")
    _file_args(bench_book)
    bench_book.add_argument(
        "--passes", type=positive_int, default=15, help="timed replays, median reported (15)"
    )
    bench_book.set_defaults(handler=run_bench)


def _file_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="Databento DBN file, MBO schema (.dbn or .dbn.zst)")
    parser.add_argument("--tick-size", type=_tick_size, default=None, help="default: by symbol")
    parser.add_argument("--instrument-id", type=int, default=None, help="when the file has many")


# ------------------------------------------------------------------------- book


def run_book(args: argparse.Namespace, settings: Settings) -> int:
    try:
        replay = replay_mbo_file(args.file, args.tick_size)
        instrument_id, feed = replay.only_book(args.instrument_id)
    except MarketDataError as exc:
        raise UserInputError(str(exc)) from None
    tick = replay.tick_size
    bids = feed.book.depth(Side.BID, args.depth)
    asks = feed.book.depth(Side.ASK, args.depth)
    if args.json:
        print(json.dumps(book_json(bids, asks, tick, feed.last_ts_recv)))
    else:
        symbol = ",".join(replay.symbols) or "?"
        print(_describe(symbol, instrument_id, feed))
        print(_ladder(bids, asks, tick))
    return 0


def book_json(bids: list[Level], asks: list[Level], tick: Decimal, ts_recv: int) -> dict[str, Any]:
    """The `--json` contract: levels best first as [price in points, size, order count]."""

    def rows(levels: list[Level]) -> list[list[float | int]]:
        return [[float(lv.price * tick), lv.size, lv.orders] for lv in levels]

    return {"bids": rows(bids), "asks": rows(asks), "ts_recv": ts_recv}


def _describe(symbol: str, instrument_id: int, feed: MboBook) -> str:
    anomalies = ", ".join(f"{k} {v}" for k, v in sorted(feed.anomalies.items())) or "none"
    state = "valid" if feed.valid else f"INVALID ({feed.invalid_reason})"
    return (
        f"{symbol} (instrument {instrument_id}): {feed.records:,} records, "
        f"last ts_recv {feed.last_ts_recv}\n"
        f"phase {feed.phase.name.lower()}, book {state}, anomalies: {anomalies}, "
        f"crossed pre-open states: {feed.crossed_preopen:,}, trades {feed.tape.count:,} "
        f"({feed.tape.volume:,} lots)"
    )


def _ladder(bids: list[Level], asks: list[Level], tick: Decimal) -> str:
    lines = [f"{'side':<4} {'price':>12} {'size':>8} {'orders':>7}"]
    lines += [f"{'ask':<4} {lv.price * tick:>12} {lv.size:>8} {lv.orders:>7}" for lv in asks[::-1]]
    lines += [f"{'bid':<4} {lv.price * tick:>12} {lv.size:>8} {lv.orders:>7}" for lv in bids]
    if not bids and not asks:
        lines.append("(empty book)")
    return "\n".join(lines)


# ------------------------------------------------------------------------- bench


def run_bench(args: argparse.Namespace, settings: Settings) -> int:
    try:
        decoded = decode_mbo_file(args.file, args.tick_size)
    except MarketDataError as exc:
        raise UserInputError(str(exc)) from None
    rows = _choose(decoded, args.instrument_id, args.file)
    print(json.dumps(bench_replay(rows, args.passes)))
    return 0


def _choose(
    decoded: dict[int, list[MboRecord]], instrument_id: int | None, name: str
) -> list[MboRecord]:
    if instrument_id is None and len(decoded) == 1:
        return next(iter(decoded.values()))
    if instrument_id is not None and instrument_id in decoded:
        return decoded[instrument_id]
    known = ", ".join(str(i) for i in sorted(decoded)) or "none"
    raise UserInputError(f"{name}: choose an instrument with --instrument-id (file has {known})")


def bench_replay(rows: list[MboRecord], passes: int) -> dict[str, Any]:
    """Median of `passes` timed replays into fresh books, then one untimed pass for memory.

    Every pass publishes the top of book (best bid/ask price and size) at each F_LAST, as the
    live bot reads it.  Wall time is the headline; CPU time is also given because on a shared
    machine other processes inflate wall time.  The decoded input is frozen out of the garbage
    collector's sight first (it is the benchmark's input, not the book's memory).
    """
    gc.collect()
    gc.freeze()
    MboBook().replay(rows)  # warm-up, untimed: first touch of the allocator's arenas
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(passes):
        feed = MboBook()
        start, start_cpu = time.perf_counter(), time.process_time()
        feed.replay(rows)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    gc.unfreeze()
    seconds = statistics.median(wall)
    cpu_seconds = statistics.median(cpu)
    return {
        "compiled": _native.compiled(),
        "records": len(rows),
        "seconds": round(seconds, 6),
        "msgs_per_s": round(len(rows) / seconds),
        "passes": passes,
        "best_msgs_per_s": round(len(rows) / min(wall)),
        "cpu_msgs_per_s": round(len(rows) / cpu_seconds) if cpu_seconds > 0 else None,
        **_book_memory(rows),
    }


def _book_memory(rows: list[MboRecord], parts: int = 10) -> dict[str, list[int]]:
    """KiB held by a replay, and resting orders, after each tenth of the records (tracemalloc,
    untimed): flat memory means it follows the resting orders, not the records applied."""
    step = max(1, -(-len(rows) // parts))
    kib: list[int] = []
    orders: list[int] = []
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        feed = MboBook()
        for i in range(0, len(rows), step):
            feed.replay(rows[i : i + step])
            kib.append((tracemalloc.get_traced_memory()[0] - base) // 1024)
            orders.append(len(feed.book))
    finally:
        tracemalloc.stop()
    return {"book_kib_by_tenth": kib, "orders_by_tenth": orders}
