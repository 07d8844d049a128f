"""Market-by-price (L2) book: total size and order count per price level, no individual orders.

Fed by MBP feeds (a level's new size and count replace the old), or built from an L3 book's
aggregated levels.  Same conventions as `OrderBook`: integer ticks, `Side` 0/1, never raises on
bad input.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.book.l3 import OrderBook
from bot.book.ladder import PriceLadder
from bot.book.types import Level, Side

BID = 0
ASK = 1


class PriceBook:
    """L2 book: per side a dict ``price -> (size, count)`` and the prices in a `PriceLadder`."""

    __slots__ = ("_levels", "_prices")

    def __init__(self) -> None:
        self._levels: tuple[dict[int, tuple[int, int]], dict[int, tuple[int, int]]] = ({}, {})
        self._prices = (PriceLadder(BID), PriceLadder(ASK))

    @classmethod
    def from_orders(cls, book: OrderBook, depth: int | None = None) -> PriceBook:
        """The aggregated view of an L3 book (all levels, or the best `depth` per side)."""
        out = cls()
        for side in (Side.BID, Side.ASK):
            for level in book.depth(side, depth if depth is not None else len(book) + 1):
                out.set_level(side, level.price, level.size, level.orders)
        return out

    def set_level(self, side: int, price: int, size: int, count: int = 0) -> bool:
        """Replace a level's size and count; size <= 0 removes it.  False for a bad side."""
        if side not in (BID, ASK):
            return False
        s = int(side)
        levels, prices = self._levels[s], self._prices[s]
        if size <= 0:
            if levels.pop(price, None) is not None:
                prices.remove(price)
            return True
        if price not in levels:
            prices.insert(price)
        levels[price] = (size, count)
        return True

    def set_top(self, side: int, price: int | None, size: int, count: int = 0) -> bool:
        """Make this the side's only level (MBP-1 knows nothing deeper); None empties the side."""
        if side not in (BID, ASK):
            return False
        self.clear(side)
        if price is not None:
            self.set_level(side, price, size, count)
        return True

    def clear(self, side: int | None = None) -> None:
        for s in (BID, ASK) if side is None else (int(side),):
            self._levels[s].clear()
            self._prices[s].clear()

    def best_price(self, side: int) -> int | None:
        return self._prices[side].best()

    def level(self, side: int, price: int) -> Level | None:
        row = self._levels[side].get(price)
        return None if row is None else Level(price, row[0], row[1])

    def best(self, side: int) -> Level | None:
        price = self._prices[side].best()
        return None if price is None else self.level(side, price)

    def top(self) -> tuple[int | None, int, int | None, int]:
        """(bid price, bid size, ask price, ask size); sizes 0 when a side is empty."""
        bid, ask = self._prices[BID].best(), self._prices[ASK].best()
        bid_size = 0 if bid is None else self._levels[BID][bid][0]
        ask_size = 0 if ask is None else self._levels[ASK][ask][0]
        return bid, bid_size, ask, ask_size

    def is_locked_or_crossed(self) -> bool:
        bid, ask = self._prices[BID].best(), self._prices[ASK].best()
        return bid is not None and ask is not None and bid >= ask

    def prices(self, side: int) -> Iterator[int]:
        """Level prices best first (do not update while iterating)."""
        return self._prices[side].best_first()

    def depth(self, side: int, n: int) -> list[Level]:
        levels = self._levels[side]
        out: list[Level] = []
        for price in self.prices(side):
            if len(out) >= n:
                break
            size, count = levels[price]
            out.append(Level(price, size, count))
        return out

    def __len__(self) -> int:
        """Number of levels on both sides."""
        return len(self._levels[BID]) + len(self._levels[ASK])
