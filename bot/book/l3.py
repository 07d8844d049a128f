"""Market-by-order (L3) book: every resting order, levels in price order, orders in time priority.

Layout (chosen for speed, see the README benchmark): per side, a dict ``price -> {order_id: size}``
whose insertion order *is* the time priority, a dict ``price -> total size``, and a sorted list of
the level prices; one dict ``order_id -> price << 1 | side`` finds an order's level (a packed int,
not a tuple: ints are invisible to the garbage collector, tuples make it run).  The best price per
side is cached.  No container is created per update except a dict for a brand-new level.

Prices are integer ticks, sizes integer lots, sides `Side.BID` (0) / `Side.ASK` (1); plain ints
0/1 are accepted wherever a `Side` is.  Updates never raise on bad input: they return ``False``
and leave the book unchanged, so a feed handler can count the anomaly and carry on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from sortedcontainers import SortedList  # type: ignore[import-untyped]

from bot.book.types import Level, Order, Side

BID = 0
ASK = 1


class SortedInts(Protocol):
    """The part of `sortedcontainers.SortedList` the books use (the package ships no types)."""

    def add(self, value: int) -> None: ...
    def remove(self, value: int) -> None: ...
    def clear(self) -> None: ...
    def __getitem__(self, index: int) -> int: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[int]: ...
    def __reversed__(self) -> Iterator[int]: ...


def new_sorted_ints() -> SortedInts:
    """A fresh empty sorted list of ints (typed wrapper around the untyped constructor)."""
    result: SortedInts = SortedList()
    return result


class OrderBook:
    """L3 book for one instrument.  Add, cancel (partial or whole), modify, clear, query.

    Time priority: an order keeps its place on a partial cancel or a size decrease; a price change
    or a size increase sends it to the back of its (new) level, as on CME Globex.
    """

    __slots__ = ("_best", "_levels", "_orders", "_prices", "_sizes")

    def __init__(self) -> None:
        self._orders: dict[int, int] = {}  # order_id -> price << 1 | side
        self._levels: tuple[dict[int, dict[int, int]], dict[int, dict[int, int]]] = ({}, {})
        self._sizes: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self._prices: tuple[SortedInts, SortedInts] = (new_sorted_ints(), new_sorted_ints())
        self._best: list[int | None] = [None, None]

    # ---------------------------------------------------------------- updates

    def add(self, order_id: int, side: Side | int, price: int, size: int) -> bool:
        """Rest a new order at the back of its level.  False on a duplicate id, bad side or size."""
        if size <= 0 or order_id in self._orders or side not in (BID, ASK):
            return False
        s = int(side)
        self._orders[order_id] = price << 1 | s
        level = self._levels[s].get(price)
        if level is None:
            self._open_level(s, price, order_id, size)
        else:
            level[order_id] = size
            self._sizes[s][price] += size
        return True

    def cancel(self, order_id: int, size: int | None = None) -> bool:
        """Take `size` lots off an order (all of it when None or >= its size); keeps priority.

        Also the way to apply a fill to a resting order.  False for an unknown id or size <= 0.
        """
        where = self._orders.get(order_id)
        if where is None or (size is not None and size <= 0):
            return False
        s, price = where & 1, where >> 1
        level = self._levels[s][price]
        resting = level[order_id]
        if size is None or size >= resting:
            self._remove(order_id, s, price, level, resting)
        else:
            level[order_id] = resting - size
            self._sizes[s][price] -= size
        return True

    def modify(self, order_id: int, price: int, size: int) -> bool:
        """Change an order's price and/or size.  False for an unknown id or size <= 0.

        A price change or a size increase loses priority (back of the level); a size decrease at
        the same price keeps it.
        """
        where = self._orders.get(order_id)
        if where is None or size <= 0:
            return False
        s, old_price = where & 1, where >> 1
        level = self._levels[s][old_price]
        resting = level[order_id]
        if price != old_price:
            self._remove(order_id, s, old_price, level, resting)
            self.add(order_id, s, price, size)
        elif size > resting:
            del level[order_id]
            level[order_id] = size
            self._sizes[s][price] += size - resting
        elif size < resting:
            level[order_id] = size
            self._sizes[s][price] -= resting - size
        return True

    def clear(self) -> None:
        """Empty the book (a Databento R record, or before applying a snapshot)."""
        self._orders.clear()
        for s in (BID, ASK):
            self._levels[s].clear()
            self._sizes[s].clear()
            self._prices[s].clear()
            self._best[s] = None

    def _remove(self, order_id: int, s: int, price: int, level: dict[int, int], size: int) -> None:
        del self._orders[order_id]
        del level[order_id]
        if level:
            self._sizes[s][price] -= size
        else:
            self._close_level(s, price)

    # Level creation and removal, shared with the inlined replay loop in `bot.book.mbo`.

    def _open_level(self, s: int, price: int, order_id: int, size: int) -> None:
        """A new level holding one order (the order's index entry is the caller's job)."""
        self._levels[s][price] = {order_id: size}
        self._sizes[s][price] = size
        self._prices[s].add(price)
        best = self._best[s]
        if best is None or (price > best if s == BID else price < best):
            self._best[s] = price

    def _close_level(self, s: int, price: int) -> None:
        """Drop an emptied level and move the best price if it was the best."""
        del self._levels[s][price]
        del self._sizes[s][price]
        prices = self._prices[s]
        prices.remove(price)
        if self._best[s] == price:
            self._best[s] = (prices[-1] if s == BID else prices[0]) if len(prices) else None

    # ---------------------------------------------------------------- queries

    def __len__(self) -> int:
        """Number of resting orders."""
        return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def get_order(self, order_id: int) -> Order | None:
        where = self._orders.get(order_id)
        if where is None:
            return None
        s, price = where & 1, where >> 1
        return Order(order_id, Side(s), price, self._levels[s][price][order_id])

    def best_price(self, side: Side | int) -> int | None:
        """Best bid (highest) or best ask (lowest) price in ticks, None when the side is empty."""
        return self._best[side]

    def best_bid(self) -> Level | None:
        return self._top_level(BID)

    def best_ask(self) -> Level | None:
        return self._top_level(ASK)

    def _top_level(self, s: int) -> Level | None:
        price = self._best[s]
        if price is None:
            return None
        return Level(price, self._sizes[s][price], len(self._levels[s][price]))

    def top(self) -> tuple[int | None, int, int | None, int]:
        """(bid price, bid size, ask price, ask size) with no object churn; sizes 0 when empty."""
        bid, ask = self._best
        bid_size = 0 if bid is None else self._sizes[BID][bid]
        ask_size = 0 if ask is None else self._sizes[ASK][ask]
        return bid, bid_size, ask, ask_size

    def is_locked_or_crossed(self) -> bool:
        """True when best bid >= best ask (both sides present)."""
        bid, ask = self._best
        return bid is not None and ask is not None and bid >= ask

    def level_size(self, side: Side | int, price: int) -> int:
        """Total resting size at a price (0 when there is no level)."""
        return self._sizes[side].get(price, 0)

    def level_count(self, side: Side | int, price: int) -> int:
        """Number of orders resting at a price (0 when there is no level)."""
        return len(self._levels[side].get(price, ()))

    def prices(self, side: Side | int) -> Iterator[int]:
        """Level prices best first.  Do not update the book while iterating; copy with list()."""
        return reversed(self._prices[side]) if side == BID else iter(self._prices[side])

    def orders_at(self, side: Side | int, price: int) -> list[tuple[int, int]]:
        """``(order_id, size)`` at one price in time priority (a copy: safe to update after)."""
        return list(self._levels[side].get(price, {}).items())

    def front_order(self, side: Side | int) -> tuple[int, int] | None:
        """``(order_id, size)`` of the first order in the queue at the best price, or None."""
        price = self._best[side]
        if price is None:
            return None
        return next(iter(self._levels[side][price].items()))

    def depth(self, side: Side | int, n: int) -> list[Level]:
        """Up to `n` levels best first as `Level(price, size, count)`."""
        levels = self._levels[side]
        sizes = self._sizes[side]
        out: list[Level] = []
        for price in self.prices(side):
            if len(out) >= n:
                break
            out.append(Level(price, sizes[price], len(levels[price])))
        return out

    def queue_position(self, order_id: int) -> int | None:
        """Lots ahead of this order at its price (0 = first in line); None for an unknown id."""
        where = self._orders.get(order_id)
        if where is None:
            return None
        s, price = where & 1, where >> 1
        ahead = 0
        for other, size in self._levels[s][price].items():
            if other == order_id:
                break
            ahead += size
        return ahead

    def order_ids(self) -> Iterator[int]:
        """Every resting order id (arbitrary order)."""
        return iter(self._orders)
