"""A deliberately simple reference book for tests: a dict of orders, aggregated per price on demand.

Priority is an ever-increasing stamp per order; no sorted containers, no caching, no cleverness.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RefOrder:
    side: int
    price: int
    size: int
    stamp: int


@dataclass
class ReferenceBook:
    orders: dict[int, RefOrder] = field(default_factory=dict)
    clock: int = 0

    def _stamp(self) -> int:
        self.clock += 1
        return self.clock

    def add(self, oid: int, side: int, price: int, size: int) -> bool:
        if oid in self.orders or size <= 0 or side not in (0, 1):
            return False
        self.orders[oid] = RefOrder(side, price, size, self._stamp())
        return True

    def cancel(self, oid: int, size: int | None = None) -> bool:
        order = self.orders.get(oid)
        if order is None or (size is not None and size <= 0):
            return False
        if size is None or size >= order.size:
            del self.orders[oid]
        else:
            order.size -= size
        return True

    def modify(self, oid: int, price: int, size: int) -> bool:
        order = self.orders.get(oid)
        if order is None or size <= 0:
            return False
        if price != order.price or size > order.size:
            order.stamp = self._stamp()
        order.price = price
        order.size = size
        return True

    def clear(self) -> None:
        self.orders.clear()

    def depth(self, side: int, n: int) -> list[tuple[int, int, int]]:
        agg: dict[int, list[int]] = {}
        for o in self.orders.values():
            if o.side == side:
                row = agg.setdefault(o.price, [0, 0])
                row[0] += o.size
                row[1] += 1
        prices = sorted(agg, reverse=(side == 0))[:n]
        return [(p, agg[p][0], agg[p][1]) for p in prices]

    def queue(self, side: int, price: int) -> list[tuple[int, int]]:
        at = [
            (o.stamp, oid, o.size)
            for oid, o in self.orders.items()
            if (o.side, o.price) == (side, price)
        ]
        return [(oid, size) for _, oid, size in sorted(at)]

    def queue_position(self, oid: int) -> int:
        o = self.orders[oid]
        return sum(
            size
            for other, size in self.queue(o.side, o.price)
            if other != oid and self.orders[other].stamp < o.stamp
        )
