"""The issue's "done when": the four sleeves together on the real ES MBO day (as MES, through
the simulator's queue model), the bar sleeves on bars built from the day's prints, through the
real risk engine and account rules, without a rule breach: no daily loss limit, no maximum loss
limit, flat at the end, nothing traded at or after the day's flat-by cutoff.

The documented command is `topstep-quant backtest --data <ES MBO file>` (the built-in four)."""

from __future__ import annotations

from pathlib import Path

from bot.app.factory import build_kernel_from_config
from bot.backtest.market import MarketOptions, open_market
from bot.backtest.runner import Backtest
from bot.config import load_settings
from bot.model.clock import SimulatedClock
from bot.model.events import BarEvent, Event
from bot.model.ids import OrderIdFactory


class CountingBacktest(Backtest):
    """Counts the bars that reach the kernel (built from the replay's prints)."""

    bars = 0

    def deliver(self, event: Event) -> None:
        if isinstance(event, BarEvent):
            self.bars += 1
        super().deliver(event)


def test_the_four_sleeves_trade_the_real_es_day_without_a_rule_breach(es_mbo_path: Path) -> None:
    settings = load_settings()
    clock = SimulatedClock()
    kernel = build_kernel_from_config(settings, clock, None, None, OrderIdFactory("four"))
    backtest = CountingBacktest(kernel, clock)
    open_market(backtest, [es_mbo_path], MarketOptions(), kernel.instruments)
    backtest.run()

    assert sorted(s.name for s in kernel.sleeves) == ["hedge", "mm", "mr", "tf"]
    assert backtest.bars >= 30  # an hour of trading in 60 s bars reached the bar sleeves
    assert not kernel.switched_off  # no sleeve raised or ran past its own drawdown
    assert any(f.sleeve == "mm" for f in kernel.fills)  # the market maker did trade the book
    # the account rules: no DLL day, no halt, the MLL floor never reached
    assert kernel.days and not kernel.account.failed
    dll = kernel.risk.limits.rules.dll_cents
    for day in kernel.days:
        assert not day.dll_hit and not day.halted and day.low_cents > -dll
    assert kernel.account.balance_cents > kernel.account.floor_cents
    # flat at the end, and every fill before its trading day's cutoff
    assert all(p.qty == 0 for p in kernel.risk.positions.values())
    assert not kernel.execution.live_orders()
    for fill in kernel.fills:
        window = kernel.schedule.window(kernel.schedule.day_of_ns(fill.ts_ns))
        assert fill.ts_ns < window.cutoff_ns
