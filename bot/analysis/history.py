"""A daily P&L history as the simulator's integer arrays, optionally resized by a factor.

Scaling models a different position size: every row's P&L is multiplied once and rounded to
whole cents (half to even) before any simulation, so both engines see the very same rows.

The scaling plan caps the size a path may trade each day.  A row that records its peak
position (`max_contracts`, micro contracts, written by the backtester) is traded at
`factor * max_contracts`; when that is more than the path's limit that day (the tier its
balance allows), the day is shrunk to the limit: its P&L becomes `raw * limit / max_contracts`
(floored to the cent).  The approximation: a day's P&L is proportional to its size, and the
peak is what the limit bounds.  A row without `max_contracts` (0) is assumed to fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from bot.analysis.pathsim import Cents
from bot.rules.account import DayPnl

MIN_ROWS = 20


@dataclass(frozen=True, slots=True)
class History:
    """Net and low P&L per historical day at `factor` times the size, in cents, with the rows'
    unscaled P&L and peak positions for the scaling plan's cap; row i is the same day in all."""

    net: Cents
    low: Cents
    raw_net: Cents
    raw_low: Cents
    contracts: Cents  # peak position in micros at factor 1; 0 = not recorded
    factor_num: int = 1
    factor_den: int = 1

    @property
    def rows(self) -> int:
        return int(self.net.shape[0])

    @property
    def capped(self) -> bool:
        """Whether any row records its size (so the scaling plan can cap it)."""
        return bool(self.contracts.any())

    @classmethod
    def from_days(cls, days: Sequence[DayPnl], factor: Decimal = Decimal(1)) -> History:
        """The P&L columns only: a `payout` column of the input plays no part in a simulation."""
        scaled = scale_days(days, factor)
        num, den = factor.as_integer_ratio()

        def column(values: Sequence[int]) -> Cents:
            return np.array(values, dtype=np.int64)

        return cls(
            net=column([d.net_pnl_cents for d in scaled]),
            low=column([d.low_pnl_cents for d in scaled]),
            raw_net=column([d.net_pnl_cents for d in days]),
            raw_low=column([d.low_pnl_cents for d in days]),
            contracts=column([d.max_contracts for d in days]),
            factor_num=num,
            factor_den=den,
        )

    def capped_tables(self, limits: Sequence[int]) -> tuple[Cents, Cents]:
        """Every row's (net, low) under each position limit in `limits`, flattened limit-major
        (shape len(limits) * rows): a day is then one gather, however the paths' limits differ."""
        nets, lows = [], []
        for limit in limits:
            over = self.contracts * self.factor_num > limit * self.factor_den
            size = np.maximum(self.contracts, 1)
            nets.append(np.where(over, (self.raw_net * limit) // size, self.net))
            lows.append(np.where(over, (self.raw_low * limit) // size, self.low))
        return np.concatenate(nets), np.concatenate(lows)


def tier_capped_day(raw: DayPnl, factor: Decimal, limit: int) -> DayPnl:
    """The scalar twin of `History.day_arrays` for one row: `raw` at `factor`, shrunk to
    `limit` micros when its peak position at that factor exceeds it."""
    num, den = factor.as_integer_ratio()
    if raw.max_contracts and raw.max_contracts * num > limit * den:
        return replace(
            raw,
            net_pnl_cents=raw.net_pnl_cents * limit // raw.max_contracts,
            low_pnl_cents=raw.low_pnl_cents * limit // raw.max_contracts,
            payout_cents=0,
        )
    (scaled,) = scale_days([raw], factor)
    return scaled


def scale_cents(cents: int, factor: Decimal) -> int:
    """cents * factor to whole cents, half to even; monotone, so low <= min(0, net) survives."""
    return int((Decimal(cents) * factor).to_integral_value(rounding=ROUND_HALF_EVEN))


def scale_days(days: Sequence[DayPnl], factor: Decimal) -> list[DayPnl]:
    """Every row at `factor` times the position size, payout requests dropped."""
    if factor <= 0:
        raise ValueError(f"scale factor must be positive, got {factor}")
    return [
        replace(
            day,
            net_pnl_cents=scale_cents(day.net_pnl_cents, factor),
            low_pnl_cents=scale_cents(day.low_pnl_cents, factor),
            payout_cents=0,
        )
        for day in days
    ]
