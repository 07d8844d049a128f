"""The shared vocabulary: one side encoding, exact time conversion, ids, timers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.book.codes import ASK, BID
from bot.model import OrderIdFactory, OrderStatus, Side, SimulatedClock, TimerQueue
from bot.model.units import to_datetime, to_nanos
from bot.risk.orders import OrderRequest


def test_side_is_signed_and_maps_once_to_book_indices() -> None:
    assert Side.BUY * 3 == 3 and Side.SELL * 3 == -3
    assert (Side.BUY.index, Side.SELL.index) == (BID, ASK)
    assert Side.from_index(BID) is Side.BUY and Side.from_index(ASK) is Side.SELL
    assert Side.BUY.opposite is Side.SELL and Side.SELL.opposite is Side.BUY
    assert Side.of(-2) is Side.SELL and Side.of(5) is Side.BUY
    with pytest.raises(ValueError):
        Side.of(0)
    with pytest.raises(ValueError):
        Side.from_index(2)


def test_the_risk_engine_approves_the_shared_order_type() -> None:
    from bot.model import Order

    assert OrderRequest is Order


@given(st.integers(min_value=0, max_value=4_000_000_000_000_000_000))
def test_nanos_round_trip_at_microsecond_resolution(ns: int) -> None:
    assert to_nanos(to_datetime(ns)) == ns - ns % 1000


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        to_nanos(datetime(2024, 1, 2, 3, 4))
    assert to_nanos(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)) == 1_000_000_000


def test_order_ids_are_deterministic_and_prefixed() -> None:
    ids = OrderIdFactory("bt7")
    assert [ids.next(), ids.next()] == ["bt7-1", "bt7-2"] and ids.issued == 2
    with pytest.raises(ValueError):
        OrderIdFactory("a|b")


def test_terminal_statuses() -> None:
    assert {s for s in OrderStatus if s.is_terminal} == {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.REJECTED,
    }


def test_timers_fire_in_time_order_and_a_reset_replaces_the_earlier_time() -> None:
    q = TimerQueue()
    q.set("mr", "exit", 50)
    q.set("tf", "check", 20)
    q.set("mr", "exit", 80)  # replaces 50
    q.set("tf", "gone", 10)
    q.cancel("tf", "gone")
    assert q.next_due() == 20
    fired = q.pop_due(60)
    assert [(f.owner, f.name, f.ts_ns) for f in fired] == [("tf", "check", 20)]
    assert len(q) == 1 and q.next_due() == 80
    assert [f.name for f in q.pop_due(80)] == ["exit"] and q.next_due() is None


def test_simulated_clock_never_goes_back() -> None:
    clock = SimulatedClock(100)
    clock.advance_to(90)
    assert clock.now_ns() == 100
    clock.advance_to(150)
    assert clock.now_ns() == 150
