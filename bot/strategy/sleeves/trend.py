"""Trend following on closed bars: a Donchian breakout with a momentum filter, protected by an
ATR stop that only trails in the trade's favour.  Flat by the cutoff (the session callback)."""

from __future__ import annotations

from collections import deque

from pydantic import BaseModel, ConfigDict, Field

from bot.model.events import SessionEvent, SessionKind
from bot.model.market import Bar
from bot.strategy.base import Sleeve, SleeveContext


class TrendParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    channel_bars: int = Field(20, ge=2, le=500)
    atr_bars: int = Field(14, ge=2, le=500)
    atr_stop: float = Field(2.0, gt=0.0, le=20.0)
    momentum_bars: int = Field(10, ge=1, le=500)
    qty: int = Field(1, ge=1, le=50)


class TrendSleeve(Sleeve):
    kind = "trend"

    def __init__(self, name: str, symbols: tuple[str, ...], params: TrendParams) -> None:
        super().__init__(name, symbols)
        self.p = params
        self._highs: deque[int] = deque(maxlen=params.channel_bars)
        self._lows: deque[int] = deque(maxlen=params.channel_bars)
        self._closes: deque[int] = deque(maxlen=params.momentum_bars + 1)
        self._atr = 0.0
        self._bars = 0
        self._prev_close: int | None = None
        self._stop: int | None = None

    def on_bar(self, ctx: SleeveContext, bar: Bar) -> None:
        symbol = bar.symbol or self.symbols[0]
        p = self.p
        prev = self._prev_close
        true_range = (
            bar.high - bar.low if prev is None else max(bar.high, prev) - min(bar.low, prev)
        )
        self._bars += 1
        n = min(self._bars, p.atr_bars)
        self._atr += (true_range - self._atr) / n
        ready = len(self._highs) == p.channel_bars and len(self._closes) == p.momentum_bars + 1
        channel_high = max(self._highs) if self._highs else bar.high
        channel_low = min(self._lows) if self._lows else bar.low
        momentum = bar.close - self._closes[0] if self._closes else 0
        self._highs.append(bar.high)
        self._lows.append(bar.low)
        self._closes.append(bar.close)
        self._prev_close = bar.close
        distance = max(1, round(p.atr_stop * self._atr))
        held = ctx.position(symbol)
        if held == 0:
            self._stop = None
            if not ready or ctx.risk_state() != "ACTIVE":
                return
            if bar.close > channel_high and momentum > 0:
                self._stop = bar.close - distance
                ctx.target(symbol, p.qty, self._stop)
            elif bar.close < channel_low and momentum < 0:
                self._stop = bar.close + distance
                ctx.target(symbol, -p.qty, self._stop)
            return
        sign = 1 if held > 0 else -1
        trailed = bar.close - sign * distance
        if self._stop is None or (trailed - self._stop) * sign > 0:
            self._stop = trailed
            ctx.target(symbol, held, self._stop)

    def on_session(self, ctx: SleeveContext, event: SessionEvent) -> None:
        if event.kind in (SessionKind.CUTOFF, SessionKind.CLOSE):
            for symbol in self.symbols:
                ctx.target(symbol, 0)
