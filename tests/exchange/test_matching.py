"""The matching engine alone: priority, sweeps, IOC, stops, cancel and replace."""

from __future__ import annotations

from bot.exchange.events import Accepted, Canceled, Fill, Replaced, Trade, Triggered
from bot.exchange.matching import MatchingEngine
from bot.exchange.orders import (
    BUY,
    CANCELED,
    FILLED,
    IOC,
    LIMIT,
    MARKET,
    NEW,
    PARTIAL,
    SELL,
    STOP,
    STOP_LIMIT,
    SimOrder,
)


def limit(oid: int, side: int, price: int, qty: int, tif: int = 0) -> SimOrder:
    return SimOrder(oid, side, LIMIT, qty, price, tif=tif)


def fills_of(engine: MatchingEngine, order_id: int) -> list[tuple[int, int]]:
    return [
        (e.price, e.qty)
        for e in engine.events
        if isinstance(e, Fill) and e.order.order_id == order_id
    ]


def test_price_time_priority_and_trade_at_resting_price() -> None:
    eng = MatchingEngine()
    eng.submit(limit(1, SELL, 101, 2))
    eng.submit(limit(2, SELL, 100, 3))
    eng.submit(limit(3, SELL, 100, 4))
    eng.events.clear()
    eng.submit(limit(4, BUY, 102, 6))
    # best price first (100), within it time priority (2 before 3); prints at resting prices
    assert fills_of(eng, 2) == [(100, 3)]
    assert fills_of(eng, 3) == [(100, 3)]
    assert fills_of(eng, 1) == []
    assert fills_of(eng, 4) == [(100, 3), (100, 3)]
    assert eng.book.level_size(SELL, 100) == 1
    assert eng.last_trade == 100
    trades = [e for e in eng.events if isinstance(e, Trade)]
    assert [(t.price, t.qty, t.aggressor_side) for t in trades] == [(100, 3, BUY), (100, 3, BUY)]


def test_market_order_sweeps_levels_and_cancels_the_rest() -> None:
    eng = MatchingEngine()
    eng.submit(limit(1, BUY, 99, 1))
    eng.submit(limit(2, BUY, 98, 2))
    eng.events.clear()
    mkt = SimOrder(3, SELL, MARKET, 5)
    eng.submit(mkt)
    assert fills_of(eng, 3) == [(99, 1), (98, 2)]
    assert mkt.cum_qty == 3 and mkt.status == CANCELED
    assert isinstance(eng.events[-1], Canceled) and eng.events[-1].reason == "no_liquidity"
    assert eng.book.best_price(BUY) is None


def test_limit_rests_remainder_and_ioc_cancels_it() -> None:
    eng = MatchingEngine()
    eng.submit(limit(1, SELL, 100, 2))
    rest = limit(2, BUY, 100, 5)
    eng.submit(rest)
    assert rest.status == PARTIAL and eng.book.level_size(BUY, 100) == 3
    eng.submit(limit(3, SELL, 101, 2))
    ioc = limit(4, BUY, 101, 5, tif=IOC)
    eng.events.clear()
    eng.submit(ioc)
    assert fills_of(eng, 4) == [(101, 2)]
    assert ioc.status == CANCELED and ioc.order_id not in eng.book
    assert eng.book.level_size(BUY, 101) == 0


def test_cancel_removes_and_second_cancel_fails() -> None:
    eng = MatchingEngine()
    order = limit(1, BUY, 100, 5)
    eng.submit(order)
    assert eng.cancel(order)
    assert order.status == CANCELED and len(eng.book) == 0
    assert not eng.cancel(order)
    filled = limit(2, SELL, 100, 1)
    eng.submit(filled)
    eng.submit(limit(3, BUY, 100, 1))
    assert filled.status == FILLED and not eng.cancel(filled)


def test_replace_price_change_loses_priority_size_decrease_keeps_it() -> None:
    eng = MatchingEngine()
    a, b = limit(1, BUY, 100, 2), limit(2, BUY, 100, 2)
    eng.submit(a)
    eng.submit(b)
    assert eng.replace(a, 1, 100, None)  # decrease: keeps the front
    assert eng.book.front_order(BUY) == (1, 1)
    assert eng.replace(a, 3, 100, None)  # increase: back of the queue
    assert eng.book.front_order(BUY) == (2, 2)
    assert eng.replace(b, 2, 99, None)  # price change: a is alone at 100 now
    assert eng.book.front_order(BUY) == (1, 3)
    assert any(isinstance(e, Replaced) for e in eng.events)


def test_replace_through_the_market_matches() -> None:
    eng = MatchingEngine()
    eng.submit(limit(1, SELL, 102, 1))
    bid = limit(2, BUY, 100, 1)
    eng.submit(bid)
    eng.events.clear()
    assert eng.replace(bid, 1, 102, None)
    assert bid.status == FILLED and fills_of(eng, 2) == [(102, 1)]


