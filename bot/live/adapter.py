"""The FIX side of the live process: model <-> FIX, converted once, here.

`LiveGateway` is the project's `FixGateway` with two additions the live process needs: every
market-data message it applies is also handed on as model events (`BookDelta`, `TradeEvent`),
and positions can be asked again at any time (the flat confirmation of a shutdown).

`FixExecutionClient` is the kernel's `ExecutionClient` over it: a `SubmitOrder` becomes a
NewOrderSingle (Side +1/-1 -> buy/sell, ticks -> exact decimal prices), cancels and replaces go to
the order the gateway tracks for the model's order id, and every `OrderUpdate` the gateway
publishes comes back as one model event (`OrderAccepted`, `OrderFilled`, ...).  The gateway makes
its own ClOrdIDs (unique across restarts) and follows cancel/replace chains; the model only ever
sees its own `order_id`.  Sending never blocks and never raises for the venue's refusals: a
session that is down answers with `OrderRejected` / `CancelRejected` events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from decimal import Decimal
from typing import Any

from bot.instruments.specs import Instrument
from bot.model.clock import Clock
from bot.model.commands import CancelOrder, Command, ReplaceOrder, SubmitOrder
from bot.model.events import (
    BookDelta,
    BookLevel,
    CancelRejected,
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    TradeEvent,
)
from bot.model.fills import Fill, Liquidity
from bot.model.market import TradeTick
from bot.model.orders import Order, OrderType
from bot.model.side import Side
from bot.ops.logs import log_event
from fix import messages
from fix.gateway import FixGateway, NotConnected, Reconciliation
from fix.orders import OrderRequest, OrderState, OrderUpdate, TrackedOrder
from fix.wire import FixFields

log = logging.getLogger("bot.live")

EventSink = Callable[[Event], None]
_ORD_TYPE: Mapping[OrderType, Any] = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop_limit",
}
_TAKERS = frozenset({OrderType.MARKET, OrderType.STOP, OrderType.STOP_LIMIT})
_CANCELED = frozenset({OrderState.CANCELED})


def run_now(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a gateway coroutine that does not wait (`wait=False`) to its end, synchronously.

    The gateway's order calls are `async` so that callers may wait for the answer; without
    waiting they never suspend, so the kernel's command goes out in this very call (no task,
    no loop turn between market data and the order)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("a gateway call suspended; it must be called with wait=False")


class LiveGateway(FixGateway):
    """`FixGateway` + market data as model events + positions on demand."""

    market_sink: Callable[[list[Event]], None] | None = None
    clock: Clock | None = None
    session_closed: str = ""  # the venue said its trading session (the replay) has ended
    md_received_ns: int = 0  # perf_counter_ns of the last market data handed on (tick-to-trade)
    _inbound_ns: int = 0  # perf_counter_ns at which QuickFIX handed the message being handled

    def _on_market_data(self, f: FixFields) -> None:
        super()._on_market_data(f)
        sink, clock = self.market_sink, self.clock
        if sink is None or clock is None:
            return
        now = clock.now_ns()
        events: list[Event] = []
        if f.msg_type == "W":
            symbol = f.get(55) or ""
            book = self.books.get(symbol)
            if book is None or not book.valid:
                return
            levels = tuple(
                BookLevel(side, lv.price, lv.size)
                for side in (0, 1)
                for lv in book.book.depth(side, len(book.book))
            )
            events.append(BookDelta(now, symbol, levels, snapshot=True))
        else:
            by_symbol: dict[str, list[BookLevel]] = {}
            trades: list[Event] = []
            for entry in f.groups(268, 279):
                symbol = entry.get(55) or ""
                book = self.books.get(symbol)
                if book is None or not book.valid or entry.get(270) is None:
                    continue
                price = book.ticks(entry.get(270) or "0")
                size = int(Decimal(entry.get(271) or "0"))
                kind = entry.get(269)
                if kind == "2":
                    trades.append(TradeEvent(now, TradeTick(now, symbol, price, size)))
                elif kind in ("0", "1"):
                    size = 0 if entry.get(279) == "2" else size
                    by_symbol.setdefault(symbol, []).append(BookLevel(int(kind), price, size))
            events.extend(BookDelta(now, s, tuple(lv)) for s, lv in by_symbol.items())
            events.extend(trades)
        if events:
            self.md_received_ns = self._inbound_ns
            sink(events)

    def _on_app(self, f: FixFields, received_ns: int) -> None:
        self._inbound_ns = received_ns
        super()._on_app(f, received_ns)
        if f.msg_type == "h" and f.get(340) == "3":  # TradingSessionStatus: closed
            self.session_closed = f.get(58) or "trading session closed"
            log_event(log, "live.venue_session_closed", text=self.session_closed)

    def request_positions(self) -> str:
        """Send a new RequestForPositions (AN); the answer replaces `reconciliation.positions`
        (its `positions_done` turns True when it is complete).  Raises `NotConnected`."""
        req_id = self._next_req_id("POS")
        rec = self.reconciliation
        self.reconciliation = Reconciliation(
            mass_status_req_id=rec.mass_status_req_id,
            working=rec.working,
            mass_status_done=rec.mass_status_done,
            positions_req_id=req_id,
        )
        self._send(messages.request_for_positions(req_id, self.account, self.business_day()))
        return req_id

    def venue_positions(self) -> dict[str, int]:
        """Net position per symbol from the last complete AN answer (empty when flat)."""
        out: dict[str, int] = {}
        for row in self.reconciliation.positions:
            net = row.long_qty - row.short_qty
            if net:
                out[row.symbol] = out.get(row.symbol, 0) + net
        return out


class FixExecutionClient:
    """The kernel's `ExecutionClient` over a `LiveGateway`; see the module docstring."""

    def __init__(
        self,
        gateway: LiveGateway,
        instruments: Mapping[str, Instrument],
        clock: Clock,
        sink: EventSink,
        journal: Callable[[str, Mapping[str, Any]], None] | None = None,
    ) -> None:
        self.gateway = gateway
        self.instruments = instruments
        self.clock = clock
        self.sink = sink
        self.journal = journal
        self.by_model: dict[str, TrackedOrder] = {}
        self.model_of: dict[int, Order] = {}  # id(TrackedOrder) -> the model order
        self.terminal_sent: set[str] = set()
        self.sent = 0
        self.rejected_locally = 0
        self.on_sent: Callable[[Command], None] | None = None
        self.deferred: list[Command] = []  # cancels and replaces waiting for the session
        self.filled: dict[str, int] = {}  # model order id -> lots filled so far
        self.qty: dict[str, int] = {}  # model order id -> its size after replaces

    def retry_deferred(self) -> None:
        """Send the cancels and replaces held while the session was down (once logged on);
        those for orders that ended meanwhile are dropped."""
        if not self.deferred or not self.gateway.logged_on:
            return
        waiting, self.deferred = self.deferred, []
        seen: set[tuple[str, str]] = set()
        for command in waiting:
            key = (type(command).__name__, getattr(command, "order_id", ""))
            tracked = self.by_model.get(key[1])
            if key in seen or tracked is None or tracked.is_terminal:
                continue
            seen.add(key)
            self.send(command, self.clock.now_ns())

    # ---------------------------------------------------------------- commands

    def send(self, command: Command, now_ns: int) -> None:
        try:
            if isinstance(command, SubmitOrder):
                self._submit(command.order)
            elif isinstance(command, CancelOrder):
                self._cancel(command)
            else:
                self._replace(command)
        except NotConnected as exc:
            if isinstance(command, SubmitOrder):  # a new order is never sent late
                self._refuse(command, f"FIX session down: {exc}")
            else:  # a cancel or replace waits for the session (answering it would be retried
                self.deferred.append(command)  # at once, in a loop, while the session is down)
            return
        except Exception as exc:  # an order the gateway cannot encode: refused, never raised
            log_event(log, "live.send_failed", logging.ERROR, error=repr(exc))
            self._refuse(command, f"{type(exc).__name__}: {exc}")
            return
        self.sent += 1
        if self.on_sent is not None:
            self.on_sent(command)

    def _refuse(self, command: Command, why: str) -> None:
        self.rejected_locally += 1
        now = self.clock.now_ns()
        if isinstance(command, SubmitOrder):
            self.terminal_sent.add(command.order.order_id)
            self.sink(OrderRejected(now, command.order.order_id, why))
        else:
            gone = command.order_id not in self.by_model
            self.sink(CancelRejected(now, command.order_id, why, order_gone=gone))

    def _price(self, symbol: str, ticks: int | None) -> Decimal | None:
        return None if ticks is None else self.instruments[symbol].to_price(ticks)

    def _submit(self, order: Order) -> None:
        if order.order_id in self.by_model:
            raise ValueError(f"duplicate order id {order.order_id}")
        req = OrderRequest(
            symbol=order.symbol,
            side="buy" if order.side == Side.BUY else "sell",
            qty=order.qty,
            ord_type=_ORD_TYPE[order.order_type],
            price=self._price(order.symbol, order.price_ticks),
            stop_px=self._price(order.symbol, order.trigger_ticks),
            tif=order.tif.value,
        )
        if self.journal is not None:  # in the live process's batch: committed right after the
            # send, in the same loop callback, before its acknowledgement can be handled
            self.journal("order.submit", _order_fields(order))
        tracked: TrackedOrder = run_now(self.gateway.new_order(req, wait=False))
        self.by_model[order.order_id] = tracked
        self.model_of[id(tracked)] = order
        if self.journal is not None:
            self.journal("order.sent", {"order_id": order.order_id, "cl_ord_id": tracked.cl_ord_id})

    def _settling(self, order_id: str, tracked: TrackedOrder | None) -> bool:
        """The gateway already holds the order's last report (filled, cancelled) but its event
        is still on the way to the kernel: a cancel or replace now must not answer "gone"
        first (the fill would then arrive for an order the books had let go)."""
        return tracked is not None and tracked.is_terminal and order_id not in self.terminal_sent

    def _working(self, order_id: str) -> TrackedOrder | None:
        """The order a cancel or replace is for; None when there is nothing to send (its last
        report is on its way, or it is gone: then the kernel is told so)."""
        tracked = self.by_model.get(order_id)
        if self._settling(order_id, tracked):
            return None
        if tracked is None or tracked.is_terminal:
            now = self.clock.now_ns()
            self.sink(CancelRejected(now, order_id, "unknown order", order_gone=True))
            return None
        return tracked

    def _cancel(self, command: CancelOrder) -> None:
        tracked = self._working(command.order_id)
        if tracked is None:
            return
        if self.journal is not None:
            self.journal("order.cancel", {"order_id": command.order_id, "reason": command.reason})
        run_now(self.gateway.cancel(tracked, wait=False))

    def _replace(self, command: ReplaceOrder) -> None:
        tracked = self._working(command.order_id)
        if tracked is None:
            return
        symbol = command.symbol
        if self.journal is not None:
            self.journal(
                "order.replace",
                {"order_id": command.order_id, "qty": command.qty,
                 "price_ticks": command.price_ticks, "trigger_ticks": command.trigger_ticks},
            )  # fmt: skip
        run_now(
            self.gateway.replace(
                tracked,
                command.qty,
                self._price(symbol, command.price_ticks),
                self._price(symbol, command.trigger_ticks),
                wait=False,
            )
        )

    # ---------------------------------------------------------------- updates -> events

    def on_update(self, update: OrderUpdate) -> None:
        """One gateway update as model events (none for orders this run did not send)."""
        tracked = update.order
        order = self.model_of.get(id(tracked))
        if order is None:
            return
        oid = order.order_id
        now = self.clock.now_ns()
        kind = update.exec_type
        sink = self.sink
        if update.fill is not None:
            info = update.fill
            instrument = self.instruments[order.symbol]
            # what the order can still fill after THIS fill: from our own count, not from the
            # tracked order (the gateway may already have applied later reports to it)
            filled = self.filled.get(oid, 0) + info.qty
            self.filled[oid] = filled
            taker = order.order_type in _TAKERS
            fill = Fill(
                ts_ns=now,
                order_id=oid,
                symbol=order.symbol,
                side=order.side,
                qty=info.qty,
                price_ticks=instrument.to_ticks(info.price),
                fee_cents=instrument.fee_per_side_cents * info.qty,
                exec_id=info.exec_id,
                venue_order_id=tracked.order_id or "",
                liquidity=Liquidity.TAKER if taker else Liquidity.UNKNOWN,
                leaves_qty=max(0, self.qty.get(oid, order.qty) - filled),
            )
            sink(OrderFilled(now, fill))
            if fill.leaves_qty == 0:
                self.terminal_sent.add(oid)
            return
        if kind == "0":
            sink(OrderAccepted(now, oid, tracked.order_id or ""))
        elif kind == "5":
            self.qty[oid] = tracked.qty
            instrument = self.instruments[order.symbol]
            price = None if tracked.price is None else instrument.to_ticks(tracked.price)
            trigger = None if tracked.stop_px is None else instrument.to_ticks(tracked.stop_px)
            sink(OrderReplaced(now, oid, tracked.qty, price, trigger))
        elif kind == "cancel_reject":
            sink(CancelRejected(now, oid, tracked.text or "refused", tracked.is_terminal))
        elif tracked.is_terminal and oid not in self.terminal_sent:
            self.terminal_sent.add(oid)
            if tracked.state == OrderState.REJECTED:
                sink(OrderRejected(now, oid, tracked.text or "rejected"))
            elif tracked.state in _CANCELED:
                sink(OrderCanceled(now, oid, tracked.text))
            # FILLED without a fill in this update: the fills came (or come) as their own

    @property
    def working(self) -> list[TrackedOrder]:
        return [t for t in self.by_model.values() if not t.is_terminal]


