"""The account rules of `bot.rules.account.apply_day`, applied to many paths at once.

One call of `step` is one trading day for every path, in integer cents (int64), in the same
order as the scalar engine, so the two agree exactly; a test holds them to it day by day.
Pure: no I/O, no randomness (the caller supplies each day's P&L per path).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.rules.profiles import AccountRules

Cents = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

# (den - 1) * num must fit in int64 for the exact payout share below.
_INT64_SAFE = 2**62


@dataclass(frozen=True, slots=True)
class PathRules:
    """The rule numbers the vectorised engine needs, with the payout fraction as a ratio."""

    start_balance: int
    initial_floor: int
    mll_amount: int
    mll_lock: int
    dll: int
    winning_day: int
    winning_days_for_payout: int
    payouts_enabled: bool
    payout_cap: int
    payout_num: int
    payout_den: int
    # The scaling plan: (balance strictly above, lots) ascending; lots capped at max_lots.
    tiers: tuple[tuple[int, int], ...] = ()
    max_lots: int = 5
    micros_per_lot: int = 1

    @classmethod
    def from_account(cls, rules: AccountRules) -> PathRules:
        """Raise ValueError if the payout fraction cannot be applied exactly in int64."""
        num, den = rules.payout_fraction.as_integer_ratio()
        if num < 0 or den * max(num, 1) >= _INT64_SAFE:
            raise ValueError(f"payout fraction {rules.payout_fraction} is not usable exactly")
        return cls(
            start_balance=rules.start_balance_cents,
            initial_floor=rules.initial_floor_cents,
            mll_amount=rules.mll_amount_cents,
            mll_lock=rules.mll_lock_cents,
            dll=rules.dll_cents,
            winning_day=rules.winning_day_cents,
            winning_days_for_payout=rules.winning_days_for_payout,
            payouts_enabled=rules.payouts_enabled,
            payout_cap=rules.payout_cap_cents,
            payout_num=num,
            payout_den=den,
            tiers=tuple((t.above_balance_cents, t.max_lots) for t in rules.scaling),
            max_lots=rules.max_lots,
            micros_per_lot=rules.micros_per_lot,
        )

    def possible_limits(self) -> tuple[int, ...]:
        """Every position limit a path can have, in micros (0: a failed path)."""
        lots = {min(t, self.max_lots) for _, t in self.tiers} or {self.max_lots}
        return (0, *sorted(n * self.micros_per_lot for n in lots))

    def limit_micros(self, balance: Cents) -> Cents:
        """Next day's position limit in micros from each path's EOD balance (the vector twin
        of `AccountRules.micros_for_balance`)."""
        lots = np.full(balance.shape, self.tiers[0][1] if self.tiers else self.max_lots)
        for above, tier_lots in self.tiers:
            lots = np.where(balance > above, tier_lots, lots)
        limit: Cents = np.minimum(lots, self.max_lots).astype(np.int64) * self.micros_per_lot
        return limit

    def payout_share(self, balance: Cents) -> Cents:
        """floor(balance * num / den) without overflow; equals int(balance * fraction) for
        positive balances (callers mask the rest).  Shifts when den is a power of two (0.5)."""
        num, den = self.payout_num, self.payout_den
        if den & (den - 1) == 0:
            shift = den.bit_length() - 1
            if num == 1:
                return balance >> shift
            quotient, remainder = balance >> shift, balance & (den - 1)
            return quotient * num + ((remainder * num) >> shift)
        quotient, remainder = np.divmod(balance, den)
        share: Cents = quotient * num + (remainder * num) // den
        return share


@dataclass(slots=True)
class PathState:
    """Every path's account between days, plus the counters the statistics need."""

    balance: Cents
    floor: Cents
    winning_days: Cents
    failed: Mask
    paid_out: Cents
    payouts: Cents
    dll_days: Cents
    target_day: Cents  # 1-based day the profit first reached the target; 0 = not (yet)
    limit: Cents  # today's position limit in micros (the scaling plan's tier)

    @classmethod
    def initial(cls, rules: PathRules, n_paths: int) -> PathState:
        def zeros() -> Cents:
            return np.zeros(n_paths, dtype=np.int64)

        balance = np.full(n_paths, rules.start_balance, dtype=np.int64)
        return cls(
            balance=balance,
            floor=np.full(n_paths, rules.initial_floor, dtype=np.int64),
            winning_days=zeros(),
            failed=np.zeros(n_paths, dtype=np.bool_),
            paid_out=zeros(),
            payouts=zeros(),
            dll_days=zeros(),
            target_day=zeros(),
            limit=rules.limit_micros(balance),
        )

    def profit(self, rules: PathRules) -> Cents:
        """Balance gained plus everything paid out (a payout moves money, it is not a loss)."""
        result: Cents = self.balance - rules.start_balance + self.paid_out
        return result


@dataclass(frozen=True, slots=True)
class DayArrays:
    """What one day did to each path (the vector twin of `DayOutcome`)."""

    dll_hit: Mask
    mll_breached: Mask
    winning_day: Mask
    payout_eligible: Mask
    max_payout: Cents
    payout_paid: Cents


def step(
    rules: PathRules,
    state: PathState,
    net: Cents,
    low: Cents,
    day_number: int,
    target: int,
    auto_payout_min_balance: int | None,
) -> DayArrays:
    """Apply one day to every live path in place; failed paths do not change.  A day whose low
    reaches the DLL counts at its low (liquidated there), not at its close."""
    alive = ~state.failed
    low_balance = state.balance + low
    dll_hit = alive & (low <= -rules.dll)
    net = np.where(low <= -rules.dll, low, net)
    breached = alive & (low_balance <= state.floor)
    state.dll_days += dll_hit
    np.copyto(state.balance, low_balance, where=breached)
    state.failed |= breached
    ok = alive ^ breached

    np.add(state.balance, net, out=state.balance, where=ok)
    winning = ok & (net >= rules.winning_day)
    state.winning_days += winning
    # No mask needed: a failed path's balance is at or below its floor, so it cannot trail.
    trailed = np.minimum(state.balance - rules.mll_amount, rules.mll_lock)
    np.maximum(state.floor, trailed, out=state.floor)

    if rules.payouts_enabled:
        eligible = ok & (state.winning_days >= rules.winning_days_for_payout) & (state.balance > 0)
        cap = np.minimum(rules.payout_share(state.balance), rules.payout_cap)
        cap *= eligible
    else:
        eligible = np.zeros_like(ok)
        cap = np.zeros_like(state.balance)
    paid = np.zeros_like(state.balance)
    if auto_payout_min_balance is not None and rules.payouts_enabled:
        # Few paths pay on any one day: update just those.
        pay = np.flatnonzero(eligible & (state.balance >= auto_payout_min_balance) & (cap > 0))
        amount = cap[pay]
        paid[pay] = amount
        state.balance[pay] -= amount
        state.paid_out[pay] += amount
        state.payouts[pay] += 1
        state.floor[pay] = np.maximum(state.floor[pay], rules.mll_lock)
        state.winning_days[pay] = 0

    np.copyto(state.limit, rules.limit_micros(state.balance), where=ok)
    np.copyto(state.limit, 0, where=breached)
    reached = ok & (state.target_day == 0) & (state.profit(rules) >= target)
    np.copyto(state.target_day, day_number, where=reached)
    return DayArrays(
        dll_hit=dll_hit,
        mll_breached=breached,
        winning_day=winning,
        payout_eligible=eligible,
        max_payout=cap,
        payout_paid=paid,
    )
