"""FIX market data (W snapshots, X incrementals) applied to the project's L2 `PriceBook`.

FIX over TCP cannot skip a message, so a "gap" here is an update the book cannot apply: a change
or delete of a level it does not have, a new level that already exists, or a book left crossed
at the end of a message once the contract trades (the book is read only at message boundaries,
like Databento's F_LAST). Any of those, a MarketDataRequestReject, or a disconnect marks the book
invalid until the next snapshot; the gateway then resubscribes.

Before the first trade print after a snapshot (CME's pre-open and opening auction) a crossed or
locked book is normal, as in the L3 book (`bot.book`): it stays valid and is flagged `crossed`
(not tradable: a market maker stands aside on it); a snapshot that is itself crossed is the
venue's own word and is taken the same way, so a crossed pre-open never loops on resubscribing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bot.book.l2 import PriceBook
from fix.wire import FixFields

BID = "0"
OFFER = "1"
TRADE = "2"
_SIDE = {BID: 0, OFFER: 1}


@dataclass(slots=True)
class LevelBook:
    """One subscribed contract: the L2 `book`, its validity and the last trade."""

    symbol: str
    tick_size: Decimal
    book: PriceBook = field(default_factory=PriceBook)
    valid: bool = False
    last_trade: tuple[int, int] | None = None  # (price ticks, size)
    updates: int = 0
    invalid_reason: str = "no snapshot yet"
    crossed: bool = False  # locked or crossed, tolerated while no trade has printed
    trading: bool = False  # a trade printed since the last snapshot: crossing is a gap now

    def ticks(self, price: str) -> int:
        """Wire price to ticks, snapped to the grid (prices are C++ doubles at the broker)."""
        return round(Decimal(price) / self.tick_size)

    @property
    def bids(self) -> dict[int, int]:
        return {lv.price: lv.size for lv in self.book.depth(0, len(self.book))}

    @property
    def asks(self) -> dict[int, int]:
        return {lv.price: lv.size for lv in self.book.depth(1, len(self.book))}

    def best_bid(self) -> int | None:
        return self.book.best_price(0)

    def best_ask(self) -> int | None:
        return self.book.best_price(1)

    def invalidate(self, reason: str) -> None:
        self.valid = False
        self.invalid_reason = reason

    def apply_snapshot(self, f: FixFields) -> None:
        self.book.clear()
        for entry in f.groups(268, 269):
            side = _SIDE.get(entry.get(269, ""))
            price, size = entry.get(270), entry.get(271)
            if side is None or price is None or size is None:
                continue
            self.book.set_level(side, self.ticks(price), int(Decimal(size)))
        self.valid = True
        self.invalid_reason = ""
        self.trading = False
        self.crossed = self.book.is_locked_or_crossed()

    def apply_entry(self, entry: dict[int, str]) -> bool:
        """One X entry; False when the book cannot apply it (it is then invalid).  Crossing is
        not judged here: within one message a level can be added on one side before the level
        it replaces on the other side is deleted (see `end_of_message`)."""
        self._apply(entry)
        return self.valid

    def end_of_message(self) -> bool:
        """After the last entry of an X message, the book must not be locked or crossed once the
        contract trades (before that it is flagged `crossed`)."""
        if self.valid:
            self._check_crossed()
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
            self.trading = True
            return
        side = _SIDE.get(kind or "")
        if side is None:
            return
        exists = self.book.level(side, price) is not None
        if action == "0" and exists:
            self.invalidate(f"new level {price} already exists")
            return
        if action in ("1", "2") and not exists:
            self.invalidate(f"{'change' if action == '1' else 'delete'} of missing level {price}")
            return
        self.book.set_level(side, price, 0 if action == "2" else size)
        self.updates += 1

    def _check_crossed(self) -> None:
        self.crossed = self.book.is_locked_or_crossed()
        if self.crossed and self.trading:
            self.invalidate(f"crossed book {self.best_bid()} >= {self.best_ask()}")
