"""Trade tape: the last N prints, the last trade and running volume, in a fixed-size ring."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple


class Trade(NamedTuple):
    """One print: receive time (ns), price (ticks), size (lots), aggressor side (0/1, 2 = none)."""

    ts: int
    price: int
    size: int
    aggressor: int


class TradeTape:
    """Bounded memory: only the last `capacity` prints are kept; totals cover everything seen."""

    __slots__ = ("_trades", "count", "volume")

    def __init__(self, capacity: int = 10_000) -> None:
        self._trades: deque[Trade] = deque(maxlen=capacity)
        self.volume = 0
        self.count = 0

    def record(self, ts: int, price: int, size: int, aggressor: int) -> Trade:
        trade = Trade(ts, price, size, aggressor)
        self._trades.append(trade)
        self.volume += size
        self.count += 1
        return trade

    @property
    def last(self) -> Trade | None:
        return self._trades[-1] if self._trades else None

    def recent(self, n: int) -> list[Trade]:
        """The last `n` prints, oldest first."""
        if n <= 0:
            return []
        return list(self._trades)[-n:]

    def __len__(self) -> int:
        return len(self._trades)
