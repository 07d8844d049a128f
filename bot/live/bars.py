"""Closed time bars from the live trade prints, per symbol, on the kernel's clock (the bar
sleeves see the same `BarEvent`s as in a backtest on bars)."""

from __future__ import annotations

import dataclasses

from bot.book.bars import BarBuilder as _Builder
from bot.model.events import BarEvent
from bot.model.market import TradeTick


class BarBuilder:
    def __init__(self, interval_ns: int) -> None:
        self.interval_ns = interval_ns
        self._by_symbol: dict[str, _Builder] = {}

    def on_trade(self, trade: TradeTick) -> list[BarEvent]:
        builder = self._by_symbol.get(trade.symbol)
        if builder is None:
            builder = self._by_symbol[trade.symbol] = _Builder(self.interval_ns)
        bar = builder.add(trade.ts_ns, trade.price_ticks, trade.size)
        if bar is None:
            return []
        bar = dataclasses.replace(bar, symbol=trade.symbol)
        return [BarEvent(max(trade.ts_ns, bar.end_ns), bar)]
