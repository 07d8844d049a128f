"""A seeded synthetic market: order arrivals, cancels and marketable orders around a fair value.

Shaped after the shared real ES data (spread one tick in ~90% of book states, median top-of-book
size ~20 lots) and switched between regimes so every strategy sleeve meets its conditions:
calm (balanced, thick book), trending (one-sided taking, drifting fair value), mean-reverting
(taking against the move back to an anchor) and volatility shock (thin book, multi-tick gaps).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.exchange.orders import BUY, LIMIT, MARKET, SELL, SimOrder
from bot.exchange.reports import Report
from bot.exchange.venue import ContractKey, Venue
from bot.ops.logs import log_event

log = logging.getLogger("bot.exchange.flow")


class Regime(StrEnum):
    CALM = "calm"
    TRENDING = "trending"
    MEAN_REVERTING = "mean_reverting"
    VOL_SHOCK = "vol_shock"


@dataclass(frozen=True, slots=True)
class RegimeParams:
    take_prob: float  # share of events that are marketable orders
    bias: float  # buy probability of a marketable order minus 0.5 (trend sign applied)
    top_target: int  # lots wanted at the touch
    levels: int  # levels kept per side
    mean_seconds: float  # average time spent in this regime
    gap_prob: float = 0.0  # chance per event of a multi-tick gap


REGIMES: Mapping[Regime, RegimeParams] = {
    Regime.CALM: RegimeParams(0.10, 0.0, 22, 10, 120.0),
    Regime.TRENDING: RegimeParams(0.18, 0.22, 18, 10, 90.0),
    Regime.MEAN_REVERTING: RegimeParams(0.16, 0.25, 20, 10, 90.0),
    Regime.VOL_SHOCK: RegimeParams(0.30, 0.10, 8, 6, 20.0, gap_prob=0.01),
}
TRANSITIONS: Mapping[Regime, tuple[Regime, ...]] = {
    Regime.CALM: (Regime.TRENDING, Regime.MEAN_REVERTING, Regime.VOL_SHOCK),
    Regime.TRENDING: (Regime.CALM, Regime.MEAN_REVERTING, Regime.VOL_SHOCK),
    Regime.MEAN_REVERTING: (Regime.CALM, Regime.TRENDING),
    Regime.VOL_SHOCK: (Regime.CALM, Regime.MEAN_REVERTING),
}
CANCEL_PROB = 0.45  # share of events that cancel a resting order (when the book is full)
TOP_CANCEL_PROB = 0.31  # share of those cancels that pull an order at the touch
REFILL_PROB = 0.12  # chance per event that a wide spread gets an improving order
START_TICKS: Mapping[str, int] = {"MES": 24_000, "MNQ": 84_000}  # 6000.00 and 21000.00


@dataclass(slots=True)
class ContractFlow:
    key: ContractKey
    anchor: int
    regime: Regime = Regime.CALM
    regime_left: float = 60.0
    trend_sign: int = 1
    live: list[int] = field(default_factory=list)  # our resting order ids
    regimes_seen: set[Regime] = field(default_factory=set)


class SyntheticFlow:
    """Drives one or more contracts of a `Venue`; deterministic for a seed and event count."""

    def __init__(
        self,
        venue: Venue,
        symbols: tuple[str, ...] = ("MES", "MNQ"),
        seed: int = 1,
        events_per_s: float = 40.0,
        speed: float = 1.0,
        start: float = 0.0,
    ) -> None:
        self.venue = venue
        self.rng = random.Random(seed)
        self.interval = 1.0 / (events_per_s * speed)
        self.dt = 1.0 / events_per_s  # market time per event
        self.contracts = [
            ContractFlow(venue.contract(s), START_TICKS.get(s, 10_000)) for s in symbols
        ]
        self._due = start
        self._pending_jump = 0
        self.events = 0
        # reports the seeding owes FIX owners (their orders restored from the venue's journal
        # can fill against the new book): sent with the first step
        self._backlog: list[Report] = []
        for flow in self.contracts:
            self._backlog += self._seed_book(flow)

    # ------------------------------------------------------------------ MarketSource

    def next_due(self) -> float | None:
        return self._due

    def step(self, venue: Venue, now: float) -> list[Report]:
        reports, self._backlog = self._backlog, []
        budget = 1_000
        while self._due <= now and budget:
            reports += self.one_event()
            self._due += self.interval
            budget -= 1
        if self._due <= now:  # far behind (e.g. a paused process): do not try to catch up
            self._due = now + self.interval
        return reports

    def jump(self, ticks: int) -> None:
        self._pending_jump += ticks

    # ------------------------------------------------------------------ events

    def one_event(self) -> list[Report]:
        """One market event on a random contract (public for offline statistics)."""
        self.events += 1
        flow = self.contracts[self.rng.randrange(len(self.contracts))]
        reports: list[Report] = []
        if self._pending_jump:
            ticks, self._pending_jump = self._pending_jump, 0
            for each in self.contracts:
                reports += self._gap(each, ticks)
        self._advance_regime(flow)
        params = REGIMES[flow.regime]
        if params.gap_prob and self.rng.random() < params.gap_prob:
            reports += self._gap(flow, self.rng.choice((-1, 1)) * self.rng.randint(2, 6))
        r = self.rng.random()
        if r < params.take_prob:
            reports += self._take(flow, params)
        elif (
            r < params.take_prob + CANCEL_PROB
            and len(flow.live) > params.levels * params.top_target // 2
        ):
            self._cancel_random(flow)
        else:
            reports += self._add_passive(flow, params)
        reports += self._replenish(flow, params)
        return reports

    def _advance_regime(self, flow: ContractFlow) -> None:
        flow.regimes_seen.add(flow.regime)
        flow.regime_left -= self.dt * len(self.contracts)
        if flow.regime_left > 0:
            return
        flow.regime = self.rng.choice(TRANSITIONS[flow.regime])
        flow.regime_left = self.rng.expovariate(1.0 / REGIMES[flow.regime].mean_seconds)
        flow.trend_sign = self.rng.choice((-1, 1))
        flow.anchor = self._mid(flow) or flow.anchor
        log_event(log, "market_regime", symbol=flow.key[0], regime=str(flow.regime),
                  seconds=round(flow.regime_left, 1), direction=flow.trend_sign)  # fmt: skip

    def _mid(self, flow: ContractFlow) -> int | None:
        book = self.venue.engine(flow.key).book
        bid, ask = book.best_price(BUY), book.best_price(SELL)
        if bid is None or ask is None:
            return bid if ask is None else ask
        return (bid + ask) // 2

    def _submit(
        self, flow: ContractFlow, side: int, ord_type: int, qty: int, price: int | None
    ) -> list[Report]:
        order = SimOrder(self.venue.new_order_id(), side, ord_type, qty, price)
        reports = self.venue.submit_anonymous(flow.key, order)
        if ord_type == LIMIT and order.is_open:
            flow.live.append(order.order_id)
        return reports

    def _size(self, mean: float) -> int:
        return max(1, min(60, int(self.rng.expovariate(1.0 / mean)) + 1))

    def _add_passive(self, flow: ContractFlow, params: RegimeParams) -> list[Report]:
        book = self.venue.engine(flow.key).book
        side = BUY if self.rng.random() < 0.5 else SELL
        best = book.best_price(side)
        other = book.best_price(1 - side)
        sign = -1 if side == BUY else 1
        if best is None:
            ref = other + sign if other is not None else flow.anchor
            return self._submit(flow, side, LIMIT, self._size(4), ref)
        if other is not None and abs(other - best) > 1 and self.rng.random() < REFILL_PROB:
            return self._submit(flow, side, LIMIT, self._size(4), best - sign)  # improve
        depth = min(int(self.rng.expovariate(0.45)), params.levels - 1)
        return self._submit(flow, side, LIMIT, self._size(4), best + sign * depth)

    def _take(self, flow: ContractFlow, params: RegimeParams) -> list[Report]:
        buy_prob = 0.5
        if flow.regime is Regime.TRENDING:
            buy_prob += params.bias * flow.trend_sign
        elif flow.regime is Regime.MEAN_REVERTING:
            mid = self._mid(flow) or flow.anchor
            buy_prob += params.bias * (1 if mid < flow.anchor else -1 if mid > flow.anchor else 0)
        elif flow.regime is Regime.VOL_SHOCK:
            buy_prob += params.bias * flow.trend_sign
        side = BUY if self.rng.random() < buy_prob else SELL
        size = self._size(3 if flow.regime is not Regime.VOL_SHOCK else 8)
        return self._submit(flow, side, MARKET, size, None)

    def _cancel_random(self, flow: ContractFlow) -> None:
        engine = self.venue.engine(flow.key)
        if self.rng.random() < TOP_CANCEL_PROB:
            side = BUY if self.rng.random() < 0.5 else SELL
            front = engine.book.front_order(side)
            order = engine.orders.get(front[0]) if front is not None else None
            if order is not None and order.owner is None:
                engine.cancel(order, "flow")
                return
        while flow.live:
            k = self.rng.randrange(len(flow.live))
            flow.live[k], flow.live[-1] = flow.live[-1], flow.live[k]
            oid = flow.live.pop()
            order = engine.orders.get(oid)
            if order is not None:
                engine.cancel(order, "flow")
                return

    def _replenish(self, flow: ContractFlow, params: RegimeParams) -> list[Report]:
        """Keep both sides quoted, the spread mostly one tick and the top near its target."""
        book = self.venue.engine(flow.key).book
        reports: list[Report] = []
        for side in (BUY, SELL):
            sign = -1 if side == BUY else 1
            best = book.best_price(side)
            other = book.best_price(1 - side)
            if best is None:
                ref = (other + sign) if other is not None else flow.anchor + sign
                reports += self._submit(flow, side, LIMIT, params.top_target, ref)
                continue
            if other is not None and abs(other - best) > 1 and self.rng.random() < REFILL_PROB:
                reports += self._submit(flow, side, LIMIT, self._size(6), best - sign)
            elif book.level_size(side, best) < params.top_target // 3:
                reports += self._submit(flow, side, LIMIT, self._size(8), best)
            levels = 0
            for _ in book.prices(side):
                levels += 1
                if levels >= params.levels:
                    break
            if levels < params.levels:
                worst = list(book.prices(side))[-1]
                reports += self._submit(flow, side, LIMIT, self._size(10), worst + sign)
        flow.live[:] = [oid for oid in flow.live if oid in self.venue.engine(flow.key).orders]
        return reports

    def _gap(self, flow: ContractFlow, ticks: int) -> list[Report]:
        """A multi-tick gap: liquidity vanishes over `ticks`, one print lands beyond it."""
        engine = self.venue.engine(flow.key)
        book = engine.book
        side_taken = SELL if ticks > 0 else BUY  # an up-gap removes offers
        start = book.best_price(side_taken)
        if start is None:
            return []
        limit = start + ticks - (1 if ticks > 0 else -1)
        for oid in list(flow.live):
            order = engine.orders.get(oid)
            if order is None or order.side != side_taken or order.price is None:
                continue
            if (ticks > 0 and order.price <= limit) or (ticks < 0 and order.price >= limit):
                engine.cancel(order, "gap")
        reports = self._submit(flow, 1 - side_taken, MARKET, 1, None)
        flow.anchor += ticks
        return reports

    def _seed_book(self, flow: ContractFlow) -> list[Report]:
        params = REGIMES[flow.regime]
        reports: list[Report] = []
        for level in range(params.levels):
            for side, sign in ((BUY, -1), (SELL, 1)):
                price = flow.anchor + sign * (level + (1 if side == SELL else 0))
                for _ in range(3):
                    reports += self._submit(flow, side, LIMIT, self._size(6), price)
        self.venue.drain_market_data()
        return reports
