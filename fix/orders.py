"""The gateway's view of each order, advanced only by what the broker reports.

ExecutionReports drive the states; a network error never does.  A resent report (same ExecID)
is ignored, so a fill delivered twice after a reconnect is counted once.  FIX 4.2 fills
(ExecType 1/2) and FIX 4.4 fills (ExecType F) are the same event here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from fix.wire import FixFields

Side = Literal["buy", "sell"]
OrdType = Literal["market", "limit", "stop", "stop_limit"]
TimeInForce = Literal["day", "gtc", "ioc"]


class OrderState(StrEnum):
    PENDING_NEW = "pending_new"
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    CANCELED = "canceled"
    REJECTED = "rejected"


TERMINAL = frozenset({OrderState.FILLED, OrderState.CANCELED, OrderState.REJECTED})
PENDING = frozenset({OrderState.PENDING_NEW, OrderState.PENDING_CANCEL, OrderState.PENDING_REPLACE})
_FROM_ORD_STATUS = {
    "0": OrderState.NEW,
    "1": OrderState.PARTIALLY_FILLED,
    "2": OrderState.FILLED,
    "4": OrderState.CANCELED,
    "5": OrderState.NEW,  # FIX 4.2 "Replaced": working under its new ClOrdID
    "6": OrderState.PENDING_CANCEL,
    "8": OrderState.REJECTED,
    "A": OrderState.PENDING_NEW,
    "C": OrderState.CANCELED,  # expired
    "E": OrderState.PENDING_REPLACE,
}


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What the bot wants; prices are exact decimals already on the tick grid."""

    symbol: str
    side: Side
    qty: int
    ord_type: OrdType = "limit"
    price: Decimal | None = None
    stop_px: Decimal | None = None
    tif: TimeInForce = "day"
    account: str = ""
    maturity: str | None = None


@dataclass(frozen=True, slots=True)
class FillInfo:
    exec_id: str
    qty: int
    price: Decimal
    cl_ord_id: str


@dataclass(slots=True)
class TrackedOrder:
    cl_ord_id: str  # current id (changes on an accepted cancel/replace)
    request: OrderRequest
    state: OrderState = OrderState.PENDING_NEW
    order_id: str | None = None
    cum_qty: int = 0
    leaves_qty: int = 0
    avg_px: Decimal = Decimal(0)
    qty: int = 0
    price: Decimal | None = None
    stop_px: Decimal | None = None
    fills: list[FillInfo] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  # every ClOrdID this order has had
    pending_cl_ord_id: str | None = None
    state_before_pending: OrderState | None = None
    text: str = ""
    status_unknown: bool = False  # a status request found no such order at the venue

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def filled_qty(self) -> int:
        return sum(f.qty for f in self.fills)


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """What one report changed: the order, its new state, and the fill if there was one."""

    order: TrackedOrder
    exec_type: str
    fill: FillInfo | None = None
    duplicate: bool = False


def _dec(value: str | None) -> Decimal:
    try:
        return Decimal(value) if value else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


def _int(value: str | None) -> int:
    return int(_dec(value))


