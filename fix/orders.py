"""The gateway's view of each order, advanced only by what the broker reports.

ExecutionReports drive the states; a network error never does.  A report is de-duplicated per
order on (OrderID, ExecID), so a fill resent after a reconnect is counted once, and a venue that
restarts and numbers its ExecIDs from the beginning again cannot hide a new order's reports.
FIX 4.2 fills (ExecType 1/2) and FIX 4.4 fills (ExecType F) are the same event here.

A terminal state (filled, canceled, rejected) is terminal: a report arriving late (an
acknowledgement after a fill, a partial fill after a cancel) is counted as out of order and never
moves the order back to working, although a fill in it is still recorded.  Only what FIX itself
allows moves a finished order: a trade correction or bust (ExecType G/H), and the venue's answer
to a status request about an order whose state was unknown (`status_unknown`).

What the gateway cannot place (a fill for an order it did not send, fills the venue reports that
never arrived, an order the venue no longer knows) is an update with `unknown` set, never dropped.
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
    # The venue's answers left the state unknown: the order is missing from a mass-status
    # answer (it is not working; a status request asks how it ended) or a status request found
    # no such order.  The next status answer settles it, even out of a terminal state.
    status_unknown: bool = False
    adopted: bool = False  # first seen in a report, not sent by this process
    exec_ids: set[tuple[str, str]] = field(default_factory=set)  # (OrderID, ExecID) applied
    missing_qty: int = 0  # lots the venue reports filled that no fill report has shown

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def filled_qty(self) -> int:
        return sum(f.qty for f in self.fills)


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """What one report changed: the order, its new state, and the fill if there was one.

    `exec_type` is the report's ExecType, or one of the gateway's own kinds: `cancel_reject`,
    `change_unknown`, `status_unknown`, `not_working`.  `unknown` is set (with the reason) when
    the gateway cannot place what the venue said: a fill for an order it did not send, fills the
    venue counts that never arrived, an order the venue no longer knows or no longer works.  The
    user must then reconcile (positions, status).  `out_of_order` marks a late report that did
    not move the state.
    """

    order: TrackedOrder
    exec_type: str
    fill: FillInfo | None = None
    duplicate: bool = False
    unknown: str = ""
    out_of_order: bool = False


def _dec(value: str | None) -> Decimal:
    try:
        return Decimal(value) if value else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


def _int(value: str | None) -> int:
    try:
        return int(_dec(value))
    except (ArithmeticError, ValueError):
        return 0


def _venue_id(value: str | None) -> str | None:
    return value if value and value != "NONE" else None


FILL_TYPES = frozenset({"F", "1", "2"})
CORRECTION_TYPES = frozenset({"G", "H"})  # TradeCorrect, TradeCancel


class OrderTracker:
    """Every order of this gateway, by each ClOrdID it has had."""

    def __init__(self, tick_sizes: Mapping[str, Decimal] | None = None) -> None:
        self.tick_sizes = dict(tick_sizes or {})
        self.by_clid: dict[str, TrackedOrder] = {}
        self.fill_log: list[FillInfo] = []
        self.reports_applied = 0  # reports that were not duplicates
        self.out_of_order = 0  # late reports that did not move a state
        self.unknown_state = 0  # updates flagged `unknown`

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
        order = self.find(f)
        if order is None:
            order = self._adopt(f)
            if order is None:
                return None
        exec_type = f.get(150) or ""
        exec_id = f.get(17) or ""
        venue_order_id = _venue_id(f.get(37))
        if exec_type == "I" and venue_order_id is None:
            return self._unknown_at_venue(order, f)
        if exec_id:
            key = (venue_order_id or "", exec_id)
            if key in order.exec_ids:
                return OrderUpdate(order, exec_type, duplicate=True)
            order.exec_ids.add(key)
        self.reports_applied += 1
        if venue_order_id is not None:
            order.order_id = venue_order_id
        if f.has(58):
            order.text = f.get(58) or ""
        fill = self._fill(order, f, exec_type, exec_id)
        new_state = _FROM_ORD_STATUS.get(f.get(39) or "")
        reported_cum = _int(f.get(14)) if f.has(14) else None
        settles = order.status_unknown or exec_type in CORRECTION_TYPES
        stale = not settles and (
            (order.is_terminal and new_state is not None and new_state != order.state)
            or (reported_cum is not None and reported_cum < order.cum_qty)
            or (new_state is OrderState.PENDING_NEW and order.state is not OrderState.PENDING_NEW)
        )
        if exec_type in ("4", "5") and not stale:
            self._move_clid(order, f, exec_type)
        if settles:
            order.status_unknown = False
            if reported_cum is not None:
                order.cum_qty = reported_cum
        elif reported_cum is not None:
            order.cum_qty = max(order.cum_qty, reported_cum)
        if stale:
            self.out_of_order += 1
        else:
            if f.has(151):
                order.leaves_qty = _int(f.get(151))
            if f.has(6):
                order.avg_px = _dec(f.get(6))
            self._set_state(order, new_state, fill is not None)
        unknown = self._unexplained(order, f)
        if unknown:
            self.unknown_state += 1
        return OrderUpdate(order, exec_type, fill, unknown=unknown, out_of_order=stale)

    def _fill(
        self, order: TrackedOrder, f: FixFields, exec_type: str, exec_id: str
    ) -> FillInfo | None:
        """Record the trade in the report (a correction replaces or removes the one it names)."""
        if exec_type in CORRECTION_TYPES:
            ref = f.get(19)
            order.fills[:] = [x for x in order.fills if x.exec_id != ref]
        if exec_type not in FILL_TYPES and exec_type != "G":
            return None
        qty = _int(f.get(32))
        if qty <= 0:
            return None
        price = _dec(f.get(31))
        tick = self.tick_sizes.get(order.request.symbol)
        if tick is not None:  # the broker's price is a C++ double: snap it to the grid
            price = (price / tick).to_integral_value() * tick
        fill = FillInfo(exec_id, qty, price, f.get(11) or "")
        order.fills.append(fill)
        self.fill_log.append(fill)
        return fill

    def _move_clid(self, order: TrackedOrder, f: FixFields, exec_type: str) -> None:
        """Canceled or replaced: the order now answers to the request's ClOrdID."""
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

    @staticmethod
    def _set_state(order: TrackedOrder, new_state: OrderState | None, filled: bool) -> None:
        if new_state is None:
            return
        if order.pending_cl_ord_id is not None and new_state not in TERMINAL:
            if filled:  # filled while our cancel/replace is in flight: still pending
                order.state_before_pending = new_state
        else:
            order.state = new_state

    def _unexplained(self, order: TrackedOrder, f: FixFields) -> str:
        """Why this report leaves the order's fills unknown ('' when it does not)."""
        missing = order.cum_qty - order.filled_qty
        if missing > order.missing_qty:
            order.missing_qty = missing
            return f"venue reports {order.cum_qty} filled, {order.filled_qty} seen in fill reports"
        order.missing_qty = max(missing, 0)
        if order.adopted and f.get(150) in FILL_TYPES:
            return "fill for an order this gateway did not send"
        return ""

    def _unknown_at_venue(self, order: TrackedOrder, f: FixFields) -> OrderUpdate:
        """A status answer "no such order" for one of our ClOrdIDs.

        For a cancel/replace id it means the change never arrived (the order itself lives on);
        for an order the venue never acknowledged it means the order never arrived; for one it
        did acknowledge, the venue lost it: not working, and how it ended is unknown.
        """
        clid = f.get(11)
        if order.pending_cl_ord_id is not None and clid == order.pending_cl_ord_id:
            order.pending_cl_ord_id = None
            order.state = order.state_before_pending or OrderState.NEW
            order.text = "change request unknown at the venue"
            return OrderUpdate(order, "change_unknown")
        order.status_unknown = True
        order.leaves_qty = 0
        order.pending_cl_ord_id = None
        if order.order_id is None:
            order.state = OrderState.REJECTED
            order.text = "order unknown at the venue"
            return OrderUpdate(order, "status_unknown")
        order.state = OrderState.CANCELED
        order.text = "acknowledged order unknown at the venue"
        self.unknown_state += 1
        return OrderUpdate(order, "status_unknown", unknown=order.text)

    def mark_not_working(self, order: TrackedOrder, reason: str) -> OrderUpdate:
        """The venue's answer lists no such working order: it ended somehow (ask how)."""
        order.status_unknown = True
        order.pending_cl_ord_id = None
        order.leaves_qty = 0
        order.state = OrderState.CANCELED
        order.text = reason
        self.unknown_state += 1
        return OrderUpdate(order, "not_working", unknown=reason)

    def apply_cancel_reject(self, f: FixFields) -> OrderUpdate | None:
        """OrderCancelReject (9): the order stays as it was (or as 39 says it now is)."""
        order = self.find(f)
        if order is None:
            return None
        order.pending_cl_ord_id = None
        reported = _FROM_ORD_STATUS.get(f.get(39) or "")
        stale = False
        if reported is not None and _venue_id(f.get(37)) is not None:
            stale = order.is_terminal and reported != order.state
            if not stale:
                order.state = reported
        elif order.state_before_pending is not None and not order.is_terminal:
            order.state = order.state_before_pending
        if stale:
            self.out_of_order += 1
        order.text = f.get(58) or ""
        return OrderUpdate(order, "cancel_reject", out_of_order=stale)

    def _adopt(self, f: FixFields) -> TrackedOrder | None:
        """A report for an order this process did not send (e.g. after a restart).

        Without a usable ClOrdID it is still kept (under its OrderID or ExecID) when it is a
        fill: a fill is never dropped.
        """
        clid = _venue_id(f.get(11))
        if clid is None:
            if f.get(150) not in FILL_TYPES:
                return None
            clid = "#" + (_venue_id(f.get(37)) or f.get(17) or "?")
            if clid in self.by_clid:
                return self.by_clid[clid]
        side: Side = "buy" if f.get(54) == "1" else "sell"
        request = OrderRequest(
            symbol=f.get(55) or "", side=side, qty=_int(f.get(38)), maturity=f.get(200)
        )
        order = self.add(clid, request)
        order.adopted = True
        return order
