"""Bar builder against a group-by reference, the bounded tape, and the L2 book against L3."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.book import OrderBook, Side
from bot.book.bars import Bar, BarBuilder
from bot.book.codes import ADD, F_LAST, TRADE
from bot.book.l2 import PriceBook
from bot.book.mbo import MboBook
from bot.book.mbp import Mbp1Book
from bot.book.tape import Trade, TradeTape
from bot.marketdata.replay import decode_mbo_file

MIN = 60_000_000_000


def test_bars_by_hand() -> None:
    bars = BarBuilder.seconds(60)
    assert bars.add(10 * MIN + 5, 100, 2) is None
    assert bars.add(10 * MIN + 6, 103, 1) is None
    assert bars.add(10 * MIN + 7, 99, 1) is None
    done = bars.add(12 * MIN, 101, 4)  # minute 11 had no trades: no bar for it
    assert done == Bar(10 * MIN, 11 * MIN, 100, 103, 99, 99, 4, 3, 200 + 103 + 99)
    assert done.vwap == 100.5
    assert bars.add(12 * MIN - 1, 98, 1) is None and bars.late_trades == 1  # late: kept
    assert bars.flush() == Bar(12 * MIN, 13 * MIN, 101, 101, 98, 98, 5, 2, 404 + 98)
    assert bars.flush() is None and bars.current is None


trades = st.lists(
    st.tuples(st.integers(0, 10 * MIN), st.integers(90, 110), st.integers(1, 20)), max_size=300
)


@settings(max_examples=200, deadline=None)
@given(trades, st.sampled_from([1, 7, 60, 300]))
def test_bars_match_a_group_by(prints: list[tuple[int, int, int]], seconds: int) -> None:
    prints.sort(key=lambda t: t[0])
    interval = seconds * 1_000_000_000
    builder = BarBuilder(interval)
    out = [bar for ts, px, sz in prints if (bar := builder.add(ts, px, sz)) is not None]
    last = builder.flush()
    out += [last] if last else []
    groups: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for t in prints:
        groups[t[0] // interval * interval].append(t)
    expected = [
        Bar(
            start,
            start + interval,
            g[0][1],
            max(p for _, p, _ in g),
            min(p for _, p, _ in g),
            g[-1][1],
            sum(s for _, _, s in g),
            len(g),
            sum(p * s for _, p, s in g),
        )
        for start, g in sorted(groups.items())
    ]
    assert out == expected


def test_tape_is_bounded_but_totals_are_not() -> None:
    tape = TradeTape(capacity=3)
    for i in range(10):
        tape.record(i, 100 + i, 1 + i, 0)
    assert len(tape) == 3 and tape.count == 10 and tape.volume == sum(range(1, 11))
    assert [t.price for t in tape.recent(5)] == [107, 108, 109]
    assert tape.last is not None and tape.last.ts == 9 and tape.recent(0) == []


def test_l2_levels_set_remove_and_top() -> None:
    l2 = PriceBook()
    assert l2.set_level(Side.BID, 100, 5, 2) and l2.set_level(Side.BID, 101, 1, 1)
    assert l2.set_level(Side.ASK, 103, 4, 1) and l2.set_level(Side.ASK, 102, 7, 3)
    assert l2.top() == (101, 1, 102, 7)
    l2.set_level(Side.BID, 101, 0)  # size 0 removes
    l2.set_level(Side.ASK, 102, 2, 1)  # replace
    assert l2.top() == (100, 5, 102, 2) and len(l2) == 3
    assert l2.set_top(Side.ASK, 99, 1, 1) and l2.is_locked_or_crossed()
    assert l2.depth(Side.ASK, 5) == [(99, 1, 1)]
    assert not l2.set_level(5, 1, 1)
    l2.set_top(Side.BID, None, 0)
    assert l2.best(Side.BID) is None and l2.top() == (None, 0, 99, 1)


def test_l2_built_from_the_es_day_equals_l3_aggregation(es_mbo_path: Path) -> None:
    (rows,) = decode_mbo_file(es_mbo_path).values()
    feed = MboBook()
    feed.replay(rows[:30_000])
    l2 = PriceBook.from_orders(feed.book)
    for side in (Side.BID, Side.ASK):
        levels = l2.depth(side, 10_000)
        assert levels == feed.book.depth(side, 10_000) and levels
        for level in levels:
            queue = feed.book.orders_at(side, level.price)
            assert level.size == sum(size for _, size in queue) and level.orders == len(queue)
    assert PriceBook.from_orders(OrderBook()).top() == (None, 0, None, 0)


def test_l2_depth_limit() -> None:
    book = OrderBook()
    for oid, price in enumerate(range(100, 120)):
        book.add(oid, Side.ASK, price, 1)
    l2 = PriceBook.from_orders(book, depth=5)
    assert [lv.price for lv in l2.depth(Side.ASK, 100)] == [100, 101, 102, 103, 104]


def test_es_day_trades_feed_one_minute_bars(es_mbo_path: Path) -> None:
    (rows,) = decode_mbo_file(es_mbo_path).values()
    bars = BarBuilder.seconds(60)
    done: list[Bar] = []

    def on_trade(trade: Trade) -> None:
        bar = bars.add(trade.ts, trade.price, trade.size)
        if bar is not None:
            done.append(bar)

    feed = MboBook(on_trade=on_trade)
    feed.replay(rows)
    last = bars.flush()
    assert last is not None
    done.append(last)
    assert sum(b.volume for b in done) == feed.tape.volume == 9_892
    assert sum(b.trades for b in done) == feed.tape.count
    assert all(b.low <= b.open <= b.high and b.low <= b.close <= b.high for b in done)
    assert all(b.low <= b.vwap <= b.high for b in done)
    assert all(a.end_ns <= b.start_ns for a, b in pairwise(done))
    assert bars.late_trades == 0 and len(done) <= 120  # two hours of minutes at most


def test_mbp1_feed_phase_and_crossed_top() -> None:
    feed = Mbp1Book()
    feed.replay([(1, ADD, 0, 101, 1, F_LAST, 101, 1, 1, 100, 2, 1)])  # crossed pre-open: normal
    assert feed.valid and feed.crossed_preopen == 1 and feed.book.top() == (101, 1, 100, 2)
    feed.replay(
        [
            (2, TRADE, 2, 100, 1, 0, 99, 3, 2, 100, 1, 1),
            (3, ADD, 1, 101, 4, F_LAST, 99, 3, 2, 100, 1, 1),
        ]
    )
    assert feed.valid and feed.tape.volume == 1 and feed.book.depth(Side.BID, 3) == [(99, 3, 2)]
    feed.replay([(4, ADD, 0, 100, 1, F_LAST, 100, 1, 1, 100, 1, 1)])  # locked while trading
    assert not feed.valid and feed.anomalies == {"crossed_book": 1}
    feed.reset()
    assert feed.valid and feed.book.top() == (None, 0, None, 0)
