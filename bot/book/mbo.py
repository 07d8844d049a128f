"""An instrument's book as fed by market-by-order records: L3 book + trading phase + integrity.

Records are plain int tuples (see `MboRecord`), decoded once from Databento DBN by
`bot.marketdata.records`, so the replay loop compares small ints and allocates almost nothing.

Semantics (Databento MBO, i.e. CME MDP 3.0): A adds; C takes `size` lots off an order (removed at
0); M changes price and/or size (priority lost on a price change or size increase); R clears the
book; T (trade, side = aggressor) and F (fill of a resting order) leave the book alone.  The book
is consistent only after a record flagged F_LAST.  Records flagged F_SNAPSHOT replay the full
book: the first one clears it, and a snapshot or an R is what makes an invalid book valid again.

Phase: the book starts in PRE_OPEN, where CME lets bids and asks cross until the opening auction.
The first live trade (T or F) ends the pre-open: the opening auction's print is the first trade of
the session, and MBO files carry no security-status records to say so otherwise.  A live feed with
status messages can call `set_phase` instead.

Integrity: a locked or crossed book at an F_LAST point in CONTINUOUS, an update for an unknown
order, a duplicate add, a bad side, or a sequence number going backwards marks the book invalid
(`valid` False, `on_state` called) until the next clear or snapshot.  Nothing raises: every
anomaly is counted in `anomalies`.  A per-instrument DBN file cannot reveal *gaps* (CME sequence
numbers are per channel, shared with other instruments), so a live handler that sees the channel
sequence calls `mark_gap`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import IntEnum

from bot.book.codes import ADD, CANCEL, CLEAR, F_LAST, F_SNAPSHOT, FILL, MODIFY, TRADE
from bot.book.l3 import OrderBook
from bot.book.tape import Trade, TradeTape

MboRecord = tuple[int, int, int, int, int, int, int, int]
"""(action, side, price_ticks, size, order_id, flags, ts_recv_ns, sequence), codes from codes.py."""

StateListener = Callable[[bool, str], None]
LastListener = Callable[["MboBook"], None]
TradeListener = Callable[[Trade], None]


class Phase(IntEnum):
    PRE_OPEN = 0
    CONTINUOUS = 1


class MboBook:
    """One instrument's L3 book kept from an MBO feed; see the module docstring for the rules.

    `bid_px, bid_sz, ask_px, ask_sz` hold the top of book as of the last F_LAST (None / 0 for an
    empty side): the only moments the book is consistent, so readers never see a half-applied
    event.  `book` is the live L3 book for depth, queues and orders.  (The top is kept in plain
    int fields and a price is made None-able only when read: the compiled replay then publishes
    it at every F_LAST without allocating.)
    """

    __slots__ = (
        "_ask",
        "_bid",
        "_has_ask",
        "_has_bid",
        "anomalies",
        "ask_sz",
        "bid_sz",
        "book",
        "crossed_preopen",
        "in_snapshot",
        "invalid_reason",
        "last_sequence",
        "last_ts_recv",
        "on_state",
        "on_trade",
        "phase",
        "records",
        "tape",
        "valid",
    )

    def __init__(
        self,
        *,
        phase: Phase = Phase.PRE_OPEN,
        tape_capacity: int = 10_000,
        on_state: StateListener | None = None,
        on_trade: TradeListener | None = None,
    ) -> None:
        self.book = OrderBook()
        self.tape = TradeTape(tape_capacity)
        self.phase = phase
        self.valid = True
        self.invalid_reason = ""
        self.anomalies: dict[str, int] = {}
        self.crossed_preopen = 0  # F_LAST points with a crossed/locked book before the open
        self.records = 0
        self.last_ts_recv = 0
        self.last_sequence = 0
        self.in_snapshot = False
        self._bid = self._ask = 0  # prices of the published top, valid when _has_bid/_has_ask
        self._has_bid = self._has_ask = False
        self.bid_sz = 0
        self.ask_sz = 0
        self.on_state = on_state
        self.on_trade = on_trade

    @property
    def bid_px(self) -> int | None:
        """Best bid price (ticks) as of the last F_LAST, None when the side was empty."""
        return self._bid if self._has_bid else None

    @property
    def ask_px(self) -> int | None:
        """Best ask price (ticks) as of the last F_LAST, None when the side was empty."""
        return self._ask if self._has_ask else None

    @property
    def tradable(self) -> bool:
        """Safe to quote on: valid, in continuous trading, and neither locked nor crossed."""
        crossed = self._has_bid and self._has_ask and self._bid >= self._ask
        return self.valid and self.phase is Phase.CONTINUOUS and not crossed

    # ---------------------------------------------------------------- state changes

    def set_phase(self, phase: Phase) -> None:
        self.phase = phase

    def mark_gap(self, detail: str = "") -> None:
        """A sequence gap seen by the live channel handler: the book cannot be trusted."""
        self._anomaly("sequence_gap", detail)

    def _anomaly(self, kind: str, detail: str = "") -> None:
        self.anomalies[kind] = self.anomalies.get(kind, 0) + 1
        if self.valid:
            self.valid = False
            self.invalid_reason = f"{kind} {detail}".strip()
            if self.on_state is not None:
                self.on_state(False, self.invalid_reason)

    def _rebuild(self) -> None:
        """Clear the book for an R or the start of a snapshot; the book is valid again."""
        self.book.clear()
        self._has_bid = self._has_ask = False
        self.bid_sz = self.ask_sz = 0
        if not self.valid:
            self.valid = True
            self.invalid_reason = ""
            if self.on_state is not None:
                self.on_state(True, "rebuilt")

    # ---------------------------------------------------------------- applying records

    def apply(self, record: MboRecord) -> None:
        """Apply one record (the live path); `replay` is the same logic for many."""
        self.replay((record,))

    def replay(self, records: Iterable[MboRecord], on_last: LastListener | None = None) -> int:
        """Apply records in order; publish the top and call `on_last(self)` at each F_LAST.

        The hot path (compiled with mypyc when available, see `bot._native`): one `OrderBook`
        call per record, and at each F_LAST the top read from the sides' cached best levels.
        Returns the number of records applied.
        """
        book = self.book
        bids, asks = book.bids, book.asks
        in_snapshot = self.in_snapshot
        last_seq = self.last_sequence
        ts = self.last_ts_recv
        count = 0
        for action, side, price, size, oid, flags, ts, seq in records:
            count += 1
            if flags & F_SNAPSHOT:
                if not in_snapshot:
                    in_snapshot = self.in_snapshot = True
                    self._rebuild()
            else:
                if in_snapshot:
                    in_snapshot = self.in_snapshot = False
                    last_seq = 0
                if seq < last_seq:
                    self._anomaly("sequence_backwards", f"{seq} after {last_seq}")
                last_seq = seq
            if action == ADD:
                if not book.add(oid, side, price, size):
                    self._anomaly("duplicate_add" if oid in book else "bad_add", str(oid))
            elif action == CANCEL:
                if not book.cancel(oid, size):
                    self._anomaly("bad_cancel" if oid in book else "unknown_order", str(oid))
            elif action == MODIFY:
                if not book.modify(oid, price, size):
                    self._bad_modify(oid, side, price, size)
            elif action == CLEAR:
                self._rebuild()
            elif action == FILL:
                if not in_snapshot and self.phase is Phase.PRE_OPEN:
                    self.phase = Phase.CONTINUOUS
            elif action == TRADE:
                self._trade(price, size, side, ts, in_snapshot)
            if flags & F_LAST:
                self.last_ts_recv = ts
                bid = bids.best
                ask = asks.best
                if bid is None:
                    self._has_bid = False
                    self.bid_sz = 0
                else:
                    self._has_bid = True
                    self._bid = bid.price
                    self.bid_sz = bid.size
                if ask is None:
                    self._has_ask = False
                    self.ask_sz = 0
                else:
                    self._has_ask = True
                    self._ask = ask.price
                    self.ask_sz = ask.size
                    if bid is not None and bid.price >= ask.price and not in_snapshot:
                        self._crossed(ts)
                if on_last is not None:
                    on_last(self)
        self.last_sequence = last_seq
        self.last_ts_recv = ts
        self.records += count
        return count

    def _bad_modify(self, oid: int, side: int, price: int, size: int) -> None:
        if oid in self.book:
            self._anomaly("bad_modify", str(oid))
        else:
            # Databento's reference book treats it as an add; the book is still marked invalid.
            self.book.add(oid, side, price, size)
            self._anomaly("unknown_order", str(oid))

    def _trade(self, price: int, size: int, aggressor: int, ts: int, snap: bool) -> None:
        if snap:
            return
        if self.phase is Phase.PRE_OPEN:
            self.phase = Phase.CONTINUOUS
        trade = self.tape.record(ts, price, size, aggressor)
        if self.on_trade is not None:
            self.on_trade(trade)

    def _crossed(self, ts: int) -> None:
        if self.phase is Phase.PRE_OPEN:
            self.crossed_preopen += 1
        else:
            self._anomaly("crossed_book", f"at ts_recv {ts}")
