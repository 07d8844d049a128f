"""The L3 book: unit cases for priority rules, and random sequences checked against a reference."""

from __future__ import annotations

from book_reference import ReferenceBook
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.book import Level, Order, OrderBook, Side


def test_time_priority_partial_cancel_keeps_place_and_modify_rules() -> None:
    book = OrderBook()
    assert book.add(1, Side.BID, 100, 5)
    assert book.add(2, Side.BID, 100, 3)
    assert book.add(3, Side.BID, 100, 2)
    assert book.orders_at(Side.BID, 100) == [(1, 5), (2, 3), (3, 2)]
    assert book.queue_position(3) == 8
    assert book.cancel(1, 4)  # partial: keeps its place
    assert book.orders_at(Side.BID, 100) == [(1, 1), (2, 3), (3, 2)]
    assert book.modify(2, 100, 1)  # size decrease: keeps its place
    assert book.queue_position(3) == 2
    assert book.modify(1, 100, 7)  # size increase: to the back
    assert book.orders_at(Side.BID, 100) == [(2, 1), (3, 2), (1, 7)]
    assert book.queue_position(1) == 3
    assert book.modify(2, 101, 1)  # price change: new level, best bid moves
    assert book.best_bid() == Level(101, 1, 1)
    assert book.level_size(Side.BID, 100) == 9
    assert book.level_count(Side.BID, 100) == 2
    assert book.get_order(1) == Order(1, Side.BID, 100, 7)


def test_best_prices_follow_level_removal_on_both_sides() -> None:
    book = OrderBook()
    for oid, side, price in ((1, 0, 99), (2, 0, 100), (3, 1, 101), (4, 1, 103)):
        assert book.add(oid, side, price, 1)
    assert book.top() == (100, 1, 101, 1)
    assert not book.is_locked_or_crossed()
    book.cancel(2)
    book.cancel(3)
    assert book.top() == (99, 1, 103, 1)
    assert book.add(5, Side.ASK, 99, 4)
    assert book.is_locked_or_crossed()
    assert book.front_order(Side.ASK) == (5, 4)
    assert list(book.prices(Side.ASK)) == [99, 103]
    book.clear()
    assert book.top() == (None, 0, None, 0)
    assert len(book) == 0 and book.best_bid() is None and book.front_order(Side.BID) is None


def test_bad_updates_return_false_and_leave_the_book_alone() -> None:
    book = OrderBook()
    assert book.add(1, Side.ASK, 10, 2)
    assert not book.add(1, Side.BID, 9, 1)  # duplicate id
    assert not book.add(2, 7, 9, 1)  # bad side
    assert not book.add(3, Side.BID, 9, 0)  # no size
    assert not book.cancel(99)
    assert not book.cancel(1, 0)
    assert not book.modify(99, 10, 1)
    assert not book.modify(1, 10, 0)
    assert book.depth(Side.ASK, 5) == [Level(10, 2, 1)]
    assert book.depth(Side.BID, 5) == []
    assert book.queue_position(99) is None and book.get_order(99) is None


ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            st.integers(0, 40),
            st.integers(0, 1),
            st.integers(95, 105),
            st.integers(1, 9),
        ),
        st.tuples(st.just("cancel"), st.integers(0, 40), st.one_of(st.none(), st.integers(0, 10))),
        st.tuples(st.just("modify"), st.integers(0, 40), st.integers(95, 105), st.integers(0, 12)),
        st.tuples(st.just("clear")),
    ),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(ops)
def test_random_sequences_match_the_reference(sequence: list[tuple[object, ...]]) -> None:
    book, ref = OrderBook(), ReferenceBook()
    for op in sequence:
        name, args = op[0], op[1:]
        if name == "clear":
            book.clear()
            ref.clear()
        else:
            assert getattr(book, str(name))(*args) == getattr(ref, str(name))(*args), op
    for side in (0, 1):
        assert [tuple(level) for level in book.depth(side, 100)] == ref.depth(side, 100)
        for price, _, _ in ref.depth(side, 100):
            assert book.orders_at(side, price) == ref.queue(side, price)
    for oid in ref.orders:
        assert book.queue_position(oid) == ref.queue_position(oid)
    assert len(book) == len(ref.orders)
    bid = ref.depth(0, 1)
    ask = ref.depth(1, 1)
    assert book.best_price(Side.BID) == (bid[0][0] if bid else None)
    assert book.best_price(Side.ASK) == (ask[0][0] if ask else None)
