"""Mean reversion on closed bars: distance from an EMA in units of the EMA of absolute deviation.
Enters at the extreme against the move, exits back at the mean, with a stop beyond the entry and
a time stop."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.model.events import SessionEvent, SessionKind
from bot.model.market import Bar
from bot.strategy.base import Sleeve, SleeveContext


class MeanReversionParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ema_bars: int = Field(20, ge=2, le=1000)
    entry_z: float = Field(2.0, gt=0.0, le=10.0)
    stop_z: float = Field(1.5, gt=0.0, le=10.0)
    max_bars: int = Field(12, ge=1, le=10_000)
    qty: int = Field(1, ge=1, le=50)


class MeanReversionSleeve(Sleeve):
    kind = "mean_reversion"

    def __init__(self, name: str, symbols: tuple[str, ...], params: MeanReversionParams) -> None:
        super().__init__(name, symbols)
        self.p = params
        self._alpha = 2.0 / (params.ema_bars + 1)
        self._ema: float | None = None
        self._dev = 0.0
        self._bars = 0
        self._held_bars = 0

    def on_bar(self, ctx: SleeveContext, bar: Bar) -> None:
        symbol = bar.symbol or self.symbols[0]
        close = bar.close
        if self._ema is None:
            self._ema = float(close)
        a = self._alpha
        self._dev += a * (abs(close - self._ema) - self._dev)
        self._ema += a * (close - self._ema)
        self._bars += 1
        held = ctx.position(symbol)
        if held:
            self._held_bars += 1
            back_at_mean = (close - self._ema) * held >= 0
            if back_at_mean or self._held_bars >= self.p.max_bars:
                ctx.target(symbol, 0)
            return
        self._held_bars = 0
        if self._bars < self.p.ema_bars or self._dev <= 0 or ctx.risk_state() != "ACTIVE":
            return
        z = (close - self._ema) / self._dev
        if abs(z) < self.p.entry_z:
            return
        side = -1 if z > 0 else 1
        stop = close - side * max(1, round(self.p.stop_z * self._dev))
        ctx.target(symbol, side * self.p.qty, stop)

    def on_session(self, ctx: SleeveContext, event: SessionEvent) -> None:
        if event.kind in (SessionKind.CUTOFF, SessionKind.CLOSE):
            for symbol in self.symbols:
                ctx.target(symbol, 0)
