"""`bench matching`: orders per second through the in-process matching engine.

The stream is generated up front (seeded) so only matching is timed: passive limits around the
touch, marketable limits, market and IOC orders, stops and cancels, in proportions close to an
active futures book (most messages are adds and cancels, a minority trade).
"""

from __future__ import annotations

import random
import time
from typing import Any

from bot._native import compiled
from bot.exchange.matching import MatchingEngine
from bot.exchange.orders import BUY, DAY, IOC, LIMIT, MARKET, SELL, STOP, STOP_LIMIT, SimOrder

Op = tuple[int, SimOrder | int]  # (0, order) submit, (1, id) cancel, (2, id) replace


def mixed_stream(n: int, seed: int = 7, mid: int = 20_000) -> list[Op]:
    """`n` operations: ~50% passive limits, ~25% cancels, ~5% replaces, ~12% marketable,
    ~5% IOC, ~3% stops."""
    rng = random.Random(seed)
    ops: list[Op] = []
    live: list[int] = []
    next_id = 1
    for _ in range(n):
        r = rng.random()
        if r < 0.25 and live:
            k = rng.randrange(len(live))
            live[k], live[-1] = live[-1], live[k]
            ops.append((1, live.pop()))
            continue
        if r < 0.30 and live:
            ops.append((2, live[rng.randrange(len(live))]))
            continue
        side = BUY if rng.random() < 0.5 else SELL
        sign = -1 if side == BUY else 1
        if r < 0.80:
            price = mid + sign * rng.randint(1, 8)
            order = SimOrder(next_id, side, LIMIT, rng.randint(1, 10), price, tif=DAY)
            live.append(next_id)
        elif r < 0.92:
            if rng.random() < 0.5:
                order = SimOrder(next_id, side, MARKET, rng.randint(1, 5))
            else:
                order = SimOrder(next_id, side, LIMIT, rng.randint(1, 8), mid - sign * 2)
                live.append(next_id)
        elif r < 0.97:
            order = SimOrder(next_id, side, LIMIT, rng.randint(1, 5), mid - sign, tif=IOC)
        else:
            stop = mid - sign * rng.randint(2, 6)
            if rng.random() < 0.5:
                order = SimOrder(next_id, side, STOP, rng.randint(1, 3), stop_px=stop)
            else:
                order = SimOrder(next_id, side, STOP_LIMIT, 1, stop - sign, stop_px=stop)
            live.append(next_id)
        ops.append((0, order))
        next_id += 1
    return ops


def run_matching_bench(n: int = 200_000, seed: int = 7) -> dict[str, Any]:
    """Submit and cancel `n` operations; events are drained as the venue would.

    Wall-clock and CPU-time rates: on a shared machine the CPU time is the steadier of the two.
    `compiled` says which path ran (`bot._native`)."""
    ops = mixed_stream(n, seed)
    engine = MatchingEngine()
    submit = engine.submit
    cancel = engine.cancel
    orders = engine.orders
    events = engine.events
    fills = 0
    replace = engine.replace
    start = time.perf_counter()
    cpu_start = time.process_time()
    for kind, item in ops:
        if isinstance(item, SimOrder):
            submit(item)
        else:
            order = orders.get(item)
            if order is None:
                pass
            elif kind == 1:
                cancel(order)
            elif order.price is not None:  # one tick away from the touch, one lot more
                step = -1 if order.side == BUY else 1
                replace(order, order.qty + 1, order.price + step, order.stop_px)
        if len(events) > 512:
            fills += len(events)
            events.clear()
            engine.touched.clear()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    fills += len(events)
    return {
        "benchmark": "matching",
        "operations": n,
        "seconds": round(elapsed, 4),
        "orders_per_s": round(n / elapsed),
        "cpu_seconds": round(cpu, 4),
        "orders_per_cpu_s": round(n / cpu) if cpu > 0 else None,
        "compiled": compiled(),
        "events": fills,
        "trades": engine.match_count,
        "resting_orders": len(engine.book),
        "seed": seed,
    }
