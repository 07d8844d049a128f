"""The end-of-day account rules engine: one trading day at a time, pure and exact.

This is the single source of truth for how a day changes the account.  The rules replay command,
the risk engine's start-of-day limits and the Monte Carlo's vectorised paths all agree with it.
Order within a day: intraday MLL check on (start balance + day's low); DLL check; EOD balance;
winning day; floor update; payout eligibility and payout; next day's position limit.

A day that reaches the DLL is liquidated and locked by Topstep at that moment, so its result is
the loss at liquidation, not its later close.  Without intraday detail the loss at liquidation
is taken to be the day's low (`low_pnl`): the conservative choice, never better than the truth
for a day whose low is at or past the DLL.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.rules.profiles import AccountRules


@dataclass(frozen=True, slots=True)
class DayPnl:
    """One trading day's result: closing net P&L and the lowest net P&L reached (cents)."""

    day: date
    net_pnl_cents: int
    low_pnl_cents: int
    payout_cents: int = 0  # a withdrawal requested at the day's end (0 = none)
    max_contracts: int = 0  # the day's peak position in micro contracts (0 = not recorded)


@dataclass(frozen=True, slots=True)
class AccountState:
    """The account between days."""

    balance_cents: int
    floor_cents: int
    winning_days: int = 0
    failed: bool = False
    paid_out_cents: int = 0
    payouts: int = 0
    max_micros: int = 0
    best_day_cents: int = 0  # the largest single day's result (the Combine's consistency rule)

    @classmethod
    def initial(cls, rules: AccountRules) -> AccountState:
        return cls(
            balance_cents=rules.start_balance_cents,
            floor_cents=rules.initial_floor_cents,
            max_micros=rules.micros_for_balance(rules.start_balance_cents),
        )


@dataclass(frozen=True, slots=True)
class DayOutcome:
    """What a day did to the account, in the order the rules apply."""

    day: date
    balance_cents: int
    mll_floor_cents: int
    dll_hit: bool
    mll_breached: bool
    account_failed: bool
    winning_day: bool
    winning_days: int
    payout_eligible: bool
    max_payout_cents: int
    payout_paid_cents: int
    payout_refused: str | None
    max_micros: int
    # Profiles with a profit target (the Combine): profit at or over the target, and the
    # consistency rule met; the account passes when both hold.
    target_reached: bool = False
    consistency_ok: bool = True

    @property
    def passed(self) -> bool:
        return self.target_reached and self.consistency_ok


def max_payout_cents(rules: AccountRules, balance_cents: int) -> int:
    """min(cap, fraction of balance), whole cents rounded down; 0 for a non-positive balance."""
    if balance_cents <= 0:
        return 0
    share = int(balance_cents * rules.payout_fraction)  # int() truncates toward zero
    return min(rules.payout_cap_cents, share)


def is_payout_eligible(rules: AccountRules, winning_days: int, balance_cents: int) -> bool:
    return (
        rules.payouts_enabled
        and winning_days >= rules.winning_days_for_payout
        and (balance_cents > 0)
    )


def trail_floor(rules: AccountRules, floor_cents: int, eod_balance_cents: int) -> int:
    """Raise the floor to (EOD balance - MLL amount), never lower it, never above the lock."""
    candidate = min(eod_balance_cents - rules.mll_amount_cents, rules.mll_lock_cents)
    return max(floor_cents, candidate)


def _refusal(rules: AccountRules, eligible: bool, winning_days: int, asked: int, cap: int) -> str:
    if not rules.payouts_enabled:
        return f"payouts are not available on {rules.name}"
    if not eligible:
        return (
            f"not eligible: {winning_days} winning days since the last payout, "
            f"{rules.winning_days_for_payout} needed"
        )
    if asked <= 0:
        return "payout must be positive"
    return f"requested {asked / 100:.2f} exceeds the maximum {cap / 100:.2f}"


