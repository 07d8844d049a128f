"""Configuration reaches the risk engine: limits, fees, cutoff."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import load_settings
from bot.risk.engine import RiskState
from bot.risk.factory import build_risk_engine
from bot.risk.orders import OrderRequest, OrderType, Side
from bot.rules.account import AccountState
from tests.risk.conftest import DAY, NOW


def test_configured_numbers_reach_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAILY_LOSS_LIMIT", "800")
    monkeypatch.setenv("DLL_SAFETY_THRESHOLD", "500")
    monkeypatch.setenv("FEE_EQUITY_MICRO", "0.50")
    monkeypatch.setenv("FLAT_BY_CUTOFF", "14:30")
    engine = build_risk_engine(load_settings())
    assert engine.state == RiskState.HALTED  # nothing allowed before a day starts
    engine.start_day(DAY, AccountState.initial(engine.limits.rules), NOW)
    assert engine.state == RiskState.ACTIVE
    assert engine.limits.rules.dll_cents == 80_000 and engine.buffer_cents() == 50_000
    assert engine.instruments["MES"].fee_per_side_cents == 50
    engine.on_mark("MES", 20_000, NOW)
    order = OrderRequest("a", "MES", Side.BUY, 1, OrderType.MARKET, protective_stop_ticks=19_990)
    late = engine.check(order, datetime(2024, 6, 12, 19, 30, tzinfo=UTC))  # 14:30 CDT
    assert not late.approved and "cutoff 14:30" in late.reason
