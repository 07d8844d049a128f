"""A price-level book fed by FIX market data (W snapshots, X incrementals).

FIX over TCP cannot skip a message, so a "gap" here is an update the book cannot apply: a change
or delete of a level it does not have, a new level that already exists, or a crossed result.
Any of those, a MarketDataRequestReject, or a disconnect marks the book invalid until the next
snapshot; the gateway then resubscribes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from fix.wire import FixFields

BID = "0"
OFFER = "1"
TRADE = "2"


@dataclass(slots=True)
class LevelBook:
    symbol: str
    tick_size: Decimal
    bids: dict[int, int] = field(default_factory=dict)  # price in ticks -> size
    asks: dict[int, int] = field(default_factory=dict)
    valid: bool = False
    last_trade: tuple[int, int] | None = None  # (price ticks, size)
    updates: int = 0
    invalid_reason: str = "no snapshot yet"

    def ticks(self, price: str) -> int:
        return round(Decimal(price) / self.tick_size)

    def best_bid(self) -> int | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> int | None:
        return min(self.asks) if self.asks else None

    def invalidate(self, reason: str) -> None:
        self.valid = False
        self.invalid_reason = reason

    def apply_snapshot(self, f: FixFields) -> None:
        self.bids.clear()
        self.asks.clear()
        for entry in f.groups(268, 269):
            side = entry.get(269)
            price, size = entry.get(270), entry.get(271)
            if price is None or size is None:
                continue
            if side == BID:
                self.bids[self.ticks(price)] = int(Decimal(size))
            elif side == OFFER:
                self.asks[self.ticks(price)] = int(Decimal(size))
        self.valid = True
        self.invalid_reason = ""
        self._check_crossed()

    def apply_entry(self, entry: dict[int, str]) -> bool:
        """One X entry; False when the book cannot apply it (it is then invalid)."""
        self._apply(entry)
        return self.valid

    def _apply(self, entry: dict[int, str]) -> None:
        if not self.valid:
            return
        kind = entry.get(269)
        action = entry.get(279)
        price_text = entry.get(270)
        if price_text is None:
            self.invalidate("entry without a price")
            return
        price = self.ticks(price_text)
        size = int(Decimal(entry.get(271) or "0"))
        if kind == TRADE:
            self.last_trade = (price, size)
            return
        levels = self.bids if kind == BID else self.asks if kind == OFFER else None
        if levels is None:
            return
        if action == "0":
            if price in levels:
                self.invalidate(f"new level {price} already exists")
                return
            levels[price] = size
        elif action == "1":
            if price not in levels:
                self.invalidate(f"change of missing level {price}")
                return
            levels[price] = size
        elif action == "2" and levels.pop(price, None) is None:
            self.invalidate(f"delete of missing level {price}")
            return
        self.updates += 1
        self._check_crossed()

    def _check_crossed(self) -> None:
        bid, ask = self.best_bid(), self.best_ask()
        if bid is not None and ask is not None and bid >= ask:
            self.invalidate(f"crossed book {bid} >= {ask}")
