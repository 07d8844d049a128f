"""Tail hedge: a volatility-regime detector that publishes its regime and, in a shock, hedges.

The regime (published as signal `regime`, "calm" or "shock"; the market maker and mean
reversion stand aside in a shock) turns to shock when, on a closed bar,
- short-run realised volatility (EWMA of squared close-to-close changes over `fast_bars`) is
  `shock_ratio` times the long-run one (over `slow_bars`), or
- the bar opened with a gap of `gap_sigmas` long-run sigmas from the previous close, or
- the bar's range blew out to `range_ratio` times the average range (on bar data this is where
  a spread blow-out shows), or the L2 spread (when a book is available) is `spread_ticks` wide;
and back to calm when the short-run volatility falls to `calm_ratio` times the long-run one
(and the spread is normal again).

In a shock (`mode`): `offset` holds minus `hedge_ratio` x the other sleeves' net position
(read through `account_position`, the account's net over every sleeve, minus its own), `with_move`
trades `qty` in the direction of the shock bar, `both` offsets when the others hold something
and trades with the move otherwise.  Every position has a stop `stop_sigmas` away; flat at calm
and at the cutoff.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.book.l2 import PriceBook
from bot.model.events import SessionEvent, SessionKind
from bot.model.market import Bar
from bot.strategy.base import Sleeve, SleeveContext

CALM, SHOCK = "calm", "shock"
REGIME = "regime"


class TailHedgeParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["offset", "with_move", "both"] = "both"
    fast_bars: int = Field(5, ge=1, le=500)
    slow_bars: int = Field(100, ge=2, le=5000)
    shock_ratio: float = Field(2.5, gt=1.0, le=50.0)
    calm_ratio: float = Field(1.3, gt=0.0, le=50.0)
    gap_sigmas: float = Field(4.0, gt=0.0, le=50.0)
    range_ratio: float = Field(4.0, gt=1.0, le=100.0)
    spread_ticks: int = Field(8, ge=2, le=1000)
    stop_sigmas: float = Field(3.0, gt=0.0, le=50.0)
    hedge_ratio: float = Field(1.0, gt=0.0, le=2.0)
    qty: int = Field(1, ge=1, le=50)


class TailHedgeSleeve(Sleeve):
    kind = "tail_hedge"

    def __init__(self, name: str, symbols: tuple[str, ...], params: TailHedgeParams) -> None:
        super().__init__(name, symbols)
        self.p = params
        self._fast = 0.0
        self._slow = 0.0
        self._range = 0.0
        self._bars = 0
        self._prev: int | None = None
        self._wide_spread = False
        self._direction = 0  # sign of the move that started the shock
        self.regime = CALM

    def on_start(self, ctx: SleeveContext) -> None:
        ctx.publish(REGIME, CALM)

    # ---- the detector ----------------------------------------------------------------------

    def _observe(self, bar: Bar) -> tuple[float, float, bool]:
        """Update the volatility estimates; (sigma, fast/slow ratio, shock trigger on this bar).
        Triggers are judged against the estimates before this bar."""
        prev, self._prev = self._prev, bar.close
        bar_range = float(bar.high - bar.low)
        if prev is None:
            self._range = bar_range
            return 0.0, 1.0, False
        move = float(bar.close - prev)
        gap = float(bar.open - prev)
        sigma_before = math.sqrt(self._slow)
        range_before = self._range
        sq = move * move
        self._bars += 1
        if self._bars == 1:
            self._fast = self._slow = sq
        self._fast += (sq - self._fast) / min(self._bars, self.p.fast_bars)
        self._slow += (sq - self._slow) / min(self._bars, self.p.slow_bars)
        self._range += (bar_range - self._range) / min(self._bars, self.p.slow_bars)
        if self._bars < self.p.slow_bars or self._slow <= 0:
            return 0.0, 1.0, False
        ratio = math.sqrt(self._fast / self._slow)
        trigger = (
            ratio >= self.p.shock_ratio
            or (sigma_before > 0 and abs(gap) >= self.p.gap_sigmas * sigma_before)
            or (range_before > 0 and bar_range >= self.p.range_ratio * range_before)
        )
        return math.sqrt(self._slow), ratio, trigger

    def on_bar(self, ctx: SleeveContext, bar: Bar) -> None:
        symbol = bar.symbol or self.symbols[0]
        before = self._prev
        sigma, ratio, trigger = self._observe(bar)
        if sigma <= 0:
            return
        if self.regime == CALM:
            if not (trigger or self._wide_spread) or before is None:
                return
            self._direction = 1 if bar.close >= before else -1
            self._set_regime(ctx, SHOCK, ratio=round(ratio, 2))
        elif ratio <= self.p.calm_ratio and not self._wide_spread:
            self._set_regime(ctx, CALM, ratio=round(ratio, 2))
            ctx.target(symbol, 0)
            return
        self._hedge(ctx, symbol, bar.close, sigma)

    def on_book(self, ctx: SleeveContext, symbol: str, book: PriceBook) -> None:
        bid, ask = book.best_price(0), book.best_price(1)
        wide = bid is not None and ask is not None and ask - bid >= self.p.spread_ticks
        if wide == self._wide_spread:
            return
        self._wide_spread = wide
        if wide and self.regime == CALM:
            self._direction = 0
            self._set_regime(ctx, SHOCK, spread_ticks=(ask or 0) - (bid or 0))

    def _set_regime(self, ctx: SleeveContext, regime: str, **why: float) -> None:
        self.regime = regime
        ctx.publish(REGIME, regime)
        ctx.log(f"regime {regime}", **why)

    # ---- the hedge -------------------------------------------------------------------------

    def wanted(self, ctx: SleeveContext, symbol: str) -> int:
        """The position the hedge wants in a shock."""
        p = self.p
        own = ctx.position(symbol)
        others = ctx.account_position(symbol) - own
        offset = -round(others * p.hedge_ratio)
        if p.mode == "offset" or (p.mode == "both" and others):
            return offset
        return self._direction * p.qty

    def _hedge(self, ctx: SleeveContext, symbol: str, price: int, sigma: float) -> None:
        if ctx.risk_state() != "ACTIVE" and ctx.position(symbol) == 0:
            return
        want = self.wanted(ctx, symbol)
        if want == ctx.position(symbol):
            return  # already there: its stop stays where it was approved
        side = 1 if want > 0 else -1
        stop = price - side * max(1, round(self.p.stop_sigmas * sigma)) if want else None
        ctx.target(symbol, want, stop)

    def on_session(self, ctx: SleeveContext, event: SessionEvent) -> None:
        if event.kind in (SessionKind.CUTOFF, SessionKind.CLOSE):
            for symbol in self.symbols:
                ctx.target(symbol, 0)
