"""No look-ahead: nothing reaches the bot before its time, and a bar's close is unknown to the
bot (and to the venue's fills) until the bar has ended."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.model.commands import Command
from bot.model.events import BarEvent, Event, OrderFilled
from bot.model.side import Side
from tests.backtest.conftest import Runner, minute
from tests.backtest.fakes import FakeKernel

T = 4
# Bar 1 closes far above its open: a bot that could see bar 1's close during bar 1 would buy
# at bar 1's open (100); one that sees it only at its end buys at bar 2's open (120).
ROWS = [
    (minute(0), 100.0, 100.5, 99.5, 100.0, 10),
    (minute(1), 100.0, 120.0, 100.0, 119.0, 10),
    (minute(2), 120.0, 121.0, 118.0, 120.0, 10),
    (minute(3), 120.0, 121.0, 119.0, 120.5, 10),
]


def buy_on_breakout(kernel: FakeKernel, event: Event) -> list[Command]:
    """Buy once, on the first bar that closes 10 points above its open."""
    big = isinstance(event, BarEvent) and event.bar.close - event.bar.open >= 10 * T
    if big and "bought" not in kernel.flags:
        kernel.flags.add("bought")
        return [kernel.order(Side.BUY)]
    return []


def test_a_bar_is_seen_only_at_its_end_and_fills_only_later(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    kernel = run_files([bars_file(ROWS)], buy_on_breakout)
    bars = kernel.of_type(BarEvent)
    assert [e.ts_ns for e in bars] == [e.bar.end_ns for e in bars]
    (filled,) = kernel.of_type(OrderFilled)
    assert isinstance(filled, OrderFilled)
    assert filled.fill.price_ticks == 120 * T  # not 100: the breakout bar's close came at its end
    assert kernel.max_seen <= kernel.clock.now_ns()


def test_mid_bar_timers_never_see_the_bar_under_way(
    run_files: Runner, bars_file: Callable[..., Path], tmp_path: Path
) -> None:
    path = bars_file(ROWS)
    seen: list[tuple[int, str, int | None]] = []

    def script(kernel: FakeKernel, event: Event) -> list[Command]:
        if "armed" not in kernel.flags:
            kernel.flags.add("armed")
            for i in range(1, 4):  # halfway through bars 1..3
                start = bars_start(event) + i * 60_000_000_000
                kernel.timers.set("test", f"mid{i}", start + 30_000_000_000)
        seen[:] = kernel.timer_log
        return []

    def bars_start(event: Event) -> int:
        assert isinstance(event, BarEvent)
        return event.bar.start_ns

    kernel = run_files([path], script)
    assert [name for _, name, _ in kernel.timer_log] == ["mid1", "mid2", "mid3"]
    for now, _, last_end in kernel.timer_log:
        assert last_end is not None and last_end < now  # only bars that had already ended
        assert now - last_end == 30_000_000_000  # the bar in progress was not delivered


def test_every_event_is_stamped_no_later_than_the_clock_with_latency(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    # FakeKernel.handle asserts event.ts == clock and data time <= clock on every call
    kernel = run_files([bars_file(ROWS)], buy_on_breakout, latency_ms=250)
    assert kernel.events and kernel.max_seen <= kernel.clock.now_ns()
