"""An exit whose bounded IOC finds nothing within its price (the mark is a stale print, the
synthetic book gapped away: seed 7 has one) waits before the same order goes again: the bot
never sends a burst of identical orders at one instant (it sent thousands, and spun)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from bot.app.factory import build_kernel_from_config
from bot.backtest.market import MarketOptions, open_market
from bot.backtest.runner import Backtest
from bot.config import load_settings
from bot.model.clock import SimulatedClock
from bot.model.ids import OrderIdFactory


def test_an_unfilled_exit_ioc_is_not_resent_in_a_burst() -> None:
    clock = SimulatedClock()
    sent: Counter[int] = Counter()  # exit orders sent, by the instant they were sent

    def sink(source: str, message: str, fields: Mapping[str, Any]) -> None:
        if message == "execution.submit" and fields.get("purpose") == "exit":
            sent[clock.now_ns()] += 1

    settings = load_settings()
    kernel = build_kernel_from_config(
        settings, clock, None, ["mm"], OrderIdFactory("x"), log_sink=sink
    )
    backtest = Backtest(kernel, clock)
    open_market(backtest, [], MarketOptions(synthetic_days=1, seed=7), kernel.instruments)
    backtest.run()
    assert sent, "the market maker exited at least once"
    assert max(sent.values()) == 1  # before the fix: 2,800+ at one instant
    assert all(p.qty == 0 for p in kernel.risk.positions.values())
