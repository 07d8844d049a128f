"""`TradingKernel.resume`: a restart with the risk engine restored to the journal's trading day.

A day that ended while the process was down is closed through the account rules (balance, MLL
floor trail, winning days, tier) before the new day starts from it; the same day is resumed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.app.factory import build_kernel
from bot.config import load_settings
from bot.engine.kernel import TradingKernel
from bot.model import OrderIdFactory, SimulatedClock
from bot.model.units import to_nanos
from bot.rules.account import AccountState, DayPnl, apply_day

TUESDAY, WEDNESDAY = date(2024, 3, 5), date(2024, 3, 6)
WEDNESDAY_0900 = to_nanos(datetime(2024, 3, 6, 15, 0, tzinfo=UTC))  # 09:00 CT


def kernel_at(ts_ns: int) -> TradingKernel:
    return build_kernel(load_settings(), SimulatedClock(ts_ns), [], OrderIdFactory("r"))


def snapshot(day: date, realized: int, fees: int, account: AccountState) -> dict[str, Any]:
    return {
        "state": "HALTED_DAY", "state_reason": "DLL safety threshold", "account_failed": False,
        "started": True, "positions": {}, "marks": {}, "blocks": {},
        "day": {"day": day.isoformat(), "sod_balance_cents": account.balance_cents,
                "floor_cents": account.floor_cents, "max_micros": account.max_micros,
                "realized_cents": realized, "fees_cents": fees},
    }  # fmt: skip


def test_a_day_missed_at_17_00_is_closed_through_the_account_rules_before_the_next() -> None:
    kernel = kernel_at(WEDNESDAY_0900)
    start = kernel.account
    kernel.risk.restore(snapshot(TUESDAY, 160_500, 500, start))
    kernel.resume(TUESDAY, -7_000)
    expected, outcome = apply_day(kernel.rules, start, DayPnl(TUESDAY, 160_000, -7_000))
    assert kernel.account == expected
    assert [(d.day, d.net_cents, d.low_cents) for d in kernel.days] == [(TUESDAY, 160_000, -7_000)]
    # what the rules did with a $1,600 day: winning, the floor trailed, a larger tier
    assert kernel.account.winning_days == start.winning_days + 1
    assert kernel.account.floor_cents == 160_000 - kernel.rules.mll_amount_cents
    assert kernel.account.max_micros > start.max_micros
    # the new day starts from that end of day, with the halt of the old one lifted
    day = kernel.risk.snapshot()["day"]
    assert day["day"] == WEDNESDAY.isoformat()
    assert (day["sod_balance_cents"], day["realized_cents"]) == (outcome.balance_cents, 0)
    assert day["max_micros"] == min(expected.max_micros, kernel.risk.limits.max_micros_cap)
    assert str(kernel.risk.state) == "ACTIVE"


def test_the_same_day_is_resumed_not_closed() -> None:
    kernel = kernel_at(WEDNESDAY_0900)
    start = kernel.account
    kernel.risk.restore(snapshot(WEDNESDAY, -12_000, 300, start))
    kernel.resume(WEDNESDAY, -15_000)
    assert kernel.account == start and kernel.days == []
    assert kernel.risk.day_net_cents() == -12_300
    assert str(kernel.risk.state) == "HALTED_DAY"
    assert kernel.day_low() == (WEDNESDAY, -15_000)
