"""A real risk engine, portfolio and execution engine wired to a tiny venue that turns commands
into events: it acknowledges (or rejects, or stays silent), fills IOC and market orders at its
price, rests quotes and stops, and fills them when the price moves through them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.execution import ExecutionConfig, ExecutionEngine, ExecutionOutput, RiskGate
from bot.execution.orders import crosses
from bot.instruments.specs import instrument_table
from bot.model.commands import CancelOrder, Command, ReplaceOrder, SubmitOrder
from bot.model.events import (
    CancelRejected,
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
)
from bot.model.fills import Fill, Liquidity
from bot.model.ids import OrderIdFactory
from bot.model.orders import Order, OrderType, Purpose, TimeInForce
from bot.model.side import Side
from bot.model.units import NS_PER_MS, to_nanos
from bot.portfolio import Allocation, Portfolio
from bot.strategy.base import OrderUpdate
from bot.strategy.intents import Quotes, QuoteSide, TargetPosition
from tests.risk.conftest import NOW, make_engine

T0 = to_nanos(NOW)
FEE = 37  # MES per side
TICK_CENTS = 125  # MES
ALLOC = {
    "a": Allocation(0.5, 10, 500_000),
    "b": Allocation(0.5, 10, 500_000),
}


@dataclass
class TinyVenue:
    price: int = 20_000
    working: dict[str, Order] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)
    reject_stops: str = ""  # a reason: stops are rejected
    silent_stops: bool = False  # stops get no answer at all
    reject_flattens: str = ""  # a reason: FLATTEN orders are rejected
    execs: int = 0

    def _fill(self, order: Order, qty: int, price: int, now: int, maker: bool) -> OrderFilled:
        self.execs += 1
        done = self.filled.get(order.order_id, 0) + qty
        self.filled[order.order_id] = done
        leaves = order.qty - done
        if leaves <= 0:
            self.working.pop(order.order_id, None)
        fill = Fill(
            now,
            order.order_id,
            order.symbol,
            order.side,
            qty,
            price,
            FEE * qty,
            exec_id=f"x{self.execs}",
            liquidity=Liquidity.MAKER if maker else Liquidity.TAKER,
            leaves_qty=max(0, leaves),
        )
        return OrderFilled(now, fill)

    def handle(self, command: Command, now: int) -> list[Event]:
        if isinstance(command, SubmitOrder):
            order = command.order
            if order.purpose == Purpose.STOP and self.silent_stops:
                return []
            if order.purpose == Purpose.STOP and self.reject_stops:
                return [OrderRejected(now, order.order_id, self.reject_stops)]
            if order.purpose == Purpose.FLATTEN and self.reject_flattens:
                return [OrderRejected(now, order.order_id, self.reject_flattens)]
            events: list[Event] = [OrderAccepted(now, order.order_id)]
            if order.tif == TimeInForce.IOC or order.order_type == OrderType.MARKET:
                events.append(self._fill(order, order.qty, self.price, now, maker=False))
            else:
                self.working[order.order_id] = order
            return events
        if isinstance(command, CancelOrder):
            if self.working.pop(command.order_id, None) is None:
                return [CancelRejected(now, command.order_id, "too late", order_gone=True)]
            return [OrderCanceled(now, command.order_id, command.reason)]
        assert isinstance(command, ReplaceOrder)
        found = self.working.get(command.order_id)
        if found is None:
            return [CancelRejected(now, command.order_id, "too late", order_gone=True)]
        order = found
        if order.purpose == Purpose.STOP and self.silent_stops:
            return []
        self.working[order.order_id] = replace(
            order,
            qty=command.qty,
            price_ticks=(
                command.price_ticks if command.price_ticks is not None else order.price_ticks
            ),
            trigger_ticks=(
                command.trigger_ticks if command.trigger_ticks is not None else order.trigger_ticks
            ),
        )
        new = self.working[order.order_id]
        return [OrderReplaced(now, order.order_id, new.qty, new.price_ticks, new.trigger_ticks)]

    def move(self, price: int, now: int) -> list[Event]:
        """The market trades at `price`: stops through it trigger, quotes at or through fill."""
        self.price = price
        events: list[Event] = []
        for oid in sorted(self.working):
            order = self.working.get(oid)
            if order is None:
                continue
            left = order.qty - self.filled.get(oid, 0)
            if order.order_type == OrderType.STOP:
                trig = order.trigger_ticks
                assert trig is not None
                if (price - trig) * order.side >= 0:
                    events.append(self._fill(order, left, price, now, maker=False))
            elif order.price_ticks is not None and (order.price_ticks - price) * order.side >= 0:
                events.append(self._fill(order, left, order.price_ticks, now, maker=True))
        return events

    def fill(self, order_id: str, qty: int, now: int) -> OrderFilled:
        order = self.working[order_id]
        assert order.price_ticks is not None
        return self._fill(order, qty, order.price_ticks, now, maker=True)


Check = Callable[["Rig"], None]


class Rig:
    def __init__(
        self,
        allocations: dict[str, Allocation] | None = None,
        checks: tuple[Check, ...] = (),
        **config: Any,
    ) -> None:
        self.risk = make_engine()
        self.portfolio = Portfolio(instrument_table(), allocations or ALLOC, gap_ticks=4)
        self.gate = RiskGate(self.risk)
        self.engine = ExecutionEngine(
            self.portfolio, self.gate, OrderIdFactory("t"), ExecutionConfig(**config)
        )
        self.venue = TinyVenue()
        self.now = T0
        self.checks = checks
        self.sent: list[Command] = []
        self.fills: list[tuple[str, Fill]] = []
        self.updates: list[tuple[str, OrderUpdate]] = []
        self.account_fills: list[Fill] = []
        self.defer = False  # True: commands wait in `backlog` until `flush`
        self.backlog: list[Command] = []
        self.mark(20_000)

    def tick(self, ms: int = 1) -> int:
        self.now += ms * NS_PER_MS
        return self.now

    def mark(self, price: int) -> None:
        self.portfolio.mark("MES", price, self.now)
        self.engine.apply_risk_actions(self.risk.on_mark("MES", price, NOW), self.now)

    def collect(self, out: ExecutionOutput) -> list[Command]:
        stop_sends_fit(self, out)
        self.fills += out.fills
        self.updates += out.updates
        commands = list(out.commands)
        if out.risk_actions:
            more = self.engine.apply_risk_actions(out.risk_actions, self.now)
            commands += self.collect(more)
        return commands

    def run(self, out: ExecutionOutput) -> None:
        """Send commands to the venue and its events back, until nothing is owed."""
        self.backlog += self.collect(out)
        if not self.defer:
            self.flush()

    def flush(self, n: int | None = None) -> None:
        """Let the venue answer the first `n` commands waiting (all when None)."""
        done = 0
        while self.backlog and (n is None or done < n):
            command = self.backlog.pop(0)
            done += 1
            self.sent.append(command)
            for event in self.venue.handle(command, self.tick()):
                self.backlog += self.deliver(event)

    def deliver(self, event: Event) -> list[Command]:
        if isinstance(event, OrderFilled):
            self.account_fills.append(event.fill)
        out = self.engine.on_event(event, self.now)
        commands = self.collect(out)
        for check in self.checks:
            check(self)
        return commands

    def sync(self) -> None:
        self.run(self.engine.sync(self.tick()))

    def target(self, sleeve: str, qty: int, stop: int | None = None) -> None:
        self.portfolio.set_target(sleeve, TargetPosition("MES", qty, stop), self.now)
        self.sync()

    def quote(
        self, sleeve: str, bid: int | None, ask: int | None, qty: int = 1, off: int = 8
    ) -> None:
        q = Quotes(
            "MES",
            QuoteSide(bid, qty) if bid is not None else None,
            QuoteSide(ask, qty) if ask is not None else None,
            off,
        )
        self.portfolio.set_quotes(sleeve, q, self.now)
        self.sync()

    def move(self, price: int) -> None:
        """The market trades at `price`: marks move, resting orders fill."""
        self.mark(price)
        for event in self.venue.move(price, self.tick()):
            self.backlog += self.deliver(event)
        self.sync()

    # ---- views -------------------------------------------------------------------------------

    @property
    def net(self) -> int:
        return self.portfolio.net_position("MES")

    def venue_stops(self) -> list[Order]:
        return [o for o in self.venue.working.values() if o.purpose == Purpose.STOP]

    def venue_stop_qty(self) -> int:
        return sum(o.qty - self.venue.filled.get(o.order_id, 0) for o in self.venue_stops())

    def submitted(self, purpose: Purpose | None = None) -> list[Order]:
        return [
            c.order
            for c in self.sent
            if isinstance(c, SubmitOrder) and (purpose is None or c.order.purpose == purpose)
        ]


def no_self_cross(rig: Rig) -> None:
    """No own buy could trade with an own sell, at the venue or in flight.  An order whose
    cancel was sent is gone for this purpose: cancels go ahead of what they make room for."""
    live = [t for t in rig.engine.live_orders("MES") if t.pending != "cancel"]
    for b in (t for t in live if t.order.side == Side.BUY):
        for s in (t for t in live if t.order.side == Side.SELL):
            for bp in b.prices():
                for sp in s.prices():
                    assert not crosses(b.order.order_type, bp, s.order.order_type, sp), (
                        b.order,
                        s.order,
                    )


def stops_never_exceed(rig: Rig) -> None:
    """Stops always sit on the side opposite the position, and reducing orders that the venue
    holds as we last confirmed them never exceed it.  (A fill of a quote placed before the
    position can shrink it under stops still in flight: those shrink as soon as the venue has
    them, and no stop is ever sent into that excess: `stop_sends_fit`.)"""
    net = rig.net
    live = [t for t in rig.engine.live_orders("MES") if t.pending != "cancel"]
    settled = sum(t.venue_qty for t in live if t.reducing and not t.pending)
    assert settled <= abs(net), (net, live)
    for t in live:
        if t.order.purpose == Purpose.STOP:
            assert net and t.order.side == -(1 if net > 0 else -1), (net, t)


def stop_sends_fit(rig: Rig, out: ExecutionOutput) -> None:
    """A stop placed or grown never takes reducing orders past the position."""
    grows = 0
    for c in out.commands:
        if isinstance(c, SubmitOrder):
            grows += c.order.purpose == Purpose.STOP
        elif isinstance(c, ReplaceOrder) and (t := rig.engine.orders.get(c.order_id)):
            grows += t.order.purpose == Purpose.STOP and c.qty > t.order.qty
    if grows:
        live = [t for t in rig.engine.live_orders("MES") if t.pending != "cancel"]
        assert sum(t.venue_qty for t in live if t.reducing) <= abs(rig.net), (rig.net, live)


def settled_stops_cover(rig: Rig) -> None:
    """Once nothing is in flight: the venue's stops cover the position exactly."""
    live = rig.engine.live_orders("MES")
    if any(t.pending for t in live) or rig.engine.stop_failure("MES"):
        return
    exits = sum(t.remaining for t in live if t.reducing and t.order.purpose != Purpose.STOP)
    assert rig.venue_stop_qty() + exits == abs(rig.net), (rig.venue_stop_qty(), exits, rig.net)


def within_approved(rig: Rig) -> None:
    """Once the stops cover the position: the loss if every lot ran to its venue-held stop plus
    the gap, with exit fees, is no more than the risk engine's worst case for its lots."""
    net = rig.net
    live = rig.engine.live_orders("MES")
    if not net or any(t.pending for t in live) or rig.engine.stop_failure("MES"):
        return
    if rig.venue_stop_qty() != abs(net):
        return
    sign = 1 if net > 0 else -1
    mark, gap = rig.venue.price, rig.gate.gap_ticks
    held = 0
    for order in rig.venue_stops():
        assert order.trigger_ticks is not None
        adverse = max(0, (mark - order.trigger_ticks) * sign) + gap
        held += (adverse * TICK_CENTS + FEE) * order.qty
    assert held <= rig.risk.positions["MES"].stop_out_loss_cents(mark, gap)
