"""An instrument's top of book from MBP-1 records: an L2 book of one level per side, plus tape.

Each MBP-1 record carries the event (add, cancel, modify, trade...) and the top of book after it,
so the top is replaced on every record and the event only feeds the tape.  Phase and integrity
follow `MboBook`'s rules: pre-open until the first trade, a locked or crossed top at an F_LAST
point in continuous trading marks the book invalid until `reset`.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.book.codes import ASK, BID, F_LAST, TRADE
from bot.book.l2 import PriceBook
from bot.book.mbo import Phase
from bot.book.tape import TradeTape

Mbp1Record = tuple[int, int, int, int, int, int, int | None, int, int, int | None, int, int]
"""(ts_recv, action, side, price, size, flags, bid_px, bid_sz, bid_ct, ask_px, ask_sz, ask_ct)."""


class Mbp1Book:
    """Top of book and trades from an MBP-1 feed; see the module docstring."""

    def __init__(self, *, phase: Phase = Phase.PRE_OPEN, tape_capacity: int = 10_000) -> None:
        self.book = PriceBook()
        self.tape = TradeTape(tape_capacity)
        self.phase = phase
        self.valid = True
        self.invalid_reason = ""
        self.anomalies: dict[str, int] = {}
        self.crossed_preopen = 0
        self.records = 0
        self.last_ts_recv = 0

    def reset(self) -> None:
        """Start again from an empty, valid book (after a reconnect or a snapshot)."""
        self.book.clear()
        self.valid = True
        self.invalid_reason = ""

    def replay(self, records: Iterable[Mbp1Record]) -> int:
        book, tape = self.book, self.tape
        count = 0
        for ts, action, side, price, size, flags, bpx, bsz, bct, apx, asz, act in records:
            count += 1
            self.last_ts_recv = ts
            book.set_top(BID, bpx, bsz, bct)
            book.set_top(ASK, apx, asz, act)
            if action == TRADE:
                tape.record(ts, price, size, side)
                self.phase = Phase.CONTINUOUS
            if flags & F_LAST and book.is_locked_or_crossed():
                if self.phase is Phase.PRE_OPEN:
                    self.crossed_preopen += 1
                else:
                    self.anomalies["crossed_book"] = self.anomalies.get("crossed_book", 0) + 1
                    if self.valid:
                        self.valid = False
                        self.invalid_reason = f"crossed_book at ts_recv {ts}"
        self.records += count
        return count