def apply_day(
    rules: AccountRules,
    state: AccountState,
    pnl: DayPnl,
    auto_payout_min_balance_cents: int | None = None,
) -> tuple[AccountState, DayOutcome]:
    """Apply one day.  With `auto_payout_min_balance_cents`, take the maximum payout whenever
    eligible and the balance is at least that much (the Monte Carlo's standard payout policy)."""
    if state.failed:
        raise ValueError("the account has already failed; no further days apply")
    start = state.balance_cents
    low = start + pnl.low_pnl_cents
    dll_hit = pnl.low_pnl_cents <= -rules.dll_cents
    result = day_result_cents(rules, pnl.net_pnl_cents, pnl.low_pnl_cents)
    if low <= state.floor_cents:
        failed = replace(state, balance_cents=low, failed=True)
        return failed, DayOutcome(
            day=pnl.day,
            balance_cents=low,
            mll_floor_cents=state.floor_cents,
            dll_hit=dll_hit,
            mll_breached=True,
            account_failed=True,
            winning_day=False,
            winning_days=state.winning_days,
            payout_eligible=False,
            max_payout_cents=0,
            payout_paid_cents=0,
            payout_refused=None,
            max_micros=0,
            consistency_ok=False,
        )

    balance = start + result
    winning_day = result >= rules.winning_day_cents
    winning_days = state.winning_days + int(winning_day)
    floor = trail_floor(rules, state.floor_cents, balance)
    eligible = is_payout_eligible(rules, winning_days, balance)
    cap = max_payout_cents(rules, balance) if eligible else 0

    asked = pnl.payout_cents
    if auto_payout_min_balance_cents is not None and eligible:
        asked = cap if balance >= auto_payout_min_balance_cents else 0
    paid, refused = 0, None
    if asked:
        if eligible and 0 < asked <= cap:
            paid = asked
        else:
            refused = _refusal(rules, eligible, winning_days, asked, cap)
    paid_out, payouts = state.paid_out_cents, state.payouts
    if paid:
        balance -= paid
        floor = max(floor, rules.mll_lock_cents)  # any payout sets the floor to the start ($0)
        winning_days = 0
        paid_out += paid
        payouts += 1

    max_micros = rules.micros_for_balance(balance)
    best_day = max(state.best_day_cents, result)
    reached, consistent = target_status(rules, balance + paid_out, best_day)
    new_state = AccountState(
        balance_cents=balance,
        floor_cents=floor,
        winning_days=winning_days,
        failed=False,
        paid_out_cents=paid_out,
        payouts=payouts,
        max_micros=max_micros,
        best_day_cents=best_day,
    )
    return new_state, DayOutcome(
        day=pnl.day,
        balance_cents=balance,
        mll_floor_cents=floor,
        dll_hit=dll_hit,
        mll_breached=False,
        account_failed=False,
        winning_day=winning_day,
        winning_days=winning_days,
        payout_eligible=eligible,
        max_payout_cents=cap,
        payout_paid_cents=paid,
        payout_refused=refused,
        max_micros=max_micros,
        target_reached=reached,
        consistency_ok=consistent,
    )


def day_result_cents(rules: AccountRules, net_cents: int, low_cents: int) -> int:
    """The day's result for the account: its close, or its low when the low reached the DLL
    (Topstep liquidates then; the low stands for the unknown loss at liquidation)."""
    return low_cents if low_cents <= -rules.dll_cents else net_cents


def target_status(
    rules: AccountRules, balance_with_payouts: int, best_day: int
) -> tuple[bool, bool]:
    """(profit target reached, consistency met) for profiles with a target; (False, True) else.
    Consistency: best day <= fraction * max(total profit, target) (rules reference, C3)."""
    target = rules.profit_target_cents
    if target is None:
        return False, True
    profit = balance_with_payouts - rules.start_balance_cents
    fraction = rules.consistency_fraction
    consistent = fraction is None or best_day <= max(profit, target) * fraction
    return profit >= target, consistent
