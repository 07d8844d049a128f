"""The one `Side` of the whole system: +1 buy, -1 sell, so `side * qty` is a position change.

Adapters convert once at the edge: the book's array index (0 bid / 1 ask) is `side.index`, the
FIX Side (54) is "1"/"2".  No other layer keeps its own encoding.
"""

from __future__ import annotations

from enum import IntEnum


class Side(IntEnum):
    """Signed so that `side * qty` is the change in position."""

    BUY = 1
    SELL = -1

    @property
    def index(self) -> int:
        """0 for BUY (the bid side of a book), 1 for SELL (the ask side)."""
        return 0 if self is Side.BUY else 1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY

    @staticmethod
    def from_index(index: int) -> Side:
        """The side whose book array index is `index` (0 bid -> BUY, 1 ask -> SELL)."""
        if index == 0:
            return Side.BUY
        if index == 1:
            return Side.SELL
        raise ValueError(f"no side has book index {index!r}")

    @staticmethod
    def of(signed_qty: int) -> Side:
        """The side that moves a position by `signed_qty` (which must not be zero)."""
        if signed_qty > 0:
            return Side.BUY
        if signed_qty < 0:
            return Side.SELL
        raise ValueError("a zero quantity has no side")
