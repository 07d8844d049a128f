"""Run `bench matching`'s seeded stream through the engine and print, as JSON, every event, the
touched levels at each drain and the final book (a subprocess of test_compiled_matching.py)."""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

from bot import _native
from bot.exchange.bench import mixed_stream
from bot.exchange.events import Accepted, Canceled, Event, Fill, Replaced, Trade, Triggered
from bot.exchange.matching import MatchingEngine
from bot.exchange.orders import BUY, SimOrder


def _event(e: Event) -> list[Any]:
    if isinstance(e, Fill):
        return ["F", e.order.order_id, e.price, e.qty, e.match_id, e.aggressor, e.cum_qty,
                e.notional]  # fmt: skip
    if isinstance(e, Trade):
        return ["T", e.price, e.qty, e.aggressor_side, e.match_id]
    if isinstance(e, Canceled):
        return ["C", e.order.order_id, e.reason]
    if isinstance(e, Replaced):
        return ["R", e.order.order_id, e.cum_qty, e.notional]
    if isinstance(e, Accepted):
        return ["A", e.order.order_id]
    if isinstance(e, Triggered):
        return ["S", e.order.order_id]
    raise TypeError(e)


def run(n: int, seed: int) -> dict[str, Any]:
    engine = MatchingEngine()
    digest = hashlib.sha256()
    count = 0
    orders: dict[int, SimOrder] = {}
    for kind, item in mixed_stream(n, seed):
        if isinstance(item, SimOrder):
            orders[item.order_id] = item
            engine.submit(item)
        else:
            order = engine.orders.get(item)
            if order is None:
                pass
            elif kind == 1:
                engine.cancel(order)
            elif order.price is not None:
                step = -1 if order.side == BUY else 1
                engine.replace(order, order.qty + 1, order.price + step, order.stop_px)
        for e in engine.events:
            digest.update(json.dumps(_event(e)).encode())
            count += 1
        engine.events.clear()
        digest.update(json.dumps(engine.touched_levels()).encode())
        engine.touched.clear()
    book = engine.book
    return {
        "compiled": _native.compiled(),
        "events": count,
        "digest": digest.hexdigest(),
        "trades": engine.match_count,
        "last_trade": engine.last_trade,
        "book": {
            str(side): [[p, book.orders_at(side, p)] for p in list(book.prices(side))]
            for side in (0, 1)
        },
        "orders": sorted(
            [o.order_id, o.status, o.cum_qty, o.notional, o.qty, o.price, o.stop_px, o.triggered]
            for o in orders.values()
        ),
        "working": sorted(engine.orders),
        "stops": [o for o in sorted(engine.orders) if engine.has_stop(o)],
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]), int(sys.argv[2]))))