def _order_fields(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "symbol": order.symbol,
        "side": int(order.side),
        "qty": order.qty,
        "type": str(order.order_type),
        "price_ticks": order.price_ticks,
        "trigger_ticks": order.trigger_ticks,
        "stop_ticks": order.protective_stop_ticks,
        "sleeve": order.sleeve,
        "purpose": str(order.purpose),
        "tif": str(order.tif),
    }


class DryRunClient:
    """`BOT_MODE=dry-run`: every command is journalled, logged and counted, nothing is sent; the
    kernel hears back that it was not sent (an order refused, a cancel for an order the venue
    never had), so no order ever waits for an answer that cannot come."""

    def __init__(
        self,
        clock: Clock,
        sink: EventSink,
        journal: Callable[[str, Mapping[str, Any]], None] | None = None,
    ) -> None:
        self.clock = clock
        self.sink = sink
        self.journal = journal
        self.would_send: dict[str, int] = {}
        self.by_model: dict[str, TrackedOrder] = {}
        self.model_of: dict[int, Order] = {}
        self.on_sent: Callable[[Command], None] | None = None
        self.sent = 0

    def send(self, command: Command, now_ns: int) -> None:
        kind = type(command).__name__
        self.would_send[kind] = self.would_send.get(kind, 0) + 1
        body: dict[str, Any] = (
            _order_fields(command.order) if isinstance(command, SubmitOrder)
            else {"order_id": command.order_id, "symbol": command.symbol}
        )  # fmt: skip
        if self.journal is not None:
            self.journal("dryrun." + kind, body)
        log_event(log, "live.dry_run_order", command=kind, **body)
        now = self.clock.now_ns()
        if isinstance(command, SubmitOrder):
            self.sink(OrderRejected(now, command.order.order_id, "dry-run: not sent"))
        else:
            self.sink(CancelRejected(now, command.order_id, "dry-run: not sent", True))

    def on_update(self, update: OrderUpdate) -> None:
        """Reports for orders of the account made elsewhere: not ours, not the kernel's."""

    @property
    def working(self) -> list[TrackedOrder]:
        return []
