"""Closed time bars from the prints of a book replay (MBO or the synthetic market), so the bar
sleeves trade a book day as they do live, where `run` builds its bars from the trades
(`--bar-seconds`, 60 by default): same builder, a bar reaches the bot with the print that
closes it, never earlier."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from bot.book.bars import BarBuilder
from bot.model.events import BarEvent, Event, TradeEvent

DEFAULT_BAR_SECONDS = 60.0  # the live process's default (`run --bar-seconds`)


class TradeBars:
    """An event sink in front of another: passes every event on and, after a print that
    starts a new interval, the bar that print closed (stamped with the print's time)."""

    def __init__(self, sink: Callable[[Event], None], interval_ns: int) -> None:
        self.sink = sink
        self.interval_ns = interval_ns
        self.bars = 0
        self._builders: dict[str, BarBuilder] = {}

    def __call__(self, event: Event) -> None:
        self.sink(event)
        if not isinstance(event, TradeEvent):
            return
        trade = event.trade
        builder = self._builders.get(trade.symbol)
        if builder is None:
            builder = self._builders[trade.symbol] = BarBuilder(self.interval_ns)
        bar = builder.add(trade.ts_ns, trade.price_ticks, trade.size)
        if bar is not None:
            self.bars += 1
            bar = dataclasses.replace(bar, symbol=trade.symbol)
            self.sink(BarEvent(max(event.ts_ns, bar.end_ns), bar))
