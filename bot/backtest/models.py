"""Pluggable realism for the backtest venues: latency, fees and slippage as small value classes.

Kept apart from the venues so a test (or a study) can swap one without touching the matching
code, and so every number a fill depends on is named in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.instruments.specs import Instrument
from bot.model.side import Side
from bot.model.units import NS_PER_MS


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """Fixed one-way delays: `to_venue_ns` for commands, `to_bot_ns` for everything the venue
    sends back (execution reports and market data alike, so the bot never learns of a fill
    before it could have seen the market move that caused it)."""

    to_venue_ns: int = 0
    to_bot_ns: int = 0

    @classmethod
    def fixed_ms(cls, ms: float) -> LatencyModel:
        ns = round(ms * NS_PER_MS)
        if ns < 0:
            raise ValueError(f"latency {ms} ms is negative")
        return cls(ns, ns)


@dataclass(frozen=True, slots=True)
class FeeModel:
    """Exchange + clearing fees per contract per side, from the instrument table (cents)."""

    per_side_cents: Mapping[str, int]

    @classmethod
    def from_instruments(cls, instruments: Mapping[str, Instrument]) -> FeeModel:
        return cls({s: i.fee_per_side_cents for s, i in instruments.items()})

    def fee_cents(self, symbol: str, qty: int) -> int:
        return self.per_side_cents.get(symbol, 0) * qty


@dataclass(frozen=True, slots=True)
class SlippageModel:
    """Ticks added against us to fills that take liquidity at a price we did not name (market
    orders and triggered stops); a limit order never fills worse than its price."""

    ticks: int = 0

    def worse(self, side: Side, price_ticks: int) -> int:
        return price_ticks + self.ticks * side
