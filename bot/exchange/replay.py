"""Replay a real Databento MBO file as the simulator's market.

The real orders rest in the venue's book exactly as recorded, so the bot's passive orders queue
behind the orders already at their price.  A real trade fills a bot order only with the volume
left after the lots ahead of it in the queue (better-priced bot orders fill first).

Approximations (documented): nothing trades in the pre-open before the first real print; real
orders the bot's aggressive orders took are gone from our copy and later records for them are
ignored; a real add that crosses a resting bot order trades with it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.book.codes import ADD, ASK, BID, CANCEL, CLEAR, F_SNAPSHOT, MODIFY, TRADE
from bot.book.mbo import MboRecord
from bot.exchange.orders import LIMIT, SimOrder
from bot.exchange.reports import Report
from bot.exchange.venue import ContractKey, Venue

BUDGET_PER_STEP = 5_000


class ReplayError(Exception):
    """The file cannot be replayed (missing, not MBO, unknown tick size)."""


def _real_id(order_id: int) -> int:
    return -order_id - 1  # negative: never collides with the venue's own order ids


class ReplayFeed:
    """A `MarketSource` that plays MBO records at `speed` times real time."""

    def __init__(
        self,
        venue: Venue,
        records: list[MboRecord],
        key: ContractKey,
        speed: float = 1.0,
        start: float = 0.0,
    ) -> None:
        self.venue = venue
        self.key = key
        self.speed = speed if speed > 0 else 1.0
        self.engine = venue.engine(key)
        self.records = records
        self.applied = 0
        self.bot_fills = 0
        self.continuous = False
        live = [i for i, r in enumerate(records) if not r[5] & F_SNAPSHOT]
        first_live = live[0] if live else len(records)
        for rec in records[:first_live]:
            self._apply(rec)
        self.venue.drain_market_data()
        self.engine.events.clear()
        self._i = first_live
        self._t0 = records[first_live][6] if first_live < len(records) else 0
        self._start = start

    @classmethod
    def from_file(
        cls, venue: Venue, path: Path, speed: float = 1.0, start: float | None = None,
        symbol: str = "MES",
    ) -> ReplayFeed:  # fmt: skip
        import time

        from bot.marketdata.errors import MarketDataError
        from bot.marketdata.replay import decode_mbo_file

        if not path.exists():
            raise ReplayError(f"replay file {path} does not exist")
        tick = venue.instruments[symbol].tick_size
        try:
            by_instrument = decode_mbo_file(path, Decimal(tick))
        except MarketDataError as exc:
            raise ReplayError(f"cannot replay {path}: {exc}") from None
        if not by_instrument:
            raise ReplayError(f"{path} holds no MBO records")
        records = max(by_instrument.values(), key=len)
        return cls(venue, records, venue.contract(symbol), speed,
                   time.monotonic() if start is None else start)  # fmt: skip

    # ------------------------------------------------------------------ MarketSource

    def next_due(self) -> float | None:
        if self._i >= len(self.records):
            return None
        return self._start + (self.records[self._i][6] - self._t0) / 1e9 / self.speed

    def step(self, venue: Venue, now: float) -> list[Report]:
        budget = BUDGET_PER_STEP
        while budget and (due := self.next_due()) is not None and due <= now:
            self._apply(self.records[self._i])
            self._i += 1
            budget -= 1
        return self.venue.drain_reports(self.key)

    def jump(self, ticks: int) -> None:
        """A replay follows the file: price jumps are not injected."""

    def run_all(self) -> list[Report]:
        """Apply every remaining record now (tests, offline studies)."""
        reports: list[Report] = []
        while self._i < len(self.records):
            self._apply(self.records[self._i])
            self._i += 1
            reports += self.venue.drain_reports(self.key)
        return reports

    # ------------------------------------------------------------------ records

    def _apply(self, rec: MboRecord) -> None:
        action, side, price, size, order_id, _flags, _ts, _seq = rec
        self.applied += 1
        engine = self.engine
        book = engine.book
        if action == ADD and side in (BID, ASK) and size > 0:
            if self.continuous:  # in pre-open the real book may cross: nothing trades
                size -= self._cross_bot_orders(side, price, size)
            if size > 0:
                engine.rest(SimOrder(_real_id(order_id), side, LIMIT, size, price))
        elif action == CANCEL:
            oid = _real_id(order_id)
            where = book.get_order(oid)
            if where is not None:
                engine.touch(where.side, where.price)
                book.cancel(oid, size if size > 0 else None)
                if oid not in book:
                    engine.orders.pop(oid, None)
        elif action == MODIFY:
            oid = _real_id(order_id)
            where = book.get_order(oid)
            if where is not None and size > 0:
                engine.touch(where.side, where.price)
                engine.touch(where.side, price)
                book.modify(oid, price, size)
                order = engine.orders.get(oid)
                if order is not None:
                    order.price = price
                    order.qty = size
        elif action == CLEAR:
            for oid in [o for o in book.order_ids() if o < 0]:
                where = book.get_order(oid)
                if where is not None:
                    engine.touch(where.side, where.price)
                book.cancel(oid)
                engine.orders.pop(oid, None)
        elif action == TRADE and size > 0:
            self.continuous = True  # the first print ends the pre-open (as in bot.book.mbo)
            if side in (BID, ASK):
                self._fill_bot_orders(1 - side, price, size)
            engine.record_trade(price, size, side)

    def _bot_orders(self, side: int) -> list[SimOrder]:
        """The FIX owners' resting orders on one side (the venue indexes only those)."""
        book = self.engine.book
        return [o for o in self.venue.working_orders() if o.side == side and o.order_id in book]

    def _fill_bot_orders(self, resting_side: int, price: int, size: int) -> None:
        """A real trade at `price`: bot orders at a better price fill first, then bot orders at
        `price` get what is left after the lots queued ahead of them."""
        candidates = []
        for order in self._bot_orders(resting_side):
            if order.price is None:
                continue
            better = order.price > price if resting_side == BID else order.price < price
            if better or order.price == price:
                ahead = 0 if better else (self.engine.book.queue_position(order.order_id) or 0)
                rank = -order.price if resting_side == BID else order.price
                candidates.append((rank, ahead, order))
        remaining = size
        for _rank, ahead, order in sorted(candidates, key=lambda c: (c[0], c[1])):
            reach = remaining - ahead
            if reach <= 0:
                continue
            filled = self.engine.fill_resting(order, reach)
            self.bot_fills += filled
            remaining -= filled

    def _cross_bot_orders(self, side: int, price: int, size: int) -> int:
        """A real order arriving through a resting bot order trades with it; lots used."""
        used = 0
        opposite = 1 - side
        for order in sorted(self._bot_orders(opposite), key=lambda o: o.price or 0,
                            reverse=opposite == BID):  # fmt: skip
            if order.price is None or used >= size:
                break
            crosses = order.price >= price if opposite == BID else order.price <= price
            if not crosses:
                continue
            filled = self.engine.fill_resting(order, size - used)
            if filled:
                self.engine.record_trade(order.price, filled, side)
                used += filled
                self.bot_fills += filled
        return used
