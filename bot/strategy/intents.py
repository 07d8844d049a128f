"""What a sleeve answers with: intents, never orders.  The portfolio nets them and execution turns
the net into orders, each checked by the risk engine."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TargetPosition:
    """Hold `qty` (signed: + long, - short, 0 flat) in `symbol`, protected by a stop at
    `stop_ticks` (required when `qty` is not 0).  Optional take-profit price and time stop
    (the time after which the sleeve's target is treated as 0)."""

    symbol: str
    qty: int
    stop_ticks: int | None = None
    take_profit_ticks: int | None = None
    time_stop_ns: int | None = None


@dataclass(frozen=True, slots=True)
class QuoteSide:
    price_ticks: int
    qty: int


@dataclass(frozen=True, slots=True)
class Quotes:
    """A market maker's resting quotes for `symbol`; None on a side pulls that side.  A fill of a
    quote is protected by a stop `stop_offset_ticks` away from its fill price."""

    symbol: str
    bid: QuoteSide | None
    ask: QuoteSide | None
    stop_offset_ticks: int


@dataclass(frozen=True, slots=True)
class ReleaseTarget:
    """Drop the sleeve's target in `symbol`: from now on its position is whatever its fills make,
    as before it set one (a market maker back to quoting after an exit, where a standing target
    of 0 would turn its next passive fill straight into an exit)."""

    symbol: str


Intent = TargetPosition | Quotes | ReleaseTarget
