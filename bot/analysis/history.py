"""A daily P&L history as the simulator's integer arrays, optionally resized by a factor.

Scaling models a different position size: every row's P&L is multiplied once and rounded to
whole cents (half to even) before any simulation, so both engines see the very same rows.
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
    """Net and low P&L per historical day, in cents; row i of both arrays is the same day."""

    net: Cents
    low: Cents

    @property
    def rows(self) -> int:
        return int(self.net.shape[0])

    @classmethod
    def from_days(cls, days: Sequence[DayPnl]) -> History:
        """The P&L columns only: a `payout` column of the input plays no part in a simulation."""
        net = np.array([d.net_pnl_cents for d in days], dtype=np.int64)
        low = np.array([d.low_pnl_cents for d in days], dtype=np.int64)
        return cls(net=net, low=low)


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
