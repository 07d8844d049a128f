"""`topstep-quant exchange`: the FIX exchange simulator; `bench matching` and `bench fix-rtt`."""

from __future__ import annotations

import argparse
import json
import logging
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.argtypes import non_negative_float, positive_int
from bot.cli.errors import UserInputError
from bot.config import Settings

if TYPE_CHECKING:
    from bot.exchange.acceptor import MarketSource
    from bot.exchange.venue import Venue

log = logging.getLogger("bot.exchange")


def _port(text: str) -> int:
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a TCP port")
    return value


def _max_qty(text: str) -> dict[str, int]:
    """`N` (every instrument) or `MES=50,MNQ=20` (those instruments; `*=N` for the rest)."""
    limits: dict[str, int] = {}
    for part in text.split(","):
        symbol, sep, value = part.strip().rpartition("=")
        try:
            limits[symbol.strip().upper() if sep else "*"] = positive_int(value)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected N or SYMBOL=N,...") from None
    return limits


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ex = commands.add_parser("exchange", help="run the FIX exchange simulator (foreground)")
    ex.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    ex.add_argument("--port", type=_port, default=9878, help="listen port (default 9878)")
    ex.add_argument("--seed", type=int, default=1, help="seed of the synthetic market")
    ex.add_argument("--replay", type=Path, default=None, help="replay a Databento MBO file")
    ex.add_argument("--speed", type=non_negative_float, default=1.0, help="market speed factor")
    ex.add_argument("--sender-comp-id", default="SIMEXCH", help="the venue's SenderCompID")
    ex.add_argument("--target-comp-id", default="TOPSTEPQ", help="the bot's SenderCompID")
    ex.add_argument("--symbols", default="MES,MNQ", help="synthetic contracts (comma list)")
    ex.add_argument("--events-per-s", type=non_negative_float, default=40.0)
    ex.add_argument("--no-market", action="store_true", help="no synthetic flow: an empty book")
    ex.add_argument(
        "--state-dir", type=Path, default=None,
        help="FIX store and the venue's books, kept across restarts (default STATE_DIR)",
    )  # fmt: skip
    ex.add_argument(
        "--max-order-qty", type=_max_qty, default={}, metavar="N|SYM=N,...",
        help="largest order accepted, per instrument (default 1000)",
    )  # fmt: skip
    ex.add_argument("--logon-timeout", type=non_negative_float, default=10.0, metavar="SECONDS",
                    help="close connections that have not logged on after this long")  # fmt: skip
    ex.add_argument("--max-message-bytes", type=positive_int, default=64 * 1024, metavar="N",
                    help="close connections that send a larger FIX message")  # fmt: skip
    ex.add_argument(
        "--monitor-comp-id", default="MONITOR",
        help="read-only session that may ask AN/AF of any account ('' for none)",
    )  # fmt: skip
    ex.add_argument(
        "--market-day", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
        help="the venue's business day (contract months, position dates); default today",
    )  # fmt: skip
    faults = ex.add_argument_group("fault injection")
    faults.add_argument("--disconnect-after", type=positive_int, default=None, metavar="N")
    faults.add_argument("--ack-delay", type=non_negative_float, default=0.0, metavar="SECONDS")
    faults.add_argument("--reject-next", type=int, default=0, metavar="N")
    faults.add_argument("--drop-next", type=int, default=0, metavar="N")
    faults.add_argument("--jump-ticks", type=int, default=0, metavar="N")
    ex.set_defaults(handler=run_exchange)

    matching = bench.add_parser("matching", help="orders per second of the matching engine")
    matching.add_argument("--orders", type=positive_int, default=200_000)
    matching.add_argument("--seed", type=int, default=7)
    matching.add_argument("--repeat", type=positive_int, default=3, help="best of N runs")
    matching.set_defaults(handler=run_bench_matching)

    rtt = bench.add_parser("fix-rtt", help="loopback FIX round trip: D sent to New received")
    rtt.add_argument("--orders", type=positive_int, default=2_000)
    rtt.add_argument("--warmup", type=positive_int, default=200)
    rtt.set_defaults(handler=run_bench_rtt)


def _market(args: argparse.Namespace, venue: Venue) -> MarketSource | None:
    from bot.exchange.flow import SyntheticFlow

    if args.replay is not None:
        from bot.exchange.replay import ReplayError, ReplayFeed

        try:
            return ReplayFeed.from_file(venue, args.replay, speed=args.speed or 1.0)
        except ReplayError as exc:
            raise UserInputError(str(exc)) from None
    if args.no_market:
        return None
    symbols = tuple(s.strip().upper() for s in args.symbols.split(",") if s.strip())
    unknown = [s for s in symbols if s not in venue.instruments]
    if unknown or not symbols:
        raise UserInputError(f"unknown symbols {unknown}; known: {sorted(venue.instruments)}")
    speed = args.speed or 1.0
    import time

    return SyntheticFlow(
        venue, symbols, args.seed, max(args.events_per_s, 0.1), speed, time.monotonic()
    )


def run_exchange(args: argparse.Namespace, settings: Settings) -> int:
    from bot.exchange.acceptor import ExchangeServer, ListenerSettings, default_venue
    from bot.exchange.faults import FaultPlan
    from bot.exchange.venue import DEFAULT_MAX_ORDER_QTY, VenueLimits
    from fix.settings import FixSessionConfig
    from fix.signals import install_thread_stop_signals

    state_dir = (args.state_dir or settings.state_dir) / "exchange"
    limits = dict(args.max_order_qty)
    venue = default_venue(
        args.market_day or datetime.now(UTC).date(),
        state_dir / "venue",  # the books are restored before the market source starts
        VenueLimits(limits, limits.pop("*", DEFAULT_MAX_ORDER_QTY)),
    )
    market = _market(args, venue)
    faults = FaultPlan(
        disconnect_after=args.disconnect_after,
        ack_delay_s=args.ack_delay,
        reject_next=max(args.reject_next, 0),
        drop_next=max(args.drop_next, 0),
        jump_ticks=args.jump_ticks,
    )
    cfg = FixSessionConfig(
        host=args.host,
        port=args.port,
        sender_comp_id=args.sender_comp_id,
        target_comp_id=args.target_comp_id,
        state_dir=state_dir,
    )
    listener = ListenerSettings(args.logon_timeout or 10.0, args.max_message_bytes)
    server = ExchangeServer(cfg, venue, market, faults, listener, args.monitor_comp_id or None)
    stop = threading.Event()
    install_thread_stop_signals(lambda _signum: stop.set())
    try:
        server.start()
    except Exception as exc:  # QuickFIX reports a busy port or bad setting as RuntimeError
        raise UserInputError(
            f"cannot start the exchange on {args.host}:{args.port}: {exc}"
        ) from None
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


def run_bench_matching(args: argparse.Namespace, settings: Settings) -> int:
    from bot.exchange.bench import run_matching_bench

    runs = [run_matching_bench(args.orders, args.seed) for _ in range(args.repeat)]
    best = max(runs, key=lambda r: r["orders_per_s"])
    best["runs_orders_per_s"] = [r["orders_per_s"] for r in runs]
    print(json.dumps(best))
    return 0


def run_bench_rtt(args: argparse.Namespace, settings: Settings) -> int:
    from fix.rtt import run_rtt_bench

    print(json.dumps(run_rtt_bench(args.orders, args.warmup)))
    return 0
