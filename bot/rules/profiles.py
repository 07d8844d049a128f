"""Account profiles: every number of a Topstep account as data, with the published defaults.

Balances are profit-only (the XFA shows $0 at the start), so the Trading Combine's $50,000 start,
$48,000 floor and $50,000 lock become 0, -2,000 and 0 here: the arithmetic is the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from bot.config import AccountProfileName, Settings
from bot.instruments.specs import dollars_to_cents


@dataclass(frozen=True, slots=True)
class ScalingTier:
    """From an EOD balance of at least `min_balance_cents` (inclusive), trade `max_micros`."""

    min_balance_cents: int
    max_micros: int


@dataclass(frozen=True, slots=True)
class AccountRules:
    """One account's rule numbers; money in integer cents."""

    name: AccountProfileName
    start_balance_cents: int = 0
    mll_amount_cents: int = 200_000
    mll_lock_cents: int = 0
    dll_cents: int = 100_000
    winning_day_cents: int = 15_000
    winning_days_for_payout: int = 5
    payout_cap_cents: int = 500_000
    payout_fraction: Decimal = Decimal("0.5")
    payouts_enabled: bool = True
    # Ascending by balance.  A balance below the first tier's minimum gets the first tier.
    scaling: tuple[ScalingTier, ...] = ()
    max_micros: int = 50
    profit_target_cents: int | None = None

    @property
    def initial_floor_cents(self) -> int:
        return self.start_balance_cents - self.mll_amount_cents

    def micros_for_balance(self, eod_balance_cents: int) -> int:
        """Next day's position limit in micros from the end-of-day balance (scaling plan)."""
        allowed = self.scaling[0].max_micros if self.scaling else self.max_micros
        for tier in self.scaling:
            if eod_balance_cents >= tier.min_balance_cents:
                allowed = tier.max_micros
        return min(allowed, self.max_micros)


# XFA 50K scaling plan: below $1,500 two minis; $1,500 to $2,000 three; above $2,000 five.
# Ten micros count as one mini.  "Above $2,000" is strict, so $2,000.00 is still three minis.
XFA_50K_SCALING = (
    ScalingTier(min_balance_cents=-(10**12), max_micros=20),
    ScalingTier(min_balance_cents=150_000, max_micros=30),
    ScalingTier(min_balance_cents=200_001, max_micros=50),
)

PROFILES: dict[AccountProfileName, AccountRules] = {
    "xfa-50k": AccountRules(name="xfa-50k", scaling=XFA_50K_SCALING),
    "combine-50k": AccountRules(
        name="combine-50k", payouts_enabled=False, profit_target_cents=300_000
    ),
}


def rules_from_settings(settings: Settings, name: AccountProfileName | None = None) -> AccountRules:
    """The named profile (default: the configured one) with the configured limits applied."""
    base = PROFILES[name or settings.account_profile]
    return replace(
        base,
        dll_cents=dollars_to_cents(settings.daily_loss_limit),
        mll_amount_cents=dollars_to_cents(settings.trailing_max_drawdown),
        winning_day_cents=dollars_to_cents(settings.winning_day_min),
    )
