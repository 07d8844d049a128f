"""Market-by-order (L3) book: every resting order, levels in price order, orders in time priority.

Layout (chosen for speed, see the README benchmark): per side, a dict ``price -> level`` and the
level prices in a `PriceLadder` (sorted, best last); a level holds ``{order_id: size}``, whose
insertion order *is* the time priority, and its total size; one dict ``order_id -> level`` finds an
order's level in one lookup.  Each side caches its best level, so top-of-book reads are O(1) with
no dict lookup.  No container is created per update except for a brand-new level.

The hot paths are compiled with mypyc when the build had a C compiler (`bot._native`); this source
is also the pure-Python fallback, and both are tested to give the same books record by record.

Prices are integer ticks, sizes integer lots, sides `Side.BID` (0) / `Side.ASK` (1); plain ints
0/1 are accepted wherever a `Side` is.  Updates never raise on bad input: they return ``False``
and leave the book unchanged, so a feed handler can count the anomaly and carry on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from bot.book.ladder import PriceLadder
from bot.book.types import Level, Order, Side

BID = 0
ASK = 1

K = TypeVar("K")  # an order id (int) in the helpers at the end of this module


class PriceLevel:
    """One price level: resting orders in time priority and their total size."""

    __slots__ = ("orders", "price", "side", "size")

    def __init__(self, side: int, price: int) -> None:
        self.side = side
        self.price = price
        self.size = 0
        self.orders: dict[int, int] = {}  # order_id -> size, in time priority


class BookSide:
    """One side of an L3 book: levels by price, their prices in order, the best level cached."""

    __slots__ = ("best", "ladder", "levels", "side")

    def __init__(self, side: int) -> None:
        self.side = side
        self.levels: dict[int, PriceLevel] = {}
        self.ladder = PriceLadder(side)
        self.best: PriceLevel | None = None

    def open(self, price: int) -> PriceLevel:
        """A new empty level at a price that has none."""
        level = PriceLevel(self.side, price)
        self.levels[price] = level
        self.ladder.insert(price)
        best = self.best
        if best is None or (price > best.price if self.side == BID else price < best.price):
            self.best = level
        return level

    def close(self, level: PriceLevel) -> None:
        """Drop an emptied level and move the best level if it was the best."""
        del self.levels[level.price]
        self.ladder.remove(level.price)
        if self.best is level:
            price = self.ladder.best()
            self.best = None if price is None else self.levels[price]

    def clear(self) -> None:
        self.levels.clear()
        self.ladder.clear()
        self.best = None


class OrderBook:
    """L3 book for one instrument.  Add, cancel (partial or whole), modify, clear, query.

    Time priority: an order keeps its place on a partial cancel or a size decrease; a price change
    or a size increase sends it to the back of its (new) level, as on CME Globex.
    """

    __slots__ = ("_orders", "asks", "bids")

    def __init__(self) -> None:
        self._orders: dict[int, PriceLevel] = {}  # order_id -> its level
        self.bids = BookSide(BID)
        self.asks = BookSide(ASK)

    def _side(self, side: int) -> BookSide:
        if side == BID:
            return self.bids
        if side == ASK:
            return self.asks
        raise ValueError(f"bad side {side!r} (0 = bid, 1 = ask)")

    # ---------------------------------------------------------------- updates

    def add(self, order_id: int, side: int, price: int, size: int) -> bool:
        """Rest a new order at the back of its level.  False on a duplicate id, bad side or size."""
        if size <= 0:
            return False
        if side == BID:
            book_side = self.bids
        elif side == ASK:
            book_side = self.asks
        else:
            return False
        level = book_side.levels.get(price)
        fresh = level is None
        if level is None:
            level = book_side.open(price)
        if not _enter(self._orders, level.orders, order_id, level, size):
            if fresh:  # a duplicate id: undo the level just opened for it
                book_side.close(level)
            return False
        level.size += size
        return True

    def cancel(self, order_id: int, size: int | None = None) -> bool:
        """Take `size` lots off an order (all of it when None or >= its size); keeps priority.

        Also the way to apply a fill to a resting order.  False for an unknown id or size <= 0.
        """
        level = self._orders.get(order_id)
        if level is None or (size is not None and size <= 0):
            return False
        level.size -= _reduce(self._orders, level.orders, order_id, size)
        if not level.orders:
            (self.bids if level.side == BID else self.asks).close(level)
        return True

    def modify(self, order_id: int, price: int, size: int) -> bool:
        """Change an order's price and/or size.  False for an unknown id or size <= 0.

        A price change or a size increase loses priority (back of the level); a size decrease at
        the same price keeps it.
        """
        level = self._orders.get(order_id)
        if level is None or size <= 0:
            return False
        if price == level.price:
            level.size += size - _resize(level.orders, order_id, size)
            return True
        book_side = self.bids if level.side == BID else self.asks  # a modify keeps the side
        target = book_side.levels.get(price)
        if target is None:
            target = book_side.open(price)
        level.size -= _move(self._orders, level.orders, target.orders, order_id, target, size)
        target.size += size
        if not level.orders:
            book_side.close(level)
        return True

    def clear(self) -> None:
        """Empty the book (a Databento R record, or before applying a snapshot)."""
        self._orders.clear()
        self.bids.clear()
        self.asks.clear()

    # ---------------------------------------------------------------- queries

    def __len__(self) -> int:
        """Number of resting orders."""
        return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def get_order(self, order_id: int) -> Order | None:
        level = self._orders.get(order_id)
        if level is None:
            return None
        return Order(order_id, Side(level.side), level.price, level.orders[order_id])

    def level_of(self, order_id: int) -> PriceLevel | None:
        """The level an order rests at (read it, do not change it), None for an unknown id."""
        return self._orders.get(order_id)

    def best_price(self, side: int) -> int | None:
        """Best bid (highest) or best ask (lowest) price in ticks, None when the side is empty."""
        best = self._side(side).best
        return None if best is None else best.price

    def best_bid(self) -> Level | None:
        return _as_level(self.bids.best)

    def best_ask(self) -> Level | None:
        return _as_level(self.asks.best)

    def top(self) -> tuple[int | None, int, int | None, int]:
        """(bid price, bid size, ask price, ask size); sizes 0 when a side is empty."""
        bid, ask = self.bids.best, self.asks.best
        return (
            None if bid is None else bid.price,
            0 if bid is None else bid.size,
            None if ask is None else ask.price,
            0 if ask is None else ask.size,
        )

    def is_locked_or_crossed(self) -> bool:
        """True when best bid >= best ask (both sides present)."""
        bid, ask = self.bids.best, self.asks.best
        return bid is not None and ask is not None and bid.price >= ask.price

    def level_size(self, side: int, price: int) -> int:
        """Total resting size at a price (0 when there is no level)."""
        level = self._side(side).levels.get(price)
        return 0 if level is None else level.size

    def level_count(self, side: int, price: int) -> int:
        """Number of orders resting at a price (0 when there is no level)."""
        level = self._side(side).levels.get(price)
        return 0 if level is None else len(level.orders)

    def prices(self, side: int) -> Iterator[int]:
        """Level prices best first.  Do not update the book while iterating; copy with list()."""
        return self._side(side).ladder.best_first()

    def orders_at(self, side: int, price: int) -> list[tuple[int, int]]:
        """``(order_id, size)`` at one price in time priority (a copy: safe to update after)."""
        level = self._side(side).levels.get(price)
        return [] if level is None else list(level.orders.items())

    def front_order(self, side: int) -> tuple[int, int] | None:
        """``(order_id, size)`` of the first order in the queue at the best price, or None."""
        best = self._side(side).best
        if best is None:
            return None
        return next(iter(best.orders.items()))

    def depth(self, side: int, n: int) -> list[Level]:
        """Up to `n` levels best first as `Level(price, size, count)`."""
        book_side = self._side(side)
        levels = book_side.levels
        out: list[Level] = []
        for price in book_side.ladder.best_first():
            if len(out) >= n:
                break
            level = levels[price]
            out.append(Level(price, level.size, len(level.orders)))
        return out

    def queue_position(self, order_id: int) -> int | None:
        """Lots ahead of this order at its price (0 = first in line); None for an unknown id."""
        level = self._orders.get(order_id)
        if level is None:
            return None
        ahead = 0
        for other, size in level.orders.items():
            if other == order_id:
                break
            ahead += size
        return ahead

    def order_ids(self) -> Iterator[int]:
        """Every resting order id (arbitrary order)."""
        return iter(self._orders)


def _as_level(level: PriceLevel | None) -> Level | None:
    return None if level is None else Level(level.price, level.size, len(level.orders))


# The dict work of one update on one order id.  Generic in the id's type for the compiled core:
# mypyc passes a type variable as a Python object, so the id becomes an int object once per
# update, shared by the book's index and the level's queue, instead of once per dict operation
# (a quarter of the compiled replay's time, and a second int object per resting order).


def _enter(
    index: dict[K, PriceLevel], queue: dict[K, int], key: K, level: PriceLevel, size: int
) -> bool:
    """File a new order under `key` in the index and at the back of `queue`; False if known."""
    known = len(index)
    index.setdefault(key, level)  # one lookup for "new id?" and the insert
    if len(index) == known:
        return False
    queue[key] = size
    return True


def _reduce(index: dict[K, PriceLevel], queue: dict[K, int], key: K, size: int | None) -> int:
    """Take `size` lots (all when None or >= resting: the order goes); returns the lots taken."""
    resting = queue[key]
    if size is None or size >= resting:
        del queue[key]
        del index[key]
        return resting
    queue[key] = resting - size
    return size


def _resize(queue: dict[K, int], key: K, size: int) -> int:
    """New size at the same price (an increase goes to the back); returns the old size."""
    resting = queue[key]
    if size > resting:
        del queue[key]
        queue[key] = size
    elif size < resting:
        queue[key] = size
    return resting


def _move(
    index: dict[K, PriceLevel],
    old: dict[K, int],
    new: dict[K, int],
    key: K,
    level: PriceLevel,
    size: int,
) -> int:
    """Move an order to the back of another level's queue with a new size; returns the old size."""
    resting = old[key]
    del old[key]
    new[key] = size
    index[key] = level
    return resting