def test_stop_triggers_when_a_trade_prints_through_it() -> None:
    eng = MatchingEngine()
    stop = SimOrder(10, BUY, STOP, 1, stop_px=101)
    eng.submit(stop)
    assert stop.order_id not in eng.book and eng.has_stop(10)
    eng.submit(limit(1, SELL, 100, 1))
    eng.submit(limit(2, SELL, 103, 5))
    eng.submit(limit(3, BUY, 100, 1))  # trade at 100: below the stop, nothing happens
    assert stop.cum_qty == 0 and eng.has_stop(10)
    eng.events.clear()
    eng.submit(limit(4, BUY, 103, 1))  # trade at 103: through 101 -> stop becomes market
    assert any(isinstance(e, Triggered) and e.order is stop for e in eng.events)
    assert stop.status == FILLED and fills_of(eng, 10) == [(103, 1)]


def test_stop_limit_rests_at_its_limit_after_trigger() -> None:
    eng = MatchingEngine()
    sl = SimOrder(10, SELL, STOP_LIMIT, 2, 98, stop_px=99)
    eng.submit(sl)
    eng.submit(limit(1, BUY, 99, 1))
    eng.submit(limit(2, SELL, 99, 1))  # trade at 99 triggers; no bid left at >= 98
    assert sl.triggered and sl.status == NEW
    assert eng.book.level_size(SELL, 98) == 2


def test_cancelled_or_replaced_stop_does_not_trigger_at_old_price() -> None:
    eng = MatchingEngine()
    s1 = SimOrder(10, SELL, STOP, 1, stop_px=99)
    s2 = SimOrder(11, SELL, STOP, 1, stop_px=99)
    eng.submit(s1)
    eng.submit(s2)
    assert eng.cancel(s1)
    assert eng.replace(s2, 1, None, 95)
    eng.submit(limit(1, BUY, 99, 1))
    eng.submit(limit(2, SELL, 99, 1))
    assert s1.status == CANCELED and s2.cum_qty == 0 and not s2.triggered


def test_accepted_event_comes_first() -> None:
    eng = MatchingEngine()
    eng.submit(limit(1, BUY, 100, 1))
    assert isinstance(eng.events[0], Accepted)


def test_every_print_of_a_sweep_can_trigger_stops_in_price_order() -> None:
    """A sell sweeping 5000.00, 4999.00, 4998.00 elects a buy stop at 4999.00 on its first
    print (not only on the last one), and the stops run in the order of the prints."""
    eng = MatchingEngine()
    buy_stop = SimOrder(10, BUY, STOP, 1, stop_px=19_996)
    sell_high = SimOrder(11, SELL, STOP, 1, stop_px=19_998)
    sell_low = SimOrder(12, SELL, STOP, 1, stop_px=19_993)
    for order in (buy_stop, sell_high, sell_low):
        eng.submit(order)
    for oid, price in ((1, 20_000), (2, 19_996), (3, 19_992)):
        eng.submit(limit(oid, BUY, price, 1))
    eng.submit(limit(4, SELL, 20_004, 5))  # where the buy stop buys
    eng.submit(limit(5, BUY, 19_980, 5))  # where the sell stops sell
    eng.events.clear()
    eng.submit(SimOrder(6, SELL, MARKET, 3))
    assert [e.order.order_id for e in eng.events if isinstance(e, Triggered)] == [10, 11, 12]
    assert fills_of(eng, 10) == [(20_004, 1)]
    assert fills_of(eng, 11) == [(19_980, 1)] and fills_of(eng, 12) == [(19_980, 1)]


def test_a_stop_replaced_through_the_last_trade_triggers() -> None:
    eng = MatchingEngine()
    eng.submit(limit(1, SELL, 100, 1))
    eng.submit(limit(2, BUY, 100, 1))  # last trade 100
    eng.submit(limit(3, SELL, 102, 1))
    stop = SimOrder(10, BUY, STOP, 1, stop_px=101)
    eng.submit(stop)
    assert eng.replace(stop, 1, None, 99)  # at the engine level: moved through the market
    assert stop.triggered and fills_of(eng, 10) == [(102, 1)]


def test_a_stop_re_parked_at_the_same_price_triggers_once() -> None:
    eng = MatchingEngine()
    stop = SimOrder(10, BUY, STOP, 1, stop_px=101)
    eng.submit(stop)
    assert eng.replace(stop, 2, None, 101)  # same stop: a second heap entry for it
    eng.submit(limit(1, SELL, 101, 5))
    eng.submit(limit(2, BUY, 101, 1))  # prints 101: elects the stop once
    assert [e.order.order_id for e in eng.events if isinstance(e, Triggered)] == [10]
    assert stop.cum_qty == 2


def test_touched_levels_unpack_sorted_by_side_then_price() -> None:
    eng = MatchingEngine()
    eng.submit(limit(1, SELL, 101, 1))
    eng.submit(limit(2, BUY, 99, 1))
    eng.submit(limit(3, BUY, 100, 1))
    eng.touch(SELL, -3)  # any int price packs and unpacks (negative included)
    assert eng.touched_levels() == [(BUY, 99), (BUY, 100), (SELL, -3), (SELL, 101)]
    eng.touched.clear()
    eng.submit(SimOrder(4, SELL, MARKET, 2))
    assert eng.touched_levels() == [(BUY, 99), (BUY, 100)]
