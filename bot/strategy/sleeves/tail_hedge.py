"""Tail hedge: a volatility-regime detector (short vs long EWMA of squared bar returns, and
gaps).  In a shock it trades with the move, protected by a stop; it stands down when the regime
normalises.  Its regime is readable as `regime` for reports."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from bot.model.events import SessionEvent, SessionKind
from bot.model.market import Bar
from bot.strategy.base import Sleeve, SleeveContext


class TailHedgeParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fast_bars: int = Field(5, ge=1, le=500)
    slow_bars: int = Field(100, ge=2, le=5000)
    shock_ratio: float = Field(2.5, gt=1.0, le=50.0)
    calm_ratio: float = Field(1.3, gt=0.0, le=50.0)
    gap_sigmas: float = Field(4.0, gt=0.0, le=50.0)
    stop_sigmas: float = Field(3.0, gt=0.0, le=50.0)
    qty: int = Field(1, ge=1, le=50)


class TailHedgeSleeve(Sleeve):
    kind = "tail_hedge"

    def __init__(self, name: str, symbols: tuple[str, ...], params: TailHedgeParams) -> None:
        super().__init__(name, symbols)
        self.p = params
        self._fast = 0.0
        self._slow = 0.0
        self._bars = 0
        self._prev: int | None = None
        self.regime = "calm"

    def on_bar(self, ctx: SleeveContext, bar: Bar) -> None:
        symbol = bar.symbol or self.symbols[0]
        prev, self._prev = self._prev, bar.close
        if prev is None:
            return
        move = bar.close - prev
        gap = bar.open - prev
        sq = float(move * move)
        self._bars += 1
        if self._bars == 1:
            self._fast = self._slow = sq
        self._fast += (sq - self._fast) / min(self._bars, self.p.fast_bars)
        self._slow += (sq - self._slow) / min(self._bars, self.p.slow_bars)
        if self._bars < self.p.slow_bars or self._slow <= 0:
            return
        sigma = math.sqrt(self._slow)
        ratio = math.sqrt(self._fast / self._slow)
        if self.regime == "calm":
            if (ratio >= self.p.shock_ratio or abs(gap) >= self.p.gap_sigmas * sigma) and move:
                self.regime = "shock"
                ctx.log("regime shock", ratio=round(ratio, 2))
                if ctx.risk_state() == "ACTIVE":
                    side = 1 if move > 0 else -1
                    stop = bar.close - side * max(1, round(self.p.stop_sigmas * sigma))
                    ctx.target(symbol, side * self.p.qty, stop)
        elif ratio <= self.p.calm_ratio:
            self.regime = "calm"
            ctx.log("regime calm", ratio=round(ratio, 2))
            ctx.target(symbol, 0)

    def on_session(self, ctx: SleeveContext, event: SessionEvent) -> None:
        if event.kind in (SessionKind.CUTOFF, SessionKind.CLOSE):
            for symbol in self.symbols:
                ctx.target(symbol, 0)
