"""Execution's view of one order: what the venue holds, what is in flight, who it serves."""

from __future__ import annotations

from dataclasses import dataclass

from bot.model.orders import Order, OrderStatus, OrderType, Purpose

TARGET_PURPOSES = (Purpose.ENTRY, Purpose.EXIT, Purpose.FLATTEN)


@dataclass(slots=True)
class Tracked:
    order: Order  # as the venue last confirmed it (qty = the order's total size)
    status: OrderStatus = OrderStatus.PENDING_NEW
    filled: int = 0
    reducing: bool = False  # approved by the risk engine as reducing exposure
    pending: str = "new"  # the message in flight: "new", "replace", "cancel" or ""
    pending_since_ns: int = 0
    pending_order: Order | None = None  # the order as a replace in flight would leave it
    sleeves: tuple[str, ...] = ()

    @property
    def live(self) -> bool:
        return not self.status.is_terminal

    @property
    def remaining(self) -> int:
        return max(0, self.order.qty - self.filled)

    @property
    def venue_qty(self) -> int:
        """The most the venue may still fill: a replace in flight counts at its larger size."""
        after = self.pending_order.qty - self.filled if self.pending_order is not None else 0
        return max(self.remaining, after)

    def prices(self) -> list[int | None]:
        """Every price the venue may hold it at (both sides of a replace in flight)."""
        orders = [self.order] if self.pending_order is None else [self.order, self.pending_order]
        out: list[int | None] = []
        for o in orders:
            if o.order_type == OrderType.MARKET:
                out.append(None)
            elif o.order_type == OrderType.STOP:
                out.append(o.trigger_ticks)
            else:
                out.append(o.price_ticks)
        return out


def crosses(buy_type: OrderType, buy: int | None, sell_type: OrderType, sell: int | None) -> bool:
    """Could our own buy and sell trade with each other?  Limits cross when buy >= sell; a
    market order crosses any limit; a stop (once triggered, a market order) can hit our own
    resting order on the other side at or beyond its trigger (a buy above a sell stop's trigger
    is filled before the market can get down to it)."""
    if buy_type == OrderType.STOP and sell_type == OrderType.STOP:
        return False
    if buy_type == OrderType.STOP:
        return sell_type == OrderType.MARKET or (
            sell is not None and buy is not None and sell >= buy
        )
    if sell_type == OrderType.STOP:
        return buy_type == OrderType.MARKET or (
            sell is not None and buy is not None and buy <= sell
        )
    if buy is None or sell is None:
        return True
    return buy >= sell
