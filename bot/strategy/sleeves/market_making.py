"""Market making on the L2 book: quotes at the touch (skewed away from inventory), with a hard
inventory cap.  Pulls its quotes on a crossed or one-sided book, a strong imbalance against a
side, a risk state other than ACTIVE, and at the cutoff.  Each fill is protected by a stop."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.book.l2 import PriceBook
from bot.model.events import RiskStateChanged, SessionEvent, SessionKind
from bot.strategy.base import Sleeve, SleeveContext
from bot.strategy.intents import QuoteSide


class MarketMakingParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    qty: int = Field(1, ge=1, le=10)
    max_inventory: int = Field(2, ge=1, le=20)
    stop_ticks: int = Field(8, ge=1, le=200)
    max_spread_ticks: int = Field(4, ge=1, le=100)
    imbalance_pull: float = Field(0.8, gt=0.5, le=1.0)


class MarketMakingSleeve(Sleeve):
    kind = "market_making"

    def __init__(self, name: str, symbols: tuple[str, ...], params: MarketMakingParams) -> None:
        super().__init__(name, symbols)
        self.p = params
        self._last: dict[str, tuple[QuoteSide | None, QuoteSide | None]] = {}
        self._halted = False

    def on_book(self, ctx: SleeveContext, symbol: str, book: PriceBook) -> None:
        bid = book.best(0)
        ask = book.best(1)
        if self._halted or bid is None or ask is None or bid.price >= ask.price:
            self._send(ctx, symbol, None, None)
            return
        if ask.price - bid.price > self.p.max_spread_ticks or ctx.risk_state() != "ACTIVE":
            self._send(ctx, symbol, None, None)
            return
        held = ctx.position(symbol)
        imbalance = bid.size / (bid.size + ask.size)
        want_bid = held < self.p.max_inventory and imbalance > 1 - self.p.imbalance_pull
        want_ask = held > -self.p.max_inventory and imbalance < self.p.imbalance_pull
        qb = QuoteSide(bid.price, self.p.qty) if want_bid else None
        qa = QuoteSide(ask.price, self.p.qty) if want_ask else None
        self._send(ctx, symbol, qb, qa)

    def _send(
        self, ctx: SleeveContext, symbol: str, bid: QuoteSide | None, ask: QuoteSide | None
    ) -> None:
        if self._last.get(symbol) == (bid, ask):
            return
        self._last[symbol] = (bid, ask)
        ctx.quote(symbol, bid, ask, self.p.stop_ticks)

    def on_session(self, ctx: SleeveContext, event: SessionEvent) -> None:
        self._halted = event.kind in (SessionKind.CUTOFF, SessionKind.CLOSE)
        if self._halted:
            for symbol in self.symbols:
                self._send(ctx, symbol, None, None)
                ctx.target(symbol, 0)

    def on_risk_state(self, ctx: SleeveContext, event: RiskStateChanged) -> None:
        if event.state != "ACTIVE":
            for symbol in self.symbols:
                self._send(ctx, symbol, None, None)
