"""The synthetic market looks like the real ES book and visits every regime."""

from __future__ import annotations

import statistics

from bot.exchange.acceptor import default_venue
from bot.exchange.flow import Regime, SyntheticFlow
from bot.exchange.orders import BUY, LIMIT, SimOrder
from tests.venue import TODAY


def test_spread_and_top_size_near_the_real_es_book_and_all_regimes_seen() -> None:
    venue = default_venue(TODAY)
    flow = SyntheticFlow(venue, ("MES",), seed=3)
    engine = venue.engine(venue.contract("MES"))
    spreads: list[int] = []
    tops: list[int] = []
    shock_spreads: list[int] = []
    for i in range(60_000):
        flow.one_event()
        if i % 10 == 0:
            bid, bid_size, ask, ask_size = engine.book.top()
            assert bid is not None and ask is not None and bid < ask  # never crossed or empty
            spreads.append(ask - bid)
            tops += [bid_size, ask_size]
            if flow.contracts[0].regime is Regime.VOL_SHOCK:
                shock_spreads.append(ask - bid)
        if i % 500 == 0:
            venue.drain_market_data()
    one_tick = sum(1 for s in spreads if s == 1) / len(spreads)
    assert 0.80 <= one_tick <= 0.97  # real ES: ~90%
    assert 12 <= statistics.median(tops) <= 30  # real ES: ~20 lots
    assert flow.contracts[0].regimes_seen == set(Regime)
    assert max(shock_spreads) >= 3  # volatility shocks open multi-tick gaps
    assert engine.match_count > 5_000


def test_same_seed_same_market() -> None:
    prints = []
    for _ in range(2):
        venue = default_venue(TODAY)
        flow = SyntheticFlow(venue, ("MES", "MNQ"), seed=11)
        for _ in range(3_000):
            flow.one_event()
        prints.append([venue.engine(c.key).last_trade for c in flow.contracts])
    assert prints[0] == prints[1]


def test_a_jump_gaps_the_price_and_triggers_trades_beyond_it() -> None:
    venue = default_venue(TODAY)
    flow = SyntheticFlow(venue, ("MES",), seed=5)
    engine = venue.engine(venue.contract("MES"))
    for _ in range(200):
        flow.one_event()
    ask_before = engine.book.best_price(1)
    assert ask_before is not None
    flow.jump(6)
    flow.one_event()
    assert engine.last_trade is not None and engine.last_trade >= ask_before + 5


def test_flow_fills_a_resting_bot_order_and_reports_it() -> None:
    venue = default_venue(TODAY)
    flow = SyntheticFlow(venue, ("MES",), seed=2)
    key = venue.contract("MES")
    best_bid = venue.engine(key).book.best_price(BUY)
    assert best_bid is not None
    bot = SimOrder(venue.new_order_id(), BUY, LIMIT, 1, best_bid, owner="FIX.4.4:S->T")
    venue._contract_of[bot.order_id] = key
    venue.engine(key).submit(bot)
    venue.engine(key).events.clear()
    reports = []
    for _ in range(20_000):
        reports += flow.one_event()
        if bot.cum_qty:
            break
    assert bot.cum_qty == 1
    assert any(getattr(r, "exec_type", "") == "F" for r in reports)
