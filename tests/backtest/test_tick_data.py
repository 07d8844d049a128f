"""MBO and MBP-1 on constructed files: our passive order queues behind the real lots at its
price; latency changes what a market order meets; the L2 model's touch and trade-through."""

from __future__ import annotations

from pathlib import Path

from bot.backtest.data import detect_kind
from bot.model.commands import Command
from bot.model.events import BookDelta, Event, OrderFilled, TradeEvent
from bot.model.orders import OrderType
from bot.model.side import Side
from tests.backtest.conftest import Runner
from tests.backtest.dbnfiles import START, write_mbo, write_mbp1
from tests.backtest.fakes import FakeKernel

BID, ASK = 19_200, 19_201  # 4800.00 / 4800.25
MS = 1_000_000


def on_first_book(*make: OrderType | Side | int) -> object:
    """A script: on the first book it sees, send one order (side, type, price or None)."""
    side, kind, price = make

    def script(kernel: FakeKernel, event: Event) -> list[Command]:
        if "sent" in kernel.flags or not isinstance(event, BookDelta):
            return []
        kernel.flags.add("sent")
        return [kernel.order(side, 1, kind, price)]  # type: ignore[arg-type]

    return script


def test_mbo_passive_bid_fills_only_after_the_lots_ahead(tmp_path: Path, run_files: Runner) -> None:
    path = write_mbo(tmp_path / "q.mbo.dbn", [
        (0, "A", "B", BID, 5, 1),  # 5 real lots at the bid, ahead of us
        (0, "A", "A", ASK, 5, 2),
        (10, "T", "A", BID, 3, 0),  # a seller takes 3: still 2 ahead of us
        (10, "C", "B", BID, 3, 1),
        (20, "T", "A", BID, 3, 0),  # 3 more: 2 for the real order, 1 for us
        (20, "C", "B", BID, 2, 1),
    ])  # fmt: skip
    assert detect_kind(path) == "mbo"
    kernel = run_files([path], on_first_book(Side.BUY, OrderType.LIMIT, BID))
    (filled,) = kernel.of_type(OrderFilled)
    assert filled.fill.ts_ns == START + 20 * MS
    assert (filled.fill.price_ticks, filled.fill.liquidity) == (BID, "maker")
    first = kernel.books()[0]
    assert first.snapshot and {(lv.side_index, lv.price_ticks, lv.size) for lv in first.levels} == {
        (0, BID, 5),
        (1, ASK, 5),
    }
    assert [t.trade.size for t in kernel.of_type(TradeEvent)] == [3, 3]


def test_mbo_latency_changes_what_a_market_order_meets(tmp_path: Path, run_files: Runner) -> None:
    path = write_mbo(tmp_path / "l.mbo.dbn", [
        (0, "A", "B", BID, 5, 1),
        (0, "A", "A", ASK, 5, 2),
        (0.5, "C", "A", ASK, 5, 2),  # the offer is pulled half a millisecond later...
        (0.5, "A", "A", ASK + 2, 5, 3),  # ...and comes back two ticks higher
    ])  # fmt: skip
    buy = on_first_book(Side.BUY, OrderType.MARKET, 0)
    (now,) = run_files([path], buy).of_type(OrderFilled)
    assert (now.fill.price_ticks, now.fill.ts_ns, now.ts_ns) == (ASK, START, START)
    (late,) = run_files([path], buy, latency_ms=1).of_type(OrderFilled)
    # the book reaches the bot 1 ms late, the order the venue 1 ms after that, the fill 1 ms more
    assert late.fill.price_ticks == ASK + 2
    assert (late.fill.ts_ns, late.ts_ns) == (START + 2 * MS, START + 3 * MS)


def test_mbp1_touch_and_trade_through(tmp_path: Path, run_files: Runner) -> None:
    path = write_mbp1(tmp_path / "t.mbp1.dbn", [
        (0, "A", "B", BID, 5, BID, 5, ASK, 5),
        (10, "T", "A", BID - 1, 2, BID - 1, 4, ASK, 5),  # a print AT our bid (BID - 1): no fill
        (20, "T", "A", BID - 2, 1, BID - 2, 4, ASK - 1, 3),  # through it: filled at our price
    ])  # fmt: skip
    assert detect_kind(path) == "mbp-1"
    kernel = run_files([path], on_first_book(Side.BUY, OrderType.LIMIT, BID - 1))
    (filled,) = kernel.of_type(OrderFilled)
    assert filled.fill.ts_ns == START + 20 * MS
    assert (filled.fill.price_ticks, filled.fill.liquidity) == (BID - 1, "maker")
    assert [t.trade.aggressor for t in kernel.of_type(TradeEvent)] == [Side.SELL, Side.SELL]
