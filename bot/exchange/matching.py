"""Price-time matching for one instrument on the project's L3 book (`bot.book.OrderBook`).

Market orders sweep, limit orders rest (IOC remainders cancel), stop and stop-limit orders wait
off-book and trigger when a trade prints at or through their stop price.  Every print counts, not
only the last one of a sweep: after an aggressor finishes, its prints are taken in sequence, each
electing the stops it reaches (by stop price, then time), and each elected stop then executes
against the book in turn, its own prints joining the sequence (as CME elects stops).  The book
holds sizes; this engine holds the order objects and reports every state change as an event.

Compiled with mypyc with the book (`bot._native`): the sweep reads the book's best level and its
first order directly (no object per fill besides the events), and the levels changed since the
last drain are kept as packed ints, ``price << 1 | side`` (`touch`, `touched_levels`).
"""

from __future__ import annotations

import heapq
from typing import Final

from bot.book import OrderBook
from bot.exchange.events import Accepted, Canceled, Event, Fill, Replaced, Trade, Triggered
from bot.exchange.orders import (
    BUY,
    CANCELED,
    FILLED,
    IOC,
    LIMIT,
    MARKET,
    PARTIAL,
    STOP,
    STOP_LIMIT,
    SimOrder,
)

MAX_TRIGGER_ROUNDS: Final = 10_000


def _first(queue: dict[int, int]) -> tuple[int, int]:
    """The first ``(order_id, size)`` of a level's queue (compiled: no tuple object is made)."""
    for item in queue.items():
        return item
    raise ValueError("empty level on the book")


