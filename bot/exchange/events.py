"""What the matching engine reports; the venue turns these into FIX messages and positions."""

from __future__ import annotations

from typing import NamedTuple

from bot.exchange.orders import SimOrder


class Accepted(NamedTuple):
    order: SimOrder


class Fill(NamedTuple):
    """One side of one execution; `aggressor` is False for the resting order."""

    order: SimOrder
    price: int
    qty: int
    match_id: int
    aggressor: bool
    cum_qty: int  # the order's filled quantity and notional right after this fill
    notional: int


class Trade(NamedTuple):
    """A print on the tape (one per execution), for market data and stop triggers."""

    price: int
    qty: int
    aggressor_side: int
    match_id: int


class Canceled(NamedTuple):
    order: SimOrder
    reason: str


class Replaced(NamedTuple):
    order: SimOrder
    cum_qty: int
    notional: int


class Triggered(NamedTuple):
    order: SimOrder


Event = Accepted | Fill | Trade | Canceled | Replaced | Triggered
