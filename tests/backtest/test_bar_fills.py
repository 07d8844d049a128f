"""The bar fill model: an order decided on a bar trades at a later price than that bar's close."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.model.commands import Command, ReplaceOrder
from bot.model.events import BarEvent, Event, OrderFilled, OrderReplaced
from bot.model.orders import OrderType
from bot.model.side import Side
from tests.backtest.conftest import Runner, minute
from tests.backtest.fakes import FakeKernel

ROWS = [
    (minute(0), 100.0, 101.0, 99.0, 100.5, 10),
    (minute(1), 101.0, 102.0, 100.0, 101.5, 10),  # low touches 100.00, never through
    (minute(2), 103.0, 104.0, 102.0, 103.0, 10),
    (minute(3), 101.0, 101.5, 99.5, 100.0, 10),  # trades through 100.00
]
T = 4  # ticks per point (MES 0.25)


def on_bar(n: int, *commands: Callable[[FakeKernel], Command]) -> Callable[..., list[Command]]:
    """A script that sends `commands` when it sees the n-th bar (0-based)."""
    seen = {"bars": 0}

    def script(kernel: FakeKernel, event: Event) -> list[Command]:
        if not isinstance(event, BarEvent):
            return []
        seen["bars"] += 1
        return [make(kernel) for make in commands] if seen["bars"] == n + 1 else []

    return script


def fills(kernel: FakeKernel) -> list[OrderFilled]:
    return [e for e in kernel.events if isinstance(e, OrderFilled)]


def test_market_order_fills_at_next_bar_open_not_the_close(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    kernel = run_files([bars_file(ROWS)], on_bar(0, lambda k: k.order(Side.BUY)))
    (filled,) = fills(kernel)
    bar1 = kernel.of_type(BarEvent)[1]
    assert isinstance(bar1, BarEvent)
    assert filled.fill.price_ticks == 101 * T  # bar 1's open, not bar 0's close (100.5)
    assert filled.fill.ts_ns == bar1.bar.start_ns
    assert filled.fill.liquidity == "taker"
    assert filled.fill.fee_cents == 37


def test_latency_shifts_the_fill_to_a_later_bar(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    kernel = run_files([bars_file(ROWS)], on_bar(0, lambda k: k.order(Side.BUY)), latency_ms=5)
    (filled,) = fills(kernel)
    bars = [e.bar for e in kernel.of_type(BarEvent)]
    assert filled.fill.price_ticks == 103 * T  # arrived after bar 1 opened: bar 2's open
    assert filled.fill.ts_ns == bars[2].start_ns
    assert filled.ts_ns == bars[2].start_ns + 5_000_000  # and the bot hears of it 5 ms later
    assert bars[0].end_ns + 5_000_000 == kernel.events[0].ts_ns  # the bar itself came late


def test_limit_is_not_filled_by_a_touch_only_by_trading_through(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    buy = on_bar(0, lambda k: k.order(Side.BUY, kind=OrderType.LIMIT, price=100 * T))
    kernel = run_files([bars_file(ROWS)], buy)
    (filled,) = fills(kernel)
    bars = [e.bar for e in kernel.of_type(BarEvent)]
    assert filled.fill.ts_ns == bars[3].end_ns  # bar 1 only touched 100.00
    assert filled.fill.price_ticks == 100 * T
    assert filled.fill.liquidity == "maker"


def test_limit_through_at_the_open_fills_at_the_open(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    sell = on_bar(0, lambda k: k.order(Side.SELL, kind=OrderType.LIMIT, price=100 * T))
    (filled,) = fills(run_files([bars_file(ROWS)], sell))
    assert filled.fill.price_ticks == 101 * T  # a better price than asked: the open


def test_stop_gapped_through_fills_at_the_open_with_slippage(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    rows = [ROWS[0], (minute(1), 98.0, 99.0, 97.0, 98.5, 10), ROWS[2]]
    stop = on_bar(0, lambda k: k.order(Side.SELL, kind=OrderType.STOP, trigger=int(99.75 * T)))
    (filled,) = fills(run_files([bars_file(rows)], stop, slippage_ticks=1))
    assert filled.fill.price_ticks == 98 * T - 1  # the open (worse than 99.75), one tick worse


def test_stop_inside_the_bar_fills_at_the_trigger(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    stop = on_bar(0, lambda k: k.order(Side.BUY, kind=OrderType.STOP, trigger=int(101.75 * T)))
    kernel = run_files([bars_file(ROWS)], stop)
    (filled,) = fills(kernel)
    bars = [e.bar for e in kernel.of_type(BarEvent)]
    assert filled.fill.price_ticks == int(101.75 * T)
    assert filled.fill.ts_ns == bars[1].end_ns


def test_stop_and_target_in_one_bar_the_stop_fills_first(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    rows = [ROWS[0], (minute(1), 100.5, 103.0, 98.0, 100.0, 10), ROWS[2]]
    bracket = on_bar(
        0,
        lambda k: k.order(Side.SELL, kind=OrderType.STOP, trigger=99 * T),
        lambda k: k.order(Side.SELL, kind=OrderType.LIMIT, price=102 * T),
    )
    kernel = run_files([bars_file(rows)], bracket)
    stop, target = fills(kernel)
    assert stop.fill.price_ticks == 99 * T
    # the target (102.00) was reached in the same bar but did not fill there; left working
    # (nobody cancelled it), it trades at the next bar's open, 103.00
    assert target.fill.price_ticks == 103 * T


def test_end_of_data_market_order_fills_at_the_last_close(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    kernel = run_files([bars_file(ROWS)], on_bar(3, lambda k: k.order(Side.SELL)))
    (filled,) = fills(kernel)
    assert filled.fill.price_ticks == 100 * T  # no later bar: the last close
    assert kernel.closed


def test_finish_flatten_is_delivered_before_the_books_close(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    kernel = run_files([bars_file(ROWS)], finish=lambda k, _: [k.order(Side.SELL, 2)])
    (filled,) = fills(kernel)
    assert filled.fill.qty == 2 and filled.fill.price_ticks == 100 * T


def test_a_stop_placed_after_an_entry_fill_watches_the_bar_under_way(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    """Buy on bar 0's close (fills at bar 1's open, 101.00); the protective stop sent on that
    fill is held against bar 1's low (99.75 < 100.25) instead of waiting for bar 2."""
    rows = [ROWS[0], (minute(1), 101.0, 101.5, 99.75, 101.25, 10), ROWS[2]]

    def script(kernel: FakeKernel, event: Event) -> list[Command]:
        if isinstance(event, BarEvent) and "bought" not in kernel.flags:
            kernel.flags.add("bought")
            return [kernel.order(Side.BUY)]
        if isinstance(event, OrderFilled) and event.fill.side is Side.BUY:
            return [kernel.order(Side.SELL, kind=OrderType.STOP, trigger=int(100.25 * T))]
        return []

    kernel = run_files([bars_file(rows)], script)
    entry, stop = fills(kernel)
    bars = [e.bar for e in kernel.of_type(BarEvent)]
    assert entry.fill.price_ticks == 101 * T and entry.fill.ts_ns == bars[1].start_ns
    assert stop.fill.price_ticks == int(100.25 * T) and stop.fill.ts_ns == bars[1].end_ns


def test_a_limit_moved_during_a_bar_waits_for_the_next_bar(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    """A limit moved while a bar is under way does not fill on that bar's range (its path is
    unknown): moved at bar 2's close + 5 ms, inside bar 3, it may not use bar 3's low."""

    def script(kernel: FakeKernel, event: Event) -> list[Command]:
        bars = kernel.of_type(BarEvent)
        if isinstance(event, BarEvent) and len(bars) == 1:
            return [kernel.order(Side.BUY, kind=OrderType.LIMIT, price=90 * T)]
        if isinstance(event, BarEvent) and len(bars) == 3:
            return [ReplaceOrder("t-1", "MES", 1, int(100.5 * T))]
        return []

    kernel = run_files([bars_file(ROWS)], script, latency_ms=5)
    assert kernel.of_type(OrderReplaced) and not fills(kernel)  # bar 3 traded through, unused
