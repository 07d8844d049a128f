"""The same MBO file through NautilusTrader's L3 book, measured like `topstep-quant bench book`.

Runs in a throwaway environment, not the project's (`make bench-nautilus` creates it):

    uv venv --python 3.11 /tmp/venv-nt
    uv pip install --python /tmp/venv-nt/bin/python nautilus-trader==1.221.0
    /tmp/venv-nt/bin/python bench/nautilus_book.py FILE [--passes 15]

Decoding (NautilusTrader's own Databento loader, to `OrderBookDelta` objects) is not timed.  Each
timed pass applies every delta to a fresh `OrderBook(BookType.L3_MBO)` and reads best bid/ask
price and size at every delta flagged F_LAST, as the project's bench reads its top of book; a
second mode applies each F_LAST event as one `OrderBookDeltas` batch.  Prints one JSON object:
median-pass, best-pass and CPU-time rates, one delta at a time and batched, plus peak RSS.  The
loader drops trades (T records), so NautilusTrader applies fewer records than the project's book
from the same file.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import time
from typing import Any

from nautilus_trader.adapters.databento.loaders import DatabentoDataLoader
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import OrderBookDelta, OrderBookDeltas
from nautilus_trader.model.enums import BookType

F_LAST = 1 << 7


# The top-of-book read is written out in both loops, not shared in a helper: a Python call per
# F_LAST would be charged to NautilusTrader's time (our compiled replay has no such call).


def one_at_a_time(deltas: list[OrderBookDelta]) -> tuple[float, float, Any]:
    book = OrderBook(deltas[0].instrument_id, BookType.L3_MBO)
    top: Any = None
    start, start_cpu = time.perf_counter(), time.process_time()
    for delta in deltas:
        book.apply_delta(delta)
        if delta.flags & F_LAST:
            top = (
                book.best_bid_price(),
                book.best_bid_size(),
                book.best_ask_price(),
                book.best_ask_size(),
            )
    return time.perf_counter() - start, time.process_time() - start_cpu, top


def batched(events: list[OrderBookDeltas]) -> tuple[float, float, Any]:
    book = OrderBook(events[0].instrument_id, BookType.L3_MBO)
    top: Any = None
    start, start_cpu = time.perf_counter(), time.process_time()
    for event in events:
        book.apply_deltas(event)
        top = (
            book.best_bid_price(),
            book.best_bid_size(),
            book.best_ask_price(),
            book.best_ask_size(),
        )
    return time.perf_counter() - start, time.process_time() - start_cpu, top


def events_of(deltas: list[OrderBookDelta]) -> list[OrderBookDeltas]:
    """Deltas grouped into one batch per event (up to and including each F_LAST)."""
    out: list[OrderBookDeltas] = []
    pending: list[OrderBookDelta] = []
    for delta in deltas:
        pending.append(delta)
        if delta.flags & F_LAST:
            out.append(OrderBookDeltas(delta.instrument_id, pending))
            pending = []
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--passes", type=int, default=15)
    args = parser.parse_args()
    deltas = [
        d
        for d in DatabentoDataLoader().from_dbn_file(args.file, as_legacy_cython=True)
        if isinstance(d, OrderBookDelta)
    ]
    events = events_of(deltas)
    gc.collect()
    gc.freeze()
    one_at_a_time(deltas)  # warm-up, untimed
    batched(events)
    single = [one_at_a_time(deltas) for _ in range(args.passes)]
    grouped = [batched(events) for _ in range(args.passes)]
    seconds = statistics.median(s for s, _, _ in single)
    cpu_seconds = statistics.median(c for _, c, _ in single)
    batch_seconds = statistics.median(s for s, _, _ in grouped)
    batch_cpu_seconds = statistics.median(c for _, c, _ in grouped)
    bid, bid_size, ask, ask_size = single[-1][2]
    print(
        json.dumps(
            {
                "engine": "nautilus_trader 1.221.0 OrderBook L3_MBO",
                "deltas": len(deltas),
                "events": len(events),
                "seconds": round(seconds, 6),
                "deltas_per_s": round(len(deltas) / seconds),
                "best_deltas_per_s": round(len(deltas) / min(s for s, _, _ in single)),
                "cpu_deltas_per_s": round(len(deltas) / cpu_seconds),
                "batched_seconds": round(batch_seconds, 6),
                "batched_deltas_per_s": round(len(deltas) / batch_seconds),
                "batched_best_deltas_per_s": round(len(deltas) / min(s for s, _, _ in grouped)),
                "batched_cpu_deltas_per_s": round(len(deltas) / batch_cpu_seconds),
                "passes": args.passes,
                "final_top": [str(bid), str(bid_size), str(ask), str(ask_size)],
                "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


if __name__ == "__main__":
    main()
