"""Reconciliation on a FIX 4.2 session, which has no order mass status (AF) and no position
report (AN): what the venue holds is asked order by order, for the orders the journal knows.

What can be known on 4.2: the state of every order the journal recorded as sent and not seen
ending (one OrderStatusRequest, H, each), the fills the venue counts for those orders that the
journal never saw (the answer's CumQty against the journal's), and so the position those fills
leave, starting from the journal's books.  What cannot be known: an order the journal never
recorded (sent by another process or platform on the same account: the journal writes every
order of this one before it is sent) and the position such orders made.  A 4.2 session is
therefore flat by the books and the orders' answers, never by the venue's own position report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from bot.instruments.specs import Instrument
from bot.live.journal import Journal
from fix.gateway import FixGateway
from fix.orders import (
    TERMINAL,
    FillInfo,
    OrderRequest,
    OrderState,
    OrdType,
    TimeInForce,
    TrackedOrder,
)

_ORD_TYPES = ("market", "limit", "stop", "stop_limit")
_TIFS = ("day", "gtc", "ioc")
_TERMINAL = frozenset(str(s) for s in TERMINAL)


@dataclass
class JournalOrder:
    """One order of an earlier run the journal saw sent and never saw end."""

    cl_ord_id: str  # the latest ClOrdID the journal recorded for it
    request: OrderRequest
    fills: list[FillInfo] = field(default_factory=list)
    venue_order_id: str | None = None

    @property
    def filled(self) -> int:
        return sum(f.qty for f in self.fills)


def _since(journal: Journal) -> int:
    """Orders before the last completed startup were reconciled by it: scan from there."""
    ready = [row.id for row in journal.events("process.ready")]
    if not ready:
        return 0
    reports = [row.id for row in journal.events("reconcile.report") if row.id < ready[-1]]
    return reports[-1] if reports else 0


def _request(body: Mapping[str, Any], instrument: Instrument) -> OrderRequest | None:
    kind, tif = body.get("type"), body.get("tif")
    if kind not in _ORD_TYPES or tif not in _TIFS:
        return None

    def price(key: str) -> Decimal | None:
        ticks = body.get(key)
        return None if not isinstance(ticks, int) else instrument.to_price(ticks)

    return OrderRequest(
        symbol=str(body["symbol"]),
        side="buy" if body.get("side") == 1 else "sell",
        qty=int(body["qty"]),
        ord_type=cast(OrdType, kind),
        price=price("price_ticks"),
        stop_px=price("trigger_ticks"),
        tif=cast(TimeInForce, tif),
    )


def open_orders(journal: Journal, instruments: Mapping[str, Instrument]) -> list[JournalOrder]:
    """The journal's orders (the kernel's: written before they were sent) not seen ending."""
    submits: dict[str, Mapping[str, Any]] = {}
    found: dict[str, JournalOrder] = {}
    ended: set[str] = set()
    for row in journal.events(since_id=_since(journal)):
        body = row.body
        oid = body.get("order_id")
        if not isinstance(oid, str):
            continue
        if row.kind == "order.submit":
            submits[oid] = body
        elif row.kind == "order.sent":
            sub = submits.get(oid)
            instrument = instruments.get(str((sub or {}).get("symbol")))
            req = None if sub is None or instrument is None else _request(sub, instrument)
            if req is not None:
                found[oid] = JournalOrder(str(body["cl_ord_id"]), req)
        elif row.kind in ("order.update", "fill") and oid in found:
            order = found[oid]
            order.cl_ord_id = str(body.get("cl_ord_id") or order.cl_ord_id)
            order.venue_order_id = body.get("venue_order_id") or order.venue_order_id
            fill = body.get("fill")
            if isinstance(fill, dict):
                price = Decimal(str(fill["price"]))
                info = FillInfo(str(fill["exec_id"]), int(fill["qty"]), price, order.cl_ord_id)
                order.fills.append(info)
            if str(body.get("state")) in _TERMINAL:
                ended.add(oid)
            else:
                ended.discard(oid)
    return [order for oid, order in found.items() if oid not in ended]


def track(order: JournalOrder, tracked: TrackedOrder) -> None:
    """What the journal knew of the order, onto the gateway's tracked order (before its status
    request), so the answer's CumQty shows only the fills the journal missed."""
    tracked.order_id = order.venue_order_id
    tracked.fills = list(order.fills)
    tracked.cum_qty = order.filled
    tracked.exec_ids = {(order.venue_order_id or "", f.exec_id) for f in order.fills}
    tracked.state = OrderState.PENDING_NEW


def missed_fill(order: JournalOrder, tracked: TrackedOrder) -> tuple[int, Decimal] | None:
    """(lots, average price) the venue counts filled beyond the journal's fills, or None."""
    missed = tracked.cum_qty - order.filled
    if missed <= 0:
        return None
    seen = sum((f.price * f.qty for f in order.fills), Decimal(0))
    price = (tracked.avg_px * tracked.cum_qty - seen) / missed
    return missed, price


def answered(tracked: TrackedOrder) -> bool:
    return tracked.state is not OrderState.PENDING_NEW or tracked.status_unknown


async def ask_each(
    gateway: FixGateway, known: list[JournalOrder], timeout: float
) -> list[tuple[JournalOrder, TrackedOrder]]:
    """Each order onto the gateway's tracker and a status request (H) for it; wait for every
    answer (the venue's state, or "unknown order").  No answer in time: RuntimeError."""
    pairs = []
    for order in known:
        tracked = gateway.tracker.add(order.cl_ord_id, order.request)
        track(order, tracked)
        gateway.request_status(tracked)
        pairs.append((order, tracked))
    try:
        await gateway.wait_for(lambda: all(answered(t) for _, t in pairs), timeout)
    except TimeoutError:
        late = [o.cl_ord_id for o, t in pairs if not answered(t)]
        raise RuntimeError(
            f"FIX 4.2: no status answer within {timeout:g} s for {late}: "
            "not trading on unknown orders"
        ) from None
    return pairs
