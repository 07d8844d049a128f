"""Where our resting quotes stand in their price level's queue, from the L2 view only.

Fed the same way in backtests and live (the kernel calls `on_book_level` and `on_trade`), so a
sleeve sees the same estimate in both.  Rules, per own order resting at price p:
- placed (acknowledged): ahead = the level's size in our view at that moment;
- a trade at p takes `size` off the queue ahead; a trade through p (lower for a bid, higher for an
  ask) means the whole level traded: ahead = 0;
- the level shrinking beyond what traded is cancellations: they take off ahead pro rata to the
  share of the others' lots that were ahead of us, and ahead never exceeds level size - own lots;
- a price change or a size increase loses priority (re-placed); a size decrease keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Queued:
    symbol: str
    side_index: int
    price_ticks: int
    qty: int
    ahead: int


class QueueEstimator:
    __slots__ = ("_levels", "_orders")

    def __init__(self) -> None:
        self._levels: dict[tuple[str, int, int], int] = {}
        self._orders: dict[str, _Queued] = {}

    def level_size(self, symbol: str, side_index: int, price_ticks: int) -> int:
        return self._levels.get((symbol, side_index, price_ticks), 0)

    def _own(self, symbol: str, side_index: int, price: int) -> list[_Queued]:
        return [
            q
            for q in self._orders.values()
            if q.symbol == symbol and q.side_index == side_index and q.price_ticks == price
        ]

    def on_book_level(self, symbol: str, side_index: int, price_ticks: int, size: int) -> None:
        key = (symbol, side_index, price_ticks)
        before = self._levels.get(key, 0)
        if size > 0:
            self._levels[key] = size
        else:
            self._levels.pop(key, None)
        own = self._own(symbol, side_index, price_ticks)
        if not own:
            return
        own_lots = sum(q.qty for q in own)
        others_before = max(0, before - own_lots)
        dropped = max(0, before - max(size, 0))
        for q in own:
            if dropped and others_before:
                q.ahead -= dropped * q.ahead // others_before
            q.ahead = max(0, min(q.ahead, max(size, 0) - own_lots))

    def on_trade(self, symbol: str, price_ticks: int, size: int) -> None:
        for side_index in (0, 1):
            key = (symbol, side_index, price_ticks)
            if key in self._levels:
                self._levels[key] = max(0, self._levels[key] - size)
        for q in self._orders.values():
            if q.symbol != symbol:
                continue
            through = (
                price_ticks < q.price_ticks if q.side_index == 0 else price_ticks > q.price_ticks
            )
            if through:
                q.ahead = 0
            elif price_ticks == q.price_ticks:
                q.ahead = max(0, q.ahead - size)

    def place(
        self, order_id: str, symbol: str, side_index: int, price_ticks: int, qty: int
    ) -> None:
        ahead = self.level_size(symbol, side_index, price_ticks)
        self._orders[order_id] = _Queued(symbol, side_index, price_ticks, qty, ahead)

    def resize(self, order_id: str, price_ticks: int, qty: int) -> None:
        """A fill or a replace: same price and no more lots keeps the place in the queue."""
        q = self._orders.get(order_id)
        if q is None:
            return
        if price_ticks != q.price_ticks or qty > q.qty:
            self.place(order_id, q.symbol, q.side_index, price_ticks, qty)
        else:
            q.qty = qty

    def remove(self, order_id: str) -> None:
        self._orders.pop(order_id, None)

    def ahead(self, order_id: str) -> int | None:
        q = self._orders.get(order_id)
        return q.ahead if q is not None else None