class MatchingEngine:
    """One instrument's book, its working orders and its untriggered stops."""

    __slots__ = (
        "_buy_stops",
        "_match_seq",
        "_prints",
        "_sell_stops",
        "_stop_seq",
        "book",
        "events",
        "last_trade",
        "orders",
        "touched",
    )

    def __init__(self) -> None:
        self.book = OrderBook()
        self.orders: dict[int, SimOrder] = {}  # resting and untriggered orders by order_id
        self.events: list[Event] = []
        self.touched: set[int] = set()  # levels changed since drained: price << 1 | side
        self.last_trade: int | None = None
        self._buy_stops: list[tuple[int, int, int]] = []  # (stop, seq, order_id)
        self._sell_stops: list[tuple[int, int, int]] = []  # (-stop, seq, order_id)
        self._stop_seq = 0
        self._match_seq = 0
        self._prints: list[int] = []  # trade prices not yet checked against the stops

    # ------------------------------------------------------------------ changed levels

    def touch(self, side: int, price: int) -> None:
        """Mark a level as changed (market data publishes it on the next drain)."""
        self.touched.add(price << 1 | side)

    def touched_levels(self) -> list[tuple[int, int]]:
        """The changed levels as ``(side, price)``, sorted: bids then asks, each by price."""
        return sorted((key & 1, key >> 1) for key in self.touched)

    # ------------------------------------------------------------------ order entry

    def submit(self, order: SimOrder) -> None:
        """Accept a validated order and match it; events land in `self.events`."""
        self.events.append(Accepted(order))
        if not order.triggered:
            self._park_stop(order)
            return
        self._execute(order)
        if self._prints:
            self._run_triggers()

    def restore(self, order: SimOrder) -> None:
        """Put a working order back (the venue restoring its journal): no events, no matching."""
        if not order.triggered:
            self._park_stop(order)
        elif order.price is not None and self.book.add(
            order.order_id, order.side, order.price, order.qty - order.cum_qty
        ):
            self.orders[order.order_id] = order
            self.touched.add(order.price << 1 | order.side)

    def cancel(self, order: SimOrder, reason: str = "user") -> bool:
        """Cancel a working order; False when it is not working here (filled or unknown)."""
        if self.orders.pop(order.order_id, None) is None:
            return False
        level = self.book.level_of(order.order_id)
        if level is not None:
            self.touched.add(level.price << 1 | order.side)
            self.book.cancel(order.order_id)
        order.status = CANCELED
        self.events.append(Canceled(order, reason))
        return True

    def replace(self, order: SimOrder, qty: int, price: int | None, stop_px: int | None) -> bool:
        """Change a working order's size and prices; False when it is no longer working.

        A price change or a size increase loses time priority (the book's `modify` rule); a new
        limit price through the opposite side matches at once.
        """
        if order.order_id not in self.orders or qty <= order.cum_qty:
            return False
        order.qty = qty
        order.price = price
        if not order.triggered:
            order.stop_px = stop_px
            self._park_stop(order)
            self.events.append(Replaced(order, order.cum_qty, order.notional))
            if self.last_trade is not None:  # a stop moved to or through the market triggers
                self._prints.append(self.last_trade)
            self._run_triggers()
            return True
        leaves = qty - order.cum_qty
        book = self.book
        level = book.level_of(order.order_id)
        if level is not None:
            self.touched.add(level.price << 1 | order.side)
        if price is not None and self._crosses(order.side, price):
            book.cancel(order.order_id)
            del self.orders[order.order_id]
            self.events.append(Replaced(order, order.cum_qty, order.notional))
            self._execute(order)
            self._run_triggers()
            return True
        if price is not None:
            book.modify(order.order_id, price, leaves)
            self.touched.add(price << 1 | order.side)
        self.events.append(Replaced(order, order.cum_qty, order.notional))
        return True

    # ------------------------------------------------------------------ matching

    def _crosses(self, side: int, price: int) -> bool:
        best = (self.book.asks if side == BUY else self.book.bids).best
        if best is None:
            return False
        return best.price <= price if side == BUY else best.price >= price

    def _execute(self, order: SimOrder) -> None:
        """Match an aggressor, then rest, cancel or finish what is left."""
        book = self.book
        orders = self.orders
        events = self.events
        prints = self._prints
        side = order.side
        opp = 1 - side
        is_buy = side == BUY
        book_side = book.asks if is_buy else book.bids
        ord_type = order.ord_type
        has_limit = False  # market and stop orders have none: no `int | None` in the loop
        limit = 0
        if ord_type not in (MARKET, STOP):
            price = order.price
            if price is not None:
                has_limit = True
                limit = price
        remaining = order.qty - order.cum_qty
        while remaining > 0:
            level = book_side.best
            if level is None:
                break
            best = level.price
            if has_limit and (best > limit if is_buy else best < limit):
                break
            self.touched.add(best << 1 | opp)
            queue = level.orders  # order_id -> size in time priority; never empty on the book
            while remaining > 0 and queue:
                front_id, front_size = _first(queue)
                qty = front_size if front_size < remaining else remaining
                book.cancel(front_id, qty)  # the last lots of a level close it
                remaining -= qty
                self._match_seq += 1
                match_id = self._match_seq
                resting = orders[front_id]
                resting.cum_qty += qty
                resting.notional += best * qty
                if resting.cum_qty >= resting.qty:
                    resting.status = FILLED
                    del orders[front_id]
                else:
                    resting.status = PARTIAL
                order.cum_qty += qty
                order.notional += best * qty
                order.status = FILLED if remaining == 0 else PARTIAL
                events.append(
                    Fill(resting, best, qty, match_id, False, resting.cum_qty, resting.notional)
                )
                events.append(Fill(order, best, qty, match_id, True, order.cum_qty, order.notional))
                events.append(Trade(best, qty, side, match_id))
                prints.append(best)
            self.last_trade = best
        if remaining == 0:
            return
        if not has_limit or order.tif == IOC:
            order.status = CANCELED
            events.append(Canceled(order, "ioc" if has_limit else "no_liquidity"))
            return
        book.add(order.order_id, side, limit, remaining)
        orders[order.order_id] = order
        self.touched.add(limit << 1 | side)

    # ------------------------------------------------------------------ replayed feeds

    def rest(self, order: SimOrder) -> bool:
        """Put an order straight on the book without matching (a replayed real order: the real
        book may cross in pre-open, and its trades arrive as their own records)."""
        if order.price is None or not self.book.add(
            order.order_id, order.side, order.price, order.qty
        ):
            return False
        self.orders[order.order_id] = order
        self.touched.add(order.price << 1 | order.side)
        return True

    def fill_resting(self, order: SimOrder, qty: int) -> int:
        """Fill a resting order at its own price by a trade that happened outside the engine."""
        if order.price is None or order.order_id not in self.book:
            return 0
        qty = min(qty, order.qty - order.cum_qty)
        if qty <= 0:
            return 0
        self.book.cancel(order.order_id, qty)
        self.touched.add(order.price << 1 | order.side)
        self._match_seq += 1
        order.cum_qty += qty
        order.notional += order.price * qty
        if order.cum_qty >= order.qty:
            order.status = FILLED
            del self.orders[order.order_id]
        else:
            order.status = PARTIAL
        self.events.append(
            Fill(order, order.price, qty, self._match_seq, False, order.cum_qty, order.notional)
        )
        return qty

    def record_trade(self, price: int, qty: int, aggressor_side: int) -> None:
        """A print from outside the engine: market data, last price, stop triggers."""
        self._match_seq += 1
        self.events.append(Trade(price, qty, aggressor_side, self._match_seq))
        self.last_trade = price
        self._prints.append(price)
        self._run_triggers()

    # ------------------------------------------------------------------ stops

    def _park_stop(self, order: SimOrder) -> None:
        self.orders[order.order_id] = order
        self._stop_seq += 1
        stop = order.stop_px
        if stop is None:
            raise ValueError("a stop order needs a stop price")
        if order.side == BUY:
            heapq.heappush(self._buy_stops, (stop, self._stop_seq, order.order_id))
        else:
            heapq.heappush(self._sell_stops, (-stop, self._stop_seq, order.order_id))

    def _live_stop(self, order_id: int, stop: int) -> SimOrder | None:
        order = self.orders.get(order_id)
        if order is None or order.triggered or order.stop_px != stop:
            return None  # cancelled, replaced (stale heap entry) or already triggered
        return order

    def _elected_by(self, price: int) -> list[SimOrder]:
        """Every live stop a print at `price` reaches: buy stops at or below it (lowest stop
        first), then sell stops at or above it (highest first); ties by time."""
        elected: list[SimOrder] = []
        buys, sells = self._buy_stops, self._sell_stops
        while buys and buys[0][0] <= price:
            stop, _, oid = heapq.heappop(buys)
            order = self._live_stop(oid, stop)
            if order is not None:
                order.triggered = True  # a second heap entry (re-parked, same stop) is stale
                elected.append(order)
        while sells and -sells[0][0] >= price:
            neg, _, oid = heapq.heappop(sells)
            order = self._live_stop(oid, -neg)
            if order is not None:
                order.triggered = True
                elected.append(order)
        return elected

    def _run_triggers(self) -> None:
        """Take the pending prints in sequence; each elected stop executes at once and its own
        prints join the end of the sequence."""
        prints = self._prints
        buys, sells = self._buy_stops, self._sell_stops
        if not (buys or sells):
            prints.clear()
            return
        rounds = 0
        i = 0
        while i < len(prints) and rounds < MAX_TRIGGER_ROUNDS:
            price = prints[i]
            i += 1
            if not ((buys and buys[0][0] <= price) or (sells and -sells[0][0] >= price)):
                continue  # reaches no stop (the test `_elected_by` starts with)
            for order in self._elected_by(price):
                rounds += 1
                del self.orders[order.order_id]
                self.events.append(Triggered(order))
                self._execute(order)
        prints.clear()

    def has_stop(self, order_id: int) -> bool:
        order = self.orders.get(order_id)
        return order is not None and not order.triggered

    def working(self) -> list[SimOrder]:
        return list(self.orders.values())

    def is_stop_type(self, order: SimOrder) -> bool:
        return order.ord_type in (STOP, STOP_LIMIT)

    def is_limit_type(self, order: SimOrder) -> bool:
        return order.ord_type in (LIMIT, STOP_LIMIT)

    @property
    def match_count(self) -> int:
        """Executions so far (each has one match id)."""
        return self._match_seq
