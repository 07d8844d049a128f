"""Venues that hold only our own orders, for data without an order book to queue in (bars, top of
book).  The shared part: acknowledge, refuse, cancel, replace and fill, turning each into the
model's events exactly once; subclasses decide *when* and *at what price* an order fills.

Every event goes to the sink stamped with the time the bot learns of it (venue time plus the
return latency); a `Fill` keeps the venue time of the execution.
"""

from __future__ import annotations

from typing import ClassVar

from bot.backtest.models import FeeModel, SlippageModel
from bot.execution.client import EventSink
from bot.model.commands import CancelOrder, Command, ReplaceOrder, SubmitOrder
from bot.model.events import (
    CancelRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
)
from bot.model.fills import Fill, Liquidity
from bot.model.orders import Order, OrderType
from bot.model.side import Side


class Working:
    """One working order of ours: the order, what is left of it and where it stands.

    `active` is False until the order may trade (a bar venue activates it at the next bar's
    open); `triggered` says a stop has become a market (STOP) or limit (STOP_LIMIT) order."""

    __slots__ = (
        "active",
        "arrived_ns",
        "filled",
        "order",
        "price",
        "qty",
        "side",
        "trigger",
        "triggered",
        "type",
    )

    def __init__(self, order: Order, arrived_ns: int) -> None:
        self.order = order
        self.side = order.side
        self.type = order.order_type
        self.qty = order.qty
        self.price = order.price_ticks
        self.trigger = order.trigger_ticks
        self.filled = 0
        self.arrived_ns = arrived_ns
        self.active = False
        self.triggered = order.order_type not in (OrderType.STOP, OrderType.STOP_LIMIT)

    @property
    def leaves(self) -> int:
        return self.qty - self.filled

    def limit_fills_at(self, price: int) -> bool:
        """Is `price` strictly better for us than our limit (a trade *through* it)?"""
        if self.price is None:
            raise RuntimeError("invariant broken: self.price is None")
        return price < self.price if self.side is Side.BUY else price > self.price

    def stop_reached(self, price: int) -> bool:
        """Does a price at `price` reach our stop trigger (at or through it)?"""
        if self.trigger is None:
            raise RuntimeError("invariant broken: self.trigger is None")
        return price >= self.trigger if self.side is Side.BUY else price <= self.trigger


def order_problem(order: Order) -> str:
    """Why the venue must refuse `order`, or "" when it is well formed."""
    if order.qty <= 0:
        return f"quantity {order.qty} must be positive"
    kind = order.order_type
    if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT) and order.price_ticks is None:
        return f"a {kind} order needs a price"
    if kind in (OrderType.STOP, OrderType.STOP_LIMIT) and order.trigger_ticks is None:
        return f"a {kind} order needs a trigger price"
    return ""


class OwnOrderVenue:
    """Base class; see the module docstring.  Subclasses override `_arrived` (a new or replaced
    order reached the venue) and call `fill` when the data says an order traded.  What the
    venue knows of the market per symbol: `last_price` (last close or print), `touch` (best
    bid and offer, when the data has them); `ended` once the data is over."""

    name: ClassVar[str] = "own"

    def __init__(
        self,
        sink: EventSink,
        delay_ns: int,
        fees: FeeModel,
        slippage: SlippageModel,
        symbols: frozenset[str],
    ) -> None:
        self.sink = sink
        self.delay_ns = delay_ns
        self.fees = fees
        self.slippage = slippage
        self.symbols = symbols
        self.working: dict[str, dict[str, Working]] = {s: {} for s in symbols}
        self.last_price: dict[str, int] = {}
        self.touch: dict[str, tuple[int | None, int | None]] = {s: (None, None) for s in symbols}
        self.ended = False
        self._exec_seq = 0
        self.fills = 0

    # ------------------------------------------------------------------ commands

    def send(self, command: Command, now_ns: int) -> None:
        """Act on one command at venue time `now_ns` (the runner has applied the latency)."""
        at = now_ns + self.delay_ns
        if isinstance(command, SubmitOrder):
            order = command.order
            book = self.working.get(order.symbol)
            problem = order_problem(order)
            if book is None:
                problem = f"no market data for {order.symbol} on the {self.name} venue"
            elif order.order_id in book:
                problem = f"duplicate order id {order.order_id}"
            if problem:
                self.sink(OrderRejected(at, order.order_id, problem))
                return
            if book is None:
                raise RuntimeError("invariant broken: book is None")
            working = Working(order, now_ns)
            book[order.order_id] = working
            self.sink(OrderAccepted(at, order.order_id, order.order_id))
            self._arrived(working, now_ns)
        elif isinstance(command, CancelOrder):
            gone = self._take(command.symbol, command.order_id)
            if gone is None:
                self.sink(CancelRejected(at, command.order_id, "unknown order", order_gone=True))
            else:
                self.sink(OrderCanceled(at, command.order_id, command.reason))
        else:
            self._replace(command, now_ns, at)

    def _replace(self, command: ReplaceOrder, now_ns: int, at: int) -> None:
        working = self.working.get(command.symbol, {}).get(command.order_id)
        if working is None:
            self.sink(CancelRejected(at, command.order_id, "unknown order", order_gone=True))
            return
        if command.qty <= working.filled:
            self.sink(CancelRejected(at, command.order_id, "new quantity is not above the filled"))
            return
        working.qty = command.qty
        if command.price_ticks is not None:
            working.price = command.price_ticks
        if command.trigger_ticks is not None and not working.triggered:
            working.trigger = command.trigger_ticks
        working.arrived_ns = now_ns
        self.sink(OrderReplaced(at, command.order_id, working.qty, working.price, working.trigger))
        self._arrived(working, now_ns)

    def _take(self, symbol: str, order_id: str) -> Working | None:
        return self.working.get(symbol, {}).pop(order_id, None)

    def _arrived(self, working: Working, now_ns: int) -> None:
        """A new or replaced order is at the venue (override)."""

    # ------------------------------------------------------------------ fills

    def fill(self, working: Working, price_ticks: int, now_ns: int, liquidity: Liquidity) -> None:
        """Fill what is left of `working` at `price_ticks` (venue time `now_ns`)."""
        order = working.order
        qty = working.leaves
        working.filled = working.qty
        self._take(order.symbol, order.order_id)
        self._exec_seq += 1
        self.fills += 1
        fill = Fill(
            ts_ns=now_ns,
            order_id=order.order_id,
            symbol=order.symbol,
            side=order.side,
            qty=qty,
            price_ticks=price_ticks,
            fee_cents=self.fees.fee_cents(order.symbol, qty),
            exec_id=f"{self.name}-{self._exec_seq}",
            venue_order_id=order.order_id,
            liquidity=liquidity,
            leaves_qty=0,
        )
        self.sink(OrderFilled(now_ns + self.delay_ns, fill))

    def cancel_unfilled(self, working: Working, now_ns: int, reason: str) -> None:
        self._take(working.order.symbol, working.order.order_id)
        self.sink(OrderCanceled(now_ns + self.delay_ns, working.order.order_id, reason))
