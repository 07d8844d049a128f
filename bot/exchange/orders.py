"""Orders as the simulated venue keeps them: integer ticks and lots, mutable in place.

One slotted object per order and plain int codes keep the matching loop fast (no enum lookups on
the hot path); the FIX layer maps these codes to and from tag values.  Compiled with mypyc (see
`bot._native`), `SimOrder` is a native class: its int fields are stored unboxed, and the
constructor checks their types (a non-int quantity or price raises TypeError).
"""

from __future__ import annotations

from typing import Final

# `Final`: compiled (bot._native), `order.ord_type in (MARKET, STOP)` becomes int compares.
BUY: Final = 0  # same codes as bot.book.Side: BID=0, ASK=1
SELL: Final = 1

MARKET: Final = 1
LIMIT: Final = 2
STOP: Final = 3
STOP_LIMIT: Final = 4

DAY: Final = 0
GTC: Final = 1
IOC: Final = 3

# Order status, as FIX 4.4 OrdStatus (39) values.
NEW: Final = "0"
PARTIAL: Final = "1"
FILLED: Final = "2"
CANCELED: Final = "4"
REJECTED: Final = "8"
PENDING_TRIGGER: Final = "0"  # a stop waiting for its trigger is a working New order in FIX


class SimOrder:
    """One order on the venue; `order_id` is the venue's OrderID (37), unique per run."""

    __slots__ = (
        "account",
        "cl_ord_id",
        "cum_qty",
        "notional",
        "ord_type",
        "order_id",
        "owner",
        "price",
        "qty",
        "side",
        "status",
        "stop_px",
        "symbol",
        "tif",
        "triggered",
    )

    def __init__(
        self,
        order_id: int,
        side: int,
        ord_type: int,
        qty: int,
        price: int | None = None,
        stop_px: int | None = None,
        tif: int = DAY,
        owner: str | None = None,
        cl_ord_id: str = "",
        account: str = "",
        symbol: str = "",
    ) -> None:
        self.order_id = order_id
        self.side = side
        self.ord_type = ord_type
        self.qty = qty
        self.price = price
        self.stop_px = stop_px
        self.tif = tif
        self.owner = owner
        self.cl_ord_id = cl_ord_id
        self.account = account
        self.symbol = symbol
        self.cum_qty = 0
        self.notional = 0  # sum of fill price (ticks) * lots, for the average price
        self.status = NEW
        self.triggered = ord_type not in (STOP, STOP_LIMIT)

    @property
    def leaves_qty(self) -> int:
        if self.status in (CANCELED, REJECTED, FILLED):
            return 0
        return self.qty - self.cum_qty

    @property
    def is_open(self) -> bool:
        return self.status in (NEW, PARTIAL)

    def avg_ticks(self) -> float:
        return self.notional / self.cum_qty if self.cum_qty else 0.0

    def __repr__(self) -> str:
        return (
            f"SimOrder(id={self.order_id}, side={self.side}, type={self.ord_type}, qty={self.qty},"
            f" px={self.price}, stop={self.stop_px}, cum={self.cum_qty}, status={self.status})"
        )
