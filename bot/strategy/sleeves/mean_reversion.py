"""Mean reversion on closed bars: how far the close is from a rolling mean (an EMA of closes, or
a rolling volume-weighted price over the last `mean_bars` bars), in units of that distance's own
volatility (the EWMA standard deviation of close - mean over `mean_bars` bars: a random walk
strays about sqrt(n/2) bar-sigmas from its n-bar mean, so bar-to-bar volatility would call
ordinary drift an extreme).

Enters against the move at the extreme (|z| >= `entry_z`), exits when the close is back at the
mean, is protected by a stop `stop_z` volatility units beyond the entry, and gives up after
`max_bars` bars (time stop).  No new entry while the tail hedge reports a shock (`regime`):
fading a crash is the trade that breaks accounts.  Flat at the cutoff.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.model.events import SessionEvent, SessionKind
from bot.model.market import Bar
from bot.strategy.base import EntrySleeve, SleeveContext


class MeanReversionParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    anchor: Literal["ema", "vwap"] = "ema"
    mean_bars: int = Field(20, ge=2, le=1000)
    entry_z: float = Field(2.0, gt=0.0, le=10.0)
    stop_z: float = Field(1.5, gt=0.0, le=10.0)
    max_bars: int = Field(12, ge=1, le=10_000)
    qty: int = Field(1, ge=1, le=50)
    stand_aside_in_shock: bool = True


class MeanReversionSleeve(EntrySleeve):
    kind = "mean_reversion"

    def __init__(self, name: str, symbols: tuple[str, ...], params: MeanReversionParams) -> None:
        super().__init__(name, symbols)
        self.p = params
        self._alpha = 2.0 / (params.mean_bars + 1)
        self._ema: float | None = None
        self._window: deque[tuple[float, int]] = deque(maxlen=params.mean_bars)  # (pv, volume)
        self._var = 0.0
        self._bars = 0
        self._held_bars = 0

    def mean(self) -> float | None:
        """The current anchor (EMA of closes or rolling VWAP), None before any bar."""
        if self.p.anchor == "ema" or not self._window:
            return self._ema
        volume = sum(v for _, v in self._window)
        if volume <= 0:
            return self._ema
        return sum(pv for pv, _ in self._window) / volume

    def sigma(self) -> float:
        """The volatility unit, in ticks: EWMA standard deviation of close - mean."""
        return math.sqrt(self._var)

    def _update(self, bar: Bar) -> None:
        close = bar.close
        a = self._alpha
        if self._ema is None:
            self._ema = float(close)
        self._ema += a * (close - self._ema)
        typical = (bar.high + bar.low + close) / 3.0
        self._window.append((typical * bar.volume, bar.volume))
        mean = self.mean()
        if mean is not None and self._bars:
            deviation = close - mean
            self._var += a * (deviation * deviation - self._var)
        self._bars += 1

    def on_bar(self, ctx: SleeveContext, bar: Bar) -> None:
        symbol = bar.symbol or self.symbols[0]
        # the entry is judged against the mean and volatility known before this bar (the bar's
        # own move must not widen the yardstick it is measured with); the exit against the
        # mean after it
        before, sigma, ready = self.mean(), self.sigma(), self._bars > self.p.mean_bars
        self._update(bar)
        close = bar.close
        held = ctx.position(symbol)
        if held:
            self._held_bars += 1
            mean = self.mean()
            back_at_mean = mean is not None and (close - mean) * held >= 0
            if back_at_mean or self._held_bars >= self.p.max_bars:
                ctx.target(symbol, 0)
            return
        self._held_bars = 0
        if before is None or not ready or sigma <= 0 or ctx.risk_state() != "ACTIVE":
            return
        if self.p.stand_aside_in_shock and ctx.signal("regime") == "shock":
            return
        z = (close - before) / sigma
        if abs(z) < self.p.entry_z:
            return
        side = -1 if z > 0 else 1
        stop = close - side * max(1, round(self.p.stop_z * sigma))
        ctx.target(symbol, side * self.p.qty, stop)

    def on_session(self, ctx: SleeveContext, event: SessionEvent) -> None:
        if event.kind in (SessionKind.CUTOFF, SessionKind.CLOSE):
            for symbol in self.symbols:
                ctx.target(symbol, 0)
