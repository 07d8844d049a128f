"""Replay one MBO file and print everything the book showed, as JSON (run as a script).

`python tests/book/replay_dump.py FILE` in a process of its own, so that the compiled core or
the pure-Python sources (TOPSTEP_PURE_PYTHON=1) are chosen for the whole replay: the top of book
at every F_LAST, then the final book in full (every level, every queue in priority order), the
state flags and the anomaly counts, per instrument.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bot import _native
from bot.book.mbo import MboBook
from bot.book.types import Side
from bot.marketdata.replay import replay_mbo_file


def dump(path: str) -> dict[str, Any]:
    current: list[tuple[int | None, int, int | None, int]] = []

    def on_last(feed: MboBook) -> None:
        current.append((feed.bid_px, feed.bid_sz, feed.ask_px, feed.ask_sz))

    replay = replay_mbo_file(path, on_last=on_last)  # one instrument per shared file
    books: dict[str, Any] = {}
    for instrument_id, feed in replay.books.items():
        book = feed.book
        books[str(instrument_id)] = {
            "tops": current,
            "records": feed.records,
            "orders": len(book),
            "valid": feed.valid,
            "phase": feed.phase.name,
            "anomalies": feed.anomalies,
            "crossed_preopen": feed.crossed_preopen,
            "trades": [feed.tape.count, feed.tape.volume],
            "levels": {
                side.name: [
                    [lv.price, lv.size, lv.orders, book.orders_at(side, lv.price)]
                    for lv in book.depth(side, len(book) + 1)
                ]
                for side in (Side.BID, Side.ASK)
            },
        }
    return {"compiled": _native.compiled(), "books": books}


if __name__ == "__main__":
    json.dump(dump(sys.argv[1]), sys.stdout)
