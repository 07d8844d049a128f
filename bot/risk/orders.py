"""What the risk engine is asked to approve, and what it answers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Side(IntEnum):
    """Signed so that `side * qty` is the change in position."""

    BUY = 1
    SELL = -1


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """An order the bot wants to send.  Prices in integer ticks of the instrument.

    `price_ticks` is the limit price (LIMIT, STOP_LIMIT); `trigger_ticks` the stop trigger
    (STOP, STOP_LIMIT).  Every order that adds exposure names the protective stop that will
    be held at the broker for it; orders that only reduce exposure need none.
    """

    order_id: str
    symbol: str
    side: Side
    qty: int
    order_type: OrderType = OrderType.LIMIT
    price_ticks: int | None = None
    trigger_ticks: int | None = None
    protective_stop_ticks: int | None = None
    sleeve: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one pre-trade check; `reason` says why, approved or not."""

    approved: bool
    reason: str
    reducing: bool = False
    worst_case_cents: int = 0
    buffer_cents: int = 0
    # For an approved entry: the worst price it was approved to fill at.  A MARKET entry (or a
    # STOP entry already through the market) must go to the venue with this as its protection
    # limit (a marketable limit / stop-limit), so the fill cannot be worse than the reservation.
    entry_bound_ticks: int | None = None
