"""The loop itself: commands reach the venue after the latency, timers fire between data, and a
kernel whose timer never clears is stopped rather than spun on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.backtest.market import MarketOptions, open_market
from bot.backtest.runner import Backtest, LoopError
from bot.instruments.specs import instrument_table
from bot.marketdata.errors import MarketDataError
from bot.model.clock import SimulatedClock
from bot.model.commands import Command
from bot.model.events import Event, OrderRejected
from bot.model.side import Side
from tests.backtest.conftest import Runner, minute
from tests.backtest.fakes import FakeKernel

ROWS = [(minute(i), 100.0, 101.0, 99.0, 100.5, 10) for i in range(4)]


class StuckKernel(FakeKernel):
    def next_timer_ns(self) -> int | None:
        return 1  # always due, never cleared

    def fire_timers(self, now_ns: int) -> list[Command]:
        return []


def test_a_timer_that_never_clears_is_an_error(bars_file: Callable[..., Path]) -> None:
    clock = SimulatedClock()
    backtest = Backtest(StuckKernel(clock), clock)
    open_market(backtest, [bars_file(ROWS)], MarketOptions(), instrument_table())
    with pytest.raises(LoopError, match="fires without end"):
        backtest.run()


def test_timers_fire_in_time_between_bars(bars_file: Callable[..., Path]) -> None:
    clock = SimulatedClock()
    kernel = FakeKernel(clock)
    backtest = Backtest(kernel, clock)
    open_market(backtest, [bars_file(ROWS)], MarketOptions(), instrument_table())
    assert backtest.has_data
    first = backtest.feeds[0].next_ts
    kernel.timers.set("t", "a", first + 90_000_000_000)  # 14:01:30, inside bar 1
    kernel.timers.set("t", "b", first + 10**15)  # after the data: never fires
    stats = backtest.run()
    assert kernel.timer_log == [(first + 90_000_000_000, "a", first + 60_000_000_000)]
    assert stats.events == 4 and stats.records == 4 and kernel.closed


def test_an_order_for_an_instrument_without_data_is_refused(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    def script(kernel: FakeKernel, event: Event) -> list[Command]:
        if "sent" in kernel.flags:
            return []
        kernel.flags.add("sent")
        return [kernel.order(Side.BUY, symbol="MNQ")]

    kernel = run_files([bars_file(ROWS)], script)
    (refused,) = kernel.of_type(OrderRejected)
    assert "MNQ" in refused.reason


def test_one_data_file_per_instrument(bars_file: Callable[..., Path]) -> None:
    clock = SimulatedClock()
    backtest = Backtest(FakeKernel(clock), clock)
    first, second = bars_file(ROWS, name="a.csv"), bars_file(ROWS, name="b.csv")
    with pytest.raises(MarketDataError, match=r"b\.csv: a second data file for MES"):
        open_market(backtest, [first, second], MarketOptions(), instrument_table())
