"""The top-of-book venue (MBP-1 data): our orders against the best bid/offer and the trade prints,
with no queue to stand in (the L2 fill model).

Our orders do not change the recorded market (no impact).  The rules:

- Market order: fills in full at the opposite touch on arrival (plus slippage); with no
  opposite touch it is cancelled ("no_liquidity").  Size at the touch is not consumed.
- Limit order: marketable on arrival (buy price >= offer) fills at the touch, as a taker.
  Resting, it fills at its own price, as a maker, once the opposite touch reaches it (offer at
  or below a buy price: every real bid at our price has gone) or a trade prints *through* it
  (below a buy price).  A print *at* our price is not a fill: our place in the queue is unknown.
- Stop: refused at or through the last trade (as the simulator does); triggered by a print at
  or through the trigger, then fills at the worse of trigger and opposite touch (plus
  slippage).  A triggered stop-limit becomes a limit and follows the limit rules.
- In one update, stops are handled before limits.
"""

from __future__ import annotations

from bot.backtest.own_orders import OwnOrderVenue, Working
from bot.model.events import OrderRejected
from bot.model.fills import Liquidity
from bot.model.orders import OrderType
from bot.model.side import Side


class QuoteVenueClient(OwnOrderVenue):
    """An `ExecutionClient` over top-of-book data; the MBP-1 feed calls `update` per event."""

    name = "l2"

    def _opposite(self, working: Working) -> int | None:
        bid, ask = self.touch[working.order.symbol]
        return ask if working.side is Side.BUY else bid

    def _arrived(self, working: Working, now_ns: int) -> None:
        working.active = True
        if not working.triggered:
            last = self.last_price.get(working.order.symbol)
            if last is not None and working.stop_reached(last):
                order = working.order
                self._take(order.symbol, order.order_id)
                reason = "stop price is at or through the last trade"
                self.sink(OrderRejected(now_ns + self.delay_ns, order.order_id, reason))
            return
        self._try_take(working, now_ns)

    def _try_take(self, working: Working, now_ns: int) -> None:
        """Trade a market order, or a limit that crosses the touch, against the touch."""
        touch = self._opposite(working)
        if working.type is OrderType.MARKET or working.type is OrderType.STOP:
            if touch is None:
                self.cancel_unfilled(working, now_ns, "no_liquidity")
            else:
                self.fill(
                    working, self.slippage.worse(working.side, touch), now_ns, Liquidity.TAKER
                )
        elif touch is not None and (touch == working.price or working.limit_fills_at(touch)):
            self.fill(working, touch, now_ns, Liquidity.TAKER)

    def update(
        self,
        symbol: str,
        bid: int | None,
        ask: int | None,
        trades: list[int],
        now_ns: int,
    ) -> None:
        """The touch after one exchange event and the prices printed during it."""
        self.touch[symbol] = (bid, ask)
        if trades:
            self.last_price[symbol] = trades[-1]
        book = self.working[symbol]
        if not book:
            return
        for w in list(book.values()):
            if w.triggered or not trades:
                continue
            if any(w.stop_reached(p) for p in trades):
                w.triggered = True
                if w.trigger is None:
                    raise RuntimeError("invariant broken: w.trigger is None")
                if w.type is OrderType.STOP:
                    touch = self._opposite(w)
                    price = w.trigger
                    if touch is not None:  # the worse of trigger and touch
                        price = max(price, touch) if w.side is Side.BUY else min(price, touch)
                    self.fill(w, self.slippage.worse(w.side, price), now_ns, Liquidity.TAKER)
                else:
                    self._try_take(w, now_ns)
        for w in list(book.values()):
            if not w.triggered or w.price is None:
                continue
            touch = self._opposite(w)
            reached = touch is not None and (touch == w.price or w.limit_fills_at(touch))
            if reached or any(w.limit_fills_at(p) for p in trades):
                self.fill(w, w.price, now_ns, Liquidity.MAKER)
