"""One order type for every layer: what a sleeve's intent becomes, what the risk engine approves,
what the journal records and what an execution adapter sends."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.model.side import Side


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"


class Purpose(StrEnum):
    """Why the order exists; execution treats each kind differently (stops are never throttled
    and never cancelled by a quote update, exits never need a protective stop)."""

    ENTRY = "entry"  # adds exposure toward a target
    EXIT = "exit"  # reduces exposure toward a target
    QUOTE = "quote"  # a market maker's resting quote
    STOP = "stop"  # a protective stop held at the broker
    FLATTEN = "flatten"  # forced by the risk engine or the cutoff


class OrderStatus(StrEnum):
    PENDING_NEW = "pending_new"  # sent, not yet acknowledged
    WORKING = "working"  # acknowledged, resting or waiting for its trigger
    PARTIALLY_FILLED = "partially_filled"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class Order:
    """An order the bot wants to send.  Prices in integer ticks of the instrument.

    `order_id` is the ClOrdID.  `price_ticks` is the limit price (LIMIT, STOP_LIMIT);
    `trigger_ticks` the stop trigger (STOP, STOP_LIMIT).  Every order that adds exposure names
    the protective stop that will be held at the broker for it; orders that only reduce
    exposure need none.
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
    tif: TimeInForce = TimeInForce.DAY
    purpose: Purpose = Purpose.ENTRY
    created_ns: int = 0
