"""The bar venue: fills our orders from OHLC bars without ever using a price the bot could not
have traded at after deciding.

A bar carries no path, so the rules are conservative and documented:

- Market and limit orders take part only from the first bar that *starts* at or after their
  arrival at the venue (decision time + latency); a replaced order counts as arriving again.
  An order decided on a bar's close therefore trades at a later price than that close.
- A stop arriving while a bar is under way (a protective stop placed after an entry filled at
  the open) is held against that bar's high and low too: the adverse extreme is assumed to come
  after it.  Waiting for the next bar would let a bar that ran through the stop and came back
  keep the position.
- At a bar's open: market orders fill at the open (plus slippage); a limit the open trades
  through fills at the open; a stop the open has gapped through fills at the open (plus
  slippage): the worse of trigger and open, so gaps are honoured.
- During the bar (reported at its end): a stop whose trigger the high/low reached fills at the
  trigger (plus slippage); a limit fills at its price only if the bar traded *through* it
  (low < buy price, high > sell price): a touch is not a fill.
- A stop and a same-side limit (a bracket's stop and target) both reached in one bar: the stop
  fills and the limit does not in that bar (the adverse path is assumed).
- A triggered stop-limit becomes a limit from the next bar.  No partial fills, no volume cap.
- At the end of the data, market orders still waiting fill at the last close (plus slippage):
  there is no later price, and the end-of-data flatten must complete.
- The same at the end of a session: a market order (or a marketable IOC limit) that arrives
  after the session's last bar, when the next bar belongs to a later trading day, fills at that
  last close (plus slippage) instead of at the next day's open.  Bar data stops at the bar
  boundary (SPY's last hourly bar ends at 15:00 CT, the bot's cutoff), while the futures trade
  on to the close: without this, the cutoff's flatten would hold the position overnight.
- IOC limits take part at the first open only: not filled there, they are cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.backtest.models import FeeModel, SlippageModel
from bot.backtest.own_orders import OwnOrderVenue, Working
from bot.execution.client import EventSink
from bot.model.fills import Liquidity
from bot.model.market import Bar
from bot.model.orders import OrderType, TimeInForce
from bot.model.side import Side

MARKET, LIMIT, STOP, STOP_LIMIT = (
    OrderType.MARKET,
    OrderType.LIMIT,
    OrderType.STOP,
    OrderType.STOP_LIMIT,
)


class BarVenueClient(OwnOrderVenue):
    """An `ExecutionClient` over bar data; the bar feed calls `bar_open` and `bar_close`."""

    name = "bars"

    def __init__(
        self,
        sink: EventSink,
        delay_ns: int,
        fees: FeeModel,
        slippage: SlippageModel,
        symbols: frozenset[str],
        day_of: Callable[[int], date] | None = None,
    ) -> None:
        super().__init__(sink, delay_ns, fees, slippage, symbols)
        self.day_of = day_of  # a time's trading day; None: sessions never end
        self.next_open: dict[str, int | None] = {}

    def set_next_open(self, symbol: str, start_ns: int | None) -> None:
        """The feed's next bar start (None: no more bars): where a session ends."""
        self.next_open[symbol] = start_ns

    def _session_over(self, symbol: str, now_ns: int) -> bool:
        """No bar of this trading day is left after `now_ns`."""
        if symbol not in self.next_open:
            return False
        start = self.next_open[symbol]
        if start is None or self.day_of is None:
            return start is None
        return self.day_of(start) != self.day_of(now_ns)

    def _arrived(self, working: Working, now_ns: int) -> None:
        # a waiting stop watches the bar under way; anything else waits for the next open
        working.active = working.type in (STOP, STOP_LIMIT) and not working.triggered
        symbol = working.order.symbol
        if working.type is MARKET and (self.ended or self._session_over(symbol, now_ns)):
            self._fill_at_last_close(working, now_ns)
        elif self._is_ioc_limit(working) and self._session_over(symbol, now_ns):
            close = self.last_price.get(symbol)
            if close is not None and (close - (working.price or 0)) * working.side <= 0:
                self.fill(working, close, now_ns, Liquidity.TAKER)
            else:
                self.cancel_unfilled(working, now_ns, "ioc: session over")

    @staticmethod
    def _is_ioc_limit(working: Working) -> bool:
        return working.type is LIMIT and working.order.tif == TimeInForce.IOC

    def bar_open(self, bar: Bar) -> None:
        book = self.working[bar.symbol]
        if not book:
            return
        op = bar.open
        now = bar.start_ns
        taker = Liquidity.TAKER
        for w in list(book.values()):
            w.active = True
            kind = w.type
            if kind is MARKET:
                self.fill(w, self.slippage.worse(w.side, op), now, taker)
            elif kind is LIMIT:
                if w.limit_fills_at(op) or (op == w.price and self._is_ioc_limit(w)):
                    self.fill(w, op, now, taker)
            elif not w.triggered and w.stop_reached(op):
                w.triggered = True
                if kind is STOP:
                    self.fill(w, self.slippage.worse(w.side, op), now, taker)
                elif w.limit_fills_at(op):
                    self.fill(w, op, now, taker)
            elif w.triggered and w.limit_fills_at(op):  # a stop-limit turned limit earlier
                self.fill(w, op, now, taker)
            if self._is_ioc_limit(w) and w.order.order_id in book:
                self.cancel_unfilled(w, now, "ioc: not filled at the open")

    def bar_close(self, bar: Bar) -> None:
        self.last_price[bar.symbol] = bar.close
        book = self.working[bar.symbol]
        if not book:
            return
        now = bar.end_ns
        high, low = bar.high, bar.low
        stopped: set[Side] = set()
        fresh: set[str] = set()
        for w in list(book.values()):
            if not w.active or w.triggered:
                continue
            if w.stop_reached(high if w.side is Side.BUY else low):
                w.triggered = True
                if w.trigger is None:
                    raise RuntimeError("invariant broken: w.trigger is None")
                if w.type is STOP:
                    stopped.add(w.side)
                    self.fill(w, self.slippage.worse(w.side, w.trigger), now, Liquidity.TAKER)
                else:
                    fresh.add(w.order.order_id)  # a limit from the next bar on
        for w in list(book.values()):
            if not w.active or not w.triggered or w.price is None or w.type is MARKET:
                continue
            if w.side in stopped or w.order.order_id in fresh:
                continue
            if w.limit_fills_at(low if w.side is Side.BUY else high):
                self.fill(w, w.price, now, Liquidity.MAKER)

    def end_of_data(self, now_ns: int) -> None:
        """No bar follows: waiting market orders fill at the last close (see module doc)."""
        self.ended = True
        for book in self.working.values():
            for w in list(book.values()):
                if w.type is MARKET:
                    self._fill_at_last_close(w, now_ns)

    def _fill_at_last_close(self, working: Working, now_ns: int) -> None:
        close = self.last_price.get(working.order.symbol)
        if close is None:
            self.cancel_unfilled(working, now_ns, "no_liquidity")
        else:
            self.fill(working, self.slippage.worse(working.side, close), now_ns, Liquidity.TAKER)
