"""Account profiles: every number of a Topstep account as data, with the published defaults.

Balances are profit-only (the XFA shows $0 at the start), so the Trading Combine's $50,000 start,
$48,000 floor and $50,000 lock become 0, -2,000 and 0 here: the arithmetic is the same.

Position limits are in Topstep's *lots*; how many micro contracts make a lot depends on the
platform (`micros_per_lot`): 1 on every route but TopstepX (the help center's "What does Maximum
Position Size mean?" and "What is the Scaling Plan?": 1 MES = 1 ES lot in the Combine, Express
Funded and Live accounts), 10 on TopstepX.  The bot trades over FIX, not TopstepX, so the default
is 1: the XFA 50K starts at 2 micros, not 20.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from bot.config import AccountProfileName, Settings
from bot.instruments.specs import dollars_to_cents


@dataclass(frozen=True, slots=True)
class ScalingTier:
    """From an EOD balance strictly above `above_balance_cents`, trade `max_lots` lots."""

    above_balance_cents: int
    max_lots: int


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
    # Ascending by balance.  A balance at or below every tier's threshold gets the first tier.
    scaling: tuple[ScalingTier, ...] = ()
    max_lots: int = 5
    micros_per_lot: int = 1
    profit_target_cents: int | None = None
    # The Combine's consistency target: best day <= fraction * max(total profit, target).
    consistency_fraction: Decimal | None = None

    def __post_init__(self) -> None:
        if self.micros_per_lot not in (1, 10):
            raise ValueError("micros_per_lot must be 1 (FIX, Rithmic, ...) or 10 (TopstepX)")

    @property
    def initial_floor_cents(self) -> int:
        return self.start_balance_cents - self.mll_amount_cents

    @property
    def max_micros(self) -> int:
        """The account's hard cap in micro contracts (5 lots)."""
        return self.max_lots * self.micros_per_lot

    def lots_for_balance(self, eod_balance_cents: int) -> int:
        """Next day's position limit in lots from the end-of-day balance (scaling plan)."""
        allowed = self.scaling[0].max_lots if self.scaling else self.max_lots
        for tier in self.scaling:
            if eod_balance_cents > tier.above_balance_cents:
                allowed = tier.max_lots
        return min(allowed, self.max_lots)

    def micros_for_balance(self, eod_balance_cents: int) -> int:
        """Next day's position limit in micro contracts."""
        return self.lots_for_balance(eod_balance_cents) * self.micros_per_lot


# XFA 50K scaling plan (third-party copies of Topstep's table image): 2 lots to $1,500, 3 lots
# to $2,000, 5 lots above.  Whether a balance of exactly $1,500.00 or $2,000.00 already reaches
# the next tier is not stated anywhere we found; we take the conservative reading at both
# boundaries: a tier is reached only strictly above its threshold ($1,500.01, $2,000.01).
XFA_50K_SCALING = (
    ScalingTier(above_balance_cents=-(10**12), max_lots=2),
    ScalingTier(above_balance_cents=150_000, max_lots=3),
    ScalingTier(above_balance_cents=200_000, max_lots=5),
)

PROFILES: dict[AccountProfileName, AccountRules] = {
    "xfa-50k": AccountRules(name="xfa-50k", scaling=XFA_50K_SCALING),
    # Trading Combine 50K: $3,000 profit target, best day at most 50% of it (C3 in the rules
    # reference: best_day / max(total profit, target) <= 0.5), no scaling plan, no payouts.
    "combine-50k": AccountRules(
        name="combine-50k",
        payouts_enabled=False,
        profit_target_cents=300_000,
        consistency_fraction=Decimal("0.5"),
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
        micros_per_lot=settings.micros_per_lot,
    )
