"""The backtest's fast paths (work skipped when nothing can change) change nothing: the same
run with every fast path off (the reference) sends the same commands and writes the same
files, byte for byte."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.app.factory import build_kernel_from_config, core_parts
from bot.backtest.market import MarketOptions, open_market
from bot.backtest.output import daily_csv, fills_csv, summary
from bot.backtest.runner import Backtest, build_result
from bot.config import load_settings
from bot.engine.kernel import TradingKernel
from bot.model.clock import SimulatedClock
from bot.model.commands import Command
from bot.model.ids import OrderIdFactory
from bot.rules.profiles import rules_from_settings

SPY_HOUR = "spy/spy_hour_1998_2021.zip"


def reference(kernel: TradingKernel) -> None:
    """Every fast path off: each event takes the full path."""
    kernel.fast_paths = False
    kernel.risk.fast_paths = False
    kernel.execution.config = replace(kernel.execution.config, skip_settled=False)


def run(
    paths: list[Path], options: MarketOptions, sleeves: list[str] | None, fast: bool
) -> dict[str, str]:
    settings = load_settings()
    clock = SimulatedClock()
    kernel = build_kernel_from_config(settings, clock, None, sleeves, OrderIdFactory("bt1"))
    if not fast:
        reference(kernel)
    backtest = Backtest(kernel, clock)
    files = open_market(backtest, paths, options, core_parts(settings).instruments)
    sent: list[tuple[int, Command]] = []
    send = backtest._send

    def recording(commands: list[Command], now_ns: int) -> None:
        sent.extend((now_ns, c) for c in commands)
        send(commands, now_ns)

    backtest._send = recording  # type: ignore[method-assign]
    stats = backtest.run()
    result = build_result(kernel, stats, [s.name for s in kernel.sleeves], files, 1)
    document = summary(result, rules_from_settings(settings), timing=False)
    counters = (kernel.orders_sent, kernel.refusals, kernel.risk_event_counts, stats.events,
                stats.timer_calls, stats.commands, kernel.switched_off)  # fmt: skip
    return {
        "commands": repr(sent),
        "daily_pnl.csv": daily_csv(result),
        "fills.csv": fills_csv(result),
        "summary.json": json.dumps(document, sort_keys=True),
        "counters": repr(counters),
    }


def assert_same(paths: list[Path], options: MarketOptions, sleeves: list[str] | None) -> None:
    fast = run(paths, options, sleeves, fast=True)
    full = run(paths, options, sleeves, fast=False)
    assert fast.keys() == full.keys()
    for name in fast:
        assert fast[name] == full[name], name
    assert fast["fills.csv"].count("\n") > 3  # the runs traded


def test_spy_hourly_bars_fast_and_reference_agree(market_file: Callable[[str], Path]) -> None:
    options = MarketOptions(from_day=date(2019, 10, 1), to_day=date(2020, 6, 30))
    assert_same([market_file(SPY_HOUR)], options, ["mr", "tf", "hedge"])


@pytest.mark.parametrize("seed", [3, 4])
def test_synthetic_market_all_sleeves_fast_and_reference_agree(seed: int) -> None:
    options = MarketOptions(synthetic_days=1, synthetic_events_per_s=2.0, seed=seed)
    assert_same([], options, None)
