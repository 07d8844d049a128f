"""Trend following on closed bars: a breakout, confirmed by momentum, protected by an ATR stop
that only trails in the trade's favour.  Flat by the cutoff (the session callback).

Two breakouts (`mode`):
- `donchian`: the close beyond the highest high / lowest low of the previous `channel_bars`
  bars (the channel runs across days: bars of yesterday count);
- `opening_range`: the close beyond the high / low of the day's first `range_bars` bars, at
  most one entry per day.
The momentum filter asks the close to be above (long) or below (short) the close
`momentum_bars` bars earlier.  The stop starts `atr_stop` ATRs from the entry's close and is
moved only towards the market.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.model.events import SessionEvent, SessionKind
from bot.model.market import Bar
from bot.strategy.base import EntrySleeve, SleeveContext


class TrendParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["donchian", "opening_range"] = "donchian"
    channel_bars: int = Field(20, ge=2, le=500)
    range_bars: int = Field(1, ge=1, le=50)
    atr_bars: int = Field(14, ge=2, le=500)
    atr_stop: float = Field(2.0, gt=0.0, le=20.0)
    momentum_bars: int = Field(10, ge=1, le=500)
    qty: int = Field(1, ge=1, le=50)


class TrendSleeve(EntrySleeve):
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
        # the opening range of the day in progress
        self._day_bars = 0
        self._range: tuple[int, int] | None = None  # (high, low)
        self._traded_today = False

    @property
    def atr(self) -> float:
        return self._atr

    def _levels(self) -> tuple[int, int] | None:
        """The (high, low) this bar's close must break, from the bars before it; None: not
        ready (too few bars, the opening range not complete, or today's breakout taken)."""
        p = self.p
        if len(self._closes) < p.momentum_bars + 1:
            return None
        if p.mode == "donchian":
            if len(self._highs) < p.channel_bars:
                return None
            return max(self._highs), min(self._lows)
        if self._day_bars < p.range_bars or self._traded_today:
            return None
        return self._range

    def _update(self, bar: Bar) -> None:
        prev = self._prev_close
        true_range = (
            bar.high - bar.low if prev is None else max(bar.high, prev) - min(bar.low, prev)
        )
        self._bars += 1
        self._atr += (true_range - self._atr) / min(self._bars, self.p.atr_bars)
        self._highs.append(bar.high)
        self._lows.append(bar.low)
        self._closes.append(bar.close)
        self._prev_close = bar.close
        self._day_bars += 1
        if self._day_bars <= self.p.range_bars:
            hi, lo = self._range or (bar.high, bar.low)
            self._range = (max(hi, bar.high), min(lo, bar.low))

    def on_bar(self, ctx: SleeveContext, bar: Bar) -> None:
        symbol = bar.symbol or self.symbols[0]
        p = self.p
        momentum = bar.close - self._closes[0] if self._closes else 0
        levels = self._levels()
        self._update(bar)
        distance = max(1, round(p.atr_stop * self._atr))
        held = ctx.position(symbol)
        if held == 0:
            self._stop = None
            if levels is None or ctx.risk_state() != "ACTIVE":
                return
            high, low = levels
            if bar.close > high and momentum > 0:
                self._enter(ctx, symbol, 1, bar.close - distance)
            elif bar.close < low and momentum < 0:
                self._enter(ctx, symbol, -1, bar.close + distance)
            return
        sign = 1 if held > 0 else -1
        trailed = bar.close - sign * distance
        if self._stop is None or (trailed - self._stop) * sign > 0:
            self._stop = trailed
            ctx.target(symbol, held, self._stop)

    def _enter(self, ctx: SleeveContext, symbol: str, side: int, stop: int) -> None:
        self._stop = stop
        self._traded_today = True
        ctx.target(symbol, side * self.p.qty, stop)

    def on_session(self, ctx: SleeveContext, event: SessionEvent) -> None:
        if event.kind == SessionKind.NEW_DAY:
            self._day_bars = 0
            self._range = None
            self._traded_today = False
        if event.kind in (SessionKind.CUTOFF, SessionKind.CLOSE):
            for symbol in self.symbols:
                ctx.target(symbol, 0)