class OrderTracker:
    """Every order of this gateway, by each ClOrdID it has had."""

    def __init__(self, tick_sizes: Mapping[str, Decimal] | None = None) -> None:
        self.tick_sizes = dict(tick_sizes or {})
        self.by_clid: dict[str, TrackedOrder] = {}
        self.seen_exec_ids: set[str] = set()
        self.fill_log: list[FillInfo] = []

    def add(self, cl_ord_id: str, request: OrderRequest) -> TrackedOrder:
        order = TrackedOrder(
            cl_ord_id,
            request,
            qty=request.qty,
            leaves_qty=request.qty,
            price=request.price,
            stop_px=request.stop_px,
            history=[cl_ord_id],
        )
        self.by_clid[cl_ord_id] = order
        return order

    def begin_change(self, order: TrackedOrder, new_cl_ord_id: str, cancel: bool) -> None:
        """A cancel (F) or replace (G) was sent: pending until the venue answers."""
        if order.state not in PENDING:
            order.state_before_pending = order.state
        order.state = OrderState.PENDING_CANCEL if cancel else OrderState.PENDING_REPLACE
        order.pending_cl_ord_id = new_cl_ord_id
        self.by_clid[new_cl_ord_id] = order

    def find(self, f: FixFields) -> TrackedOrder | None:
        for tag in (11, 41):
            clid = f.get(tag)
            if clid and clid in self.by_clid:
                return self.by_clid[clid]
        return None

    def working(self) -> list[TrackedOrder]:
        seen: set[int] = set()
        out = []
        for order in self.by_clid.values():
            if id(order) not in seen and not order.is_terminal:
                seen.add(id(order))
                out.append(order)
        return out

    def apply_execution_report(self, f: FixFields) -> OrderUpdate | None:
        exec_id = f.get(17) or ""
        order = self.find(f)
        if order is None:
            order = self._adopt(f)
            if order is None:
                return None
        exec_type = f.get(150) or ""
        status = f.get(39) or ""
        if exec_type == "I" and (f.get(37) or "NONE") == "NONE":
            return self._unknown_at_venue(order, f, exec_id)
        if exec_id and exec_id in self.seen_exec_ids:
            return OrderUpdate(order, exec_type, duplicate=True)
        if exec_id:
            self.seen_exec_ids.add(exec_id)
        if f.get(37) and f.get(37) != "NONE":
            order.order_id = f.get(37)
        if f.has(58):
            order.text = f.get(58) or ""
        fill: FillInfo | None = None
        if exec_type in ("F", "1", "2") and _int(f.get(32)) > 0:
            price = _dec(f.get(31))
            tick = self.tick_sizes.get(order.request.symbol)
            if tick is not None:  # the broker's price is a C++ double: snap it to the grid
                price = (price / tick).to_integral_value() * tick
            fill = FillInfo(exec_id, _int(f.get(32)), price, f.get(11) or "")
            order.fills.append(fill)
            self.fill_log.append(fill)
        elif exec_type in ("4", "5"):
            new_clid = f.get(11) or order.cl_ord_id
            if new_clid != order.cl_ord_id:
                order.history.append(new_clid)
                self.by_clid[new_clid] = order
            order.cl_ord_id = new_clid
            order.pending_cl_ord_id = None
            if exec_type == "5":
                order.qty = _int(f.get(38)) or order.qty
                order.price = _dec(f.get(44)) if f.has(44) else order.price
                order.stop_px = _dec(f.get(99)) if f.has(99) else order.stop_px
        order.cum_qty = max(order.cum_qty, _int(f.get(14)))
        order.leaves_qty = _int(f.get(151))
        if f.has(6):
            order.avg_px = _dec(f.get(6))
        new_state = _FROM_ORD_STATUS.get(status)
        if new_state is not None:
            if order.pending_cl_ord_id is not None and new_state not in TERMINAL:
                if fill:  # filled while our cancel/replace is in flight: still pending
                    order.state_before_pending = new_state
            else:
                order.state = new_state
        return OrderUpdate(order, exec_type, fill)

    def _unknown_at_venue(self, order: TrackedOrder, f: FixFields, exec_id: str) -> OrderUpdate:
        """A status answer "no such order" for one of our ClOrdIDs.

        For a cancel/replace id it means the change never arrived (the order itself lives on);
        for an order the venue never acknowledged it means the order never arrived.
        """
        if exec_id:
            self.seen_exec_ids.add(exec_id)
        clid = f.get(11)
        if order.pending_cl_ord_id is not None and clid == order.pending_cl_ord_id:
            order.pending_cl_ord_id = None
            order.state = order.state_before_pending or OrderState.NEW
            order.text = "change request unknown at the venue"
            return OrderUpdate(order, "change_unknown")
        if order.order_id is None:
            order.status_unknown = True
            order.state = OrderState.REJECTED
            order.leaves_qty = 0
            order.text = "order unknown at the venue"
        return OrderUpdate(order, "status_unknown")

    def apply_cancel_reject(self, f: FixFields) -> OrderUpdate | None:
        """OrderCancelReject (9): the order stays as it was (or as 39 says it now is)."""
        order = self.find(f)
        if order is None:
            return None
        order.pending_cl_ord_id = None
        reported = _FROM_ORD_STATUS.get(f.get(39) or "")
        if reported is not None and (f.get(37) or "NONE") != "NONE":
            order.state = reported
        elif order.state_before_pending is not None:
            order.state = order.state_before_pending
        order.text = f.get(58) or ""
        return OrderUpdate(order, "cancel_reject")

    def _adopt(self, f: FixFields) -> TrackedOrder | None:
        """A report for an order this process did not send (e.g. after a restart)."""
        clid = f.get(11)
        if not clid or clid == "NONE":
            return None
        side: Side = "buy" if f.get(54) == "1" else "sell"
        request = OrderRequest(
            symbol=f.get(55) or "", side=side, qty=_int(f.get(38)), maturity=f.get(200)
        )
        return self.add(clid, request)
