"""What the matching engine reports; the venue turns these into FIX messages and positions.

Plain slotted classes, compiled with the engine (`bot._native`) to native classes: a sweep
creates three events per execution, and a native object is several times cheaper to create than
a named tuple.  Readers use the named fields and `isinstance` only (no unpacking, no indexing).
"""

from __future__ import annotations

from bot.exchange.orders import SimOrder


class Accepted:
    __slots__ = ("order",)

    def __init__(self, order: SimOrder) -> None:
        self.order = order

    def __repr__(self) -> str:
        return f"Accepted(order={self.order!r})"


class Fill:
    """One side of one execution; `aggressor` is False for the resting order."""

    __slots__ = ("aggressor", "cum_qty", "match_id", "notional", "order", "price", "qty")

    def __init__(
        self,
        order: SimOrder,
        price: int,
        qty: int,
        match_id: int,
        aggressor: bool,
        cum_qty: int,
        notional: int,
    ) -> None:
        self.order = order
        self.price = price
        self.qty = qty
        self.match_id = match_id
        self.aggressor = aggressor
        self.cum_qty = cum_qty  # the order's filled quantity and notional right after this fill
        self.notional = notional

    def __repr__(self) -> str:
        return (
            f"Fill(order={self.order!r}, price={self.price}, qty={self.qty},"
            f" match_id={self.match_id}, aggressor={self.aggressor}, cum_qty={self.cum_qty},"
            f" notional={self.notional})"
        )


class Trade:
    """A print on the tape (one per execution), for market data and stop triggers."""

    __slots__ = ("aggressor_side", "match_id", "price", "qty")

    def __init__(self, price: int, qty: int, aggressor_side: int, match_id: int) -> None:
        self.price = price
        self.qty = qty
        self.aggressor_side = aggressor_side
        self.match_id = match_id

    def __repr__(self) -> str:
        return (
            f"Trade(price={self.price}, qty={self.qty}, aggressor_side={self.aggressor_side},"
            f" match_id={self.match_id})"
        )


class Canceled:
    __slots__ = ("order", "reason")

    def __init__(self, order: SimOrder, reason: str) -> None:
        self.order = order
        self.reason = reason

    def __repr__(self) -> str:
        return f"Canceled(order={self.order!r}, reason={self.reason!r})"


class Replaced:
    __slots__ = ("cum_qty", "notional", "order")

    def __init__(self, order: SimOrder, cum_qty: int, notional: int) -> None:
        self.order = order
        self.cum_qty = cum_qty
        self.notional = notional

    def __repr__(self) -> str:
        return f"Replaced(order={self.order!r}, cum_qty={self.cum_qty}, notional={self.notional})"


class Triggered:
    __slots__ = ("order",)

    def __init__(self, order: SimOrder) -> None:
        self.order = order

    def __repr__(self) -> str:
        return f"Triggered(order={self.order!r})"


Event = Accepted | Fill | Trade | Canceled | Replaced | Triggered
