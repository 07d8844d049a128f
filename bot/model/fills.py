"""One fill type, as every layer sees an execution: the venue's adapter builds it once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.model.side import Side


class Liquidity(StrEnum):
    MAKER = "maker"  # our order was resting
    TAKER = "taker"  # our order took resting liquidity
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Fill:
    """A (partial) execution of our order `order_id` at `price_ticks` for `qty` lots."""

    ts_ns: int
    order_id: str
    symbol: str
    side: Side
    qty: int
    price_ticks: int
    fee_cents: int
    exec_id: str = ""
    venue_order_id: str = ""
    liquidity: Liquidity = Liquidity.UNKNOWN
    leaves_qty: int = 0  # what the order can still fill after this one
