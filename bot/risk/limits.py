"""The risk engine's numbers: the account's hard limits and the bot's tighter safety lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from bot.config import Settings
from bot.instruments.specs import dollars_to_cents
from bot.rules.profiles import AccountRules, rules_from_settings


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Cents throughout.  The bot halts at its safety lines, well before Topstep's limits."""

    rules: AccountRules
    dll_safety_cents: int = 90_000  # halt for the day when the day's net P&L reaches -$900
    mll_safety_margin_cents: int = 20_000  # halt when equity comes within $200 of the floor
    reducing_fraction: Decimal = Decimal("0.9")
    gap_allowance_ticks: int = 4
    # A flatten (or protect) request is repeated while it is still needed, at most this often
    # unless the position or the working orders changed since the last one.
    flatten_retry: timedelta = timedelta(seconds=5)
    # A position (or part of one) without a working protective stop for this long blocks new
    # risk and is asked to be protected; for twice this long, to be flattened.
    stop_grace: timedelta = timedelta(seconds=2)
    # A mark further than this fraction from the last accepted mark is a data anomaly until
    # `mark_confirmations` marks in a row confirm the new level.
    mark_jump: Decimal = Decimal("0.02")
    mark_jump_min_ticks: int = 40
    mark_confirmations: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.dll_safety_cents < self.rules.dll_cents:
            raise ValueError("the DLL safety threshold must be positive and below the DLL")
        if not 0 <= self.mll_safety_margin_cents < self.rules.mll_amount_cents:
            raise ValueError("the MLL safety margin must be below the MLL amount")

    @property
    def max_micros_cap(self) -> int:
        """Topstep's 5-lot cap in micro contracts (5 or 50, by `MICROS_PER_LOT`)."""
        return self.rules.max_micros

    @classmethod
    def from_settings(cls, settings: Settings) -> RiskLimits:
        return cls(
            rules=rules_from_settings(settings),
            dll_safety_cents=dollars_to_cents(settings.dll_safety_threshold),
            mll_safety_margin_cents=dollars_to_cents(settings.mll_safety_margin),
            reducing_fraction=settings.reducing_fraction,
            gap_allowance_ticks=settings.gap_allowance_ticks,
            flatten_retry=timedelta(seconds=settings.flatten_retry_s),
            stop_grace=timedelta(milliseconds=settings.stop_grace_ms),
            mark_jump=settings.mark_jump_pct / 100,
            mark_confirmations=settings.mark_confirmations,
        )
