"""One side's level prices in priority order: a plain sorted list of ints, best price last.

The books keep their levels in a dict by price and need, besides, the prices in order: the best
for top-of-book reads (O(1)), the next best when the best level empties, and best-first iteration
for depth.  A sorted list with the best price *last* does all of that with what compiles well
(`bisect` on a `list[int]`, `append`, `del`), and it puts the work where the market is: new levels
and emptied levels are mostly at or near the touch, i.e. near the end of the list, where an insert
or a delete moves few items.  Asks are stored negated (key = -price) so both sides sort ascending
with the best last.

Compiled with mypyc (see `bot._native`); the same source runs as pure Python.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

BID = 0
ASK = 1


class PriceLadder:
    """Sorted level prices of one side (bid: highest best, ask: lowest best)."""

    __slots__ = ("_keys", "_sign")

    def __init__(self, side: int) -> None:
        self._sign = 1 if side == BID else -1
        self._keys: list[int] = []  # price * sign, ascending: the best price is last

    def insert(self, price: int) -> None:
        """Add a price not yet present (the caller knows: its level dict did not have it)."""
        keys = self._keys
        key = price * self._sign
        if not keys or key > keys[-1]:  # a new best: the common case at the touch
            keys.append(key)
        else:
            keys.insert(bisect_left(keys, key), key)

    def remove(self, price: int) -> None:
        """Drop a price that is present."""
        keys = self._keys
        key = price * self._sign
        if keys[-1] == key:  # the best emptied: the common case
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]

    def best(self) -> int | None:
        """The best price, None when the side is empty."""
        keys = self._keys
        return keys[-1] * self._sign if keys else None

    def best_first(self) -> Iterator[int]:
        """Prices best first (do not change the ladder while iterating)."""
        sign = self._sign
        for key in reversed(self._keys):
            yield key * sign

    def clear(self) -> None:
        self._keys.clear()

    def __len__(self) -> int:
        return len(self._keys)
