"""Small value types shared by the books: the side enum, a level row and an order snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple


class Side(IntEnum):
    """Integer side codes, so hot paths index per-side arrays instead of comparing strings."""

    BID = 0
    ASK = 1

    @property
    def opposite(self) -> Side:
        return Side.ASK if self is Side.BID else Side.BID


class Level(NamedTuple):
    """One price level from `depth`: price in ticks, total size, number of orders resting."""

    price: int
    size: int
    orders: int


@dataclass(frozen=True, slots=True)
class Order:
    """A copy of one resting order, built on request (the book itself stores no objects)."""

    order_id: int
    side: Side
    price: int
    size: int
