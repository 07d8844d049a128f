"""CME micro futures as data: inside the engine prices are integer ticks, money integer cents.

Tick values are exact in cents for every product here, so P&L is `ticks * tick_value_cents * qty`
with no floating point anywhere; conversion to and from decimal prices happens only at the edges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Literal

MonthCycle = Literal["quarterly", "bimonthly-even", "monthly"]
FeeClass = Literal["equity", "metal-energy"]
ProductGroup = Literal["equity", "metals", "energy"]  # the exchange's holiday-schedule groups


class PriceOffGrid(ValueError):
    """A price that is not a whole number of ticks for its instrument."""


@dataclass(frozen=True, slots=True)
class Instrument:
    """One CME micro contract family (the root symbol, e.g. MES), independent of the month."""

    symbol: str
    description: str
    exchange: str
    tick_size: Decimal
    tick_value_cents: int
    fee_per_side_cents: int
    fee_class: FeeClass
    month_cycle: MonthCycle
    group: ProductGroup = "equity"

    @property
    def point_value(self) -> Decimal:
        """Dollars per full index point (or $1 of the underlying price)."""
        return Decimal(self.tick_value_cents) / 100 / self.tick_size

    def to_ticks(self, price: Decimal | str | float | int) -> int:
        """Exact conversion of a price to ticks; raises `PriceOffGrid` off the tick grid."""
        try:
            value = Decimal(str(price))
        except InvalidOperation as exc:
            raise PriceOffGrid(f"{price!r} is not a price") from exc
        ticks, rest = divmod(value, self.tick_size)
        if rest != 0 or not value.is_finite():
            raise PriceOffGrid(f"{price} is not on the {self.symbol} tick grid ({self.tick_size})")
        return int(ticks)

    def snap_to_ticks(self, price: float) -> int:
        """Nearest tick for a C++ double coming off the wire (FIX prices are doubles)."""
        return round(Decimal(repr(price)) / self.tick_size)

    def to_price(self, ticks: int) -> Decimal:
        return ticks * self.tick_size

    def pnl_cents(self, ticks: int, qty: int) -> int:
        """Money for a move of `ticks` on `qty` contracts (signed)."""
        return ticks * self.tick_value_cents * qty


def _micro(
    symbol: str,
    description: str,
    exchange: str,
    tick_size: str,
    tick_value_cents: int,
    cycle: MonthCycle,
    group: ProductGroup,
) -> Instrument:
    fee_class: FeeClass = "equity" if group == "equity" else "metal-energy"
    fee = 37 if fee_class == "equity" else 62
    return Instrument(
        symbol,
        description,
        exchange,
        Decimal(tick_size),
        tick_value_cents,
        fee,
        fee_class,
        cycle,
        group,
    )


MICROS: Mapping[str, Instrument] = {
    i.symbol: i
    for i in (
        _micro("MES", "Micro E-mini S&P 500", "CME", "0.25", 125, "quarterly", "equity"),
        _micro("MNQ", "Micro E-mini Nasdaq-100", "CME", "0.25", 50, "quarterly", "equity"),
        _micro("MYM", "Micro E-mini Dow", "CBOT", "1", 50, "quarterly", "equity"),
        _micro("M2K", "Micro E-mini Russell 2000", "CME", "0.10", 50, "quarterly", "equity"),
        _micro("MGC", "Micro Gold", "COMEX", "0.10", 100, "bimonthly-even", "metals"),
        _micro("MCL", "Micro WTI Crude Oil", "NYMEX", "0.01", 100, "monthly", "energy"),
    )
}


def dollars_to_cents(amount: Decimal) -> int:
    """Whole cents from a Decimal dollar amount; refuses fractions of a cent."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has a fraction of a cent")
    return int(cents)


def instrument_table(
    fee_equity: Decimal = Decimal("0.37"), fee_metal_energy: Decimal = Decimal("0.62")
) -> dict[str, Instrument]:
    """The micro table with per-side fees from configuration."""
    fees: dict[FeeClass, int] = {
        "equity": dollars_to_cents(fee_equity),
        "metal-energy": dollars_to_cents(fee_metal_energy),
    }
    return {s: replace(i, fee_per_side_cents=fees[i.fee_class]) for s, i in MICROS.items()}
