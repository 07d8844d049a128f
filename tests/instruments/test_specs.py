"""Contract specs: exact tick arithmetic and money in cents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.instruments.contracts import front_contract, parse_maturity, third_friday
from bot.instruments.specs import MICROS, PriceOffGrid, instrument_table


def test_tick_values_and_point_values() -> None:
    mes, mnq, mym, m2k, mgc, mcl = (MICROS[s] for s in ("MES", "MNQ", "MYM", "M2K", "MGC", "MCL"))
    assert (mes.tick_value_cents, mes.point_value) == (125, Decimal(5))
    assert (mnq.tick_value_cents, mnq.point_value) == (50, Decimal(2))
    assert (mym.tick_size, mym.point_value) == (Decimal(1), Decimal("0.5"))
    assert (m2k.tick_size, m2k.point_value) == (Decimal("0.10"), Decimal(5))
    assert (mgc.tick_value_cents, mgc.fee_per_side_cents) == (100, 62)
    assert (mcl.tick_size, mcl.point_value, mcl.fee_per_side_cents) == (Decimal("0.01"), 100, 62)
    assert mes.fee_per_side_cents == 37


def test_prices_round_trip_through_ticks_and_refuse_off_grid() -> None:
    mes = MICROS["MES"]
    assert mes.to_ticks("4799.25") == 19197
    assert mes.to_price(19197) == Decimal("4799.25")
    with pytest.raises(PriceOffGrid):
        mes.to_ticks("4799.10")
    assert mes.snap_to_ticks(4799.2500000001) == 19197
    assert MICROS["MCL"].snap_to_ticks(71.23999999) == 7124


def test_money_does_not_drift() -> None:
    mes = MICROS["MES"]
    total = sum(mes.pnl_cents(1, 1) for _ in range(1_000_000))
    assert total == 125_000_000


def test_fees_are_configurable() -> None:
    table = instrument_table(Decimal("0.50"), Decimal("0.70"))
    assert table["MES"].fee_per_side_cents == 50 and table["MCL"].fee_per_side_cents == 70
    with pytest.raises(ValueError, match="fraction of a cent"):
        instrument_table(Decimal("0.375"))


def test_front_contract_rolls_on_monday_of_expiry_week() -> None:
    mes = MICROS["MES"]
    assert third_friday(2026, 12) == date(2026, 12, 18)
    assert front_contract(mes, date(2026, 12, 11)).code == "MESZ6"
    assert front_contract(mes, date(2026, 12, 14)).maturity == "202703"
    assert front_contract(MICROS["MCL"], date(2026, 11, 26)).maturity == "202701"
    assert front_contract(MICROS["MGC"], date(2026, 11, 19)).maturity == "202612"
    assert front_contract(MICROS["MGC"], date(2026, 11, 20)).maturity == "202702"  # before FND
    with pytest.raises(ValueError, match="does not list"):
        parse_maturity(mes, "202611")
