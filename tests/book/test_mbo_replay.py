"""MboBook: the inlined replay path vs the reference, integrity and phase rules, the real ES day."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import databento_dbn as dbn
import pytest
from book_reference import ReferenceBook
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.book.codes import ADD, ASK, BID, CANCEL, CLEAR, F_LAST, F_SNAPSHOT, FILL, MODIFY, TRADE
from bot.book.mbo import MboBook, MboRecord, Phase
from bot.marketdata.dbn import DbnReader
from bot.marketdata.records import mbo_records, tick_nanos

ES_TICK = 250_000_000


def rec(
    action: int, side: int, price: int, size: int, oid: int, flags: int = F_LAST, seq: int = 1
) -> MboRecord:
    return (action, side, price, size, oid, flags, 1_000 + seq, seq)


# ------------------------------------------------------------------ random sequences


def _op(kind: int, side: int, price: int, size: int, oid: int) -> tuple[int, int, int, int, int]:
    """Weighted op mix: mostly adds, cancels and modifies; a clear now and then (it wipes state)."""
    if kind < 45:
        return (ADD, side, price, max(size, 1), oid)
    if kind < 70:
        return (CANCEL, side, price, size, oid)
    if kind < 98:
        return (MODIFY, side, price, size, oid)
    return (CLEAR, 2, 0, 0, 0)


mbo_ops = st.lists(
    st.builds(
        _op,
        st.integers(0, 99),
        st.integers(0, 1),
        st.integers(98, 101),
        st.integers(0, 9),
        st.integers(0, 15),
    ),
    max_size=250,
)


@settings(max_examples=300, deadline=None)
@given(mbo_ops, st.booleans())
def test_replay_path_matches_reference_and_flags_every_bad_update(
    ops: list[tuple[int, int, int, int, int]], one_by_one: bool
) -> None:
    feed, ref = MboBook(), ReferenceBook()
    records = [rec(a, s, p, n, oid, seq=i) for i, (a, s, p, n, oid) in enumerate(ops)]
    bad = 0
    for action, side, price, size, oid in ops:
        if action == ADD:
            ok = ref.add(oid, side, price, size)
        elif action == CANCEL:
            ok = ref.cancel(oid, size)
        elif action == MODIFY:
            known = oid in ref.orders
            ok = ref.modify(oid, price, size)
            if not known and size > 0:  # Databento's rule: an unknown modify is an add
                ref.add(oid, side, price, size)
        else:
            ref.clear()
            ok = True
        bad += not ok
    if one_by_one:
        for r in records:
            feed.apply(r)
    else:
        feed.replay(records)
    for side in (BID, ASK):
        assert [tuple(level) for level in feed.book.depth(side, 100)] == ref.depth(side, 100)
        for price, _, _ in ref.depth(side, 100):
            assert feed.book.orders_at(side, price) == ref.queue(side, price)
    assert sum(feed.anomalies.values()) == bad
    top_bid, top_ask = ref.depth(BID, 1), ref.depth(ASK, 1)
    assert (feed.bid_px, feed.bid_sz) == ((top_bid[0][0], top_bid[0][1]) if top_bid else (None, 0))
    assert (feed.ask_px, feed.ask_sz) == ((top_ask[0][0], top_ask[0][1]) if top_ask else (None, 0))


# ------------------------------------------------------------------ integrity and phase


def test_crossed_book_is_normal_before_the_open_and_invalidates_after_it() -> None:
    states: list[tuple[bool, str]] = []
    feed = MboBook(on_state=lambda ok, why: states.append((ok, why)))
    feed.replay([rec(ADD, BID, 101, 1, 1, seq=1), rec(ADD, ASK, 100, 1, 2, seq=2)])
    assert feed.phase is Phase.PRE_OPEN and feed.valid and feed.crossed_preopen == 1
    assert not feed.tradable
    feed.replay(
        [
            rec(TRADE, 2, 100, 1, 0, flags=0, seq=3),  # the opening auction print
            rec(FILL, BID, 100, 1, 1, flags=0, seq=3),
            rec(CANCEL, BID, 101, 1, 1, flags=0, seq=3),
            rec(CANCEL, ASK, 100, 1, 2, seq=3),
            rec(ADD, BID, 99, 2, 3, seq=4),
            rec(ADD, ASK, 100, 2, 4, seq=5),
        ]
    )
    assert feed.phase is Phase.CONTINUOUS and feed.tradable and feed.tape.volume == 1
    assert feed.tape.last is not None and feed.tape.last.price == 100
    feed.apply(rec(MODIFY, BID, 100, 2, 3, seq=6))  # locked in continuous trading
    assert not feed.valid and not feed.tradable
    assert feed.anomalies == {"crossed_book": 1} and states == [(False, feed.invalid_reason)]
    assert "crossed_book" in feed.invalid_reason
    feed.apply(rec(CLEAR, 2, 0, 0, 0, seq=7))
    assert feed.valid and len(feed.book) == 0 and states[-1] == (True, "rebuilt")


def test_unknown_order_and_backwards_sequence_are_counted_not_raised() -> None:
    feed = MboBook()
    feed.replay(
        [
            rec(CANCEL, BID, 100, 1, 42, seq=10),
            rec(ADD, BID, 100, 1, 1, seq=9),
            rec(ADD, BID, 100, 1, 1, seq=11),
        ]
    )
    assert feed.anomalies == {"unknown_order": 1, "sequence_backwards": 1, "duplicate_add": 1}
    assert not feed.valid and feed.invalid_reason == "unknown_order 42"
    assert feed.book.depth(BID, 5) == [(100, 1, 1)]
    # A snapshot rebuilds the book from scratch and makes it valid again.
    snap = F_SNAPSHOT
    feed.replay(
        [
            rec(ADD, ASK, 105, 3, 7, flags=snap, seq=1),
            rec(ADD, BID, 103, 2, 8, flags=snap | F_LAST, seq=2),
        ]
    )
    assert feed.valid and (feed.bid_px, feed.bid_sz, feed.ask_px, feed.ask_sz) == (103, 2, 105, 3)
    feed.apply(rec(ADD, BID, 104, 1, 9, seq=12))
    assert feed.valid and feed.book.depth(BID, 5) == [(104, 1, 1), (103, 2, 1)]
    assert (feed.bid_px, feed.ask_px) == (104, 105)


def test_replay_priority_rules_for_same_price_modifies_and_partial_cancels() -> None:
    feed = MboBook()
    feed.replay([rec(ADD, BID, 100, 1, oid, seq=oid) for oid in (1, 2, 3)])
    feed.replay(
        [
            rec(MODIFY, BID, 100, 5, 1, seq=4),  # size up: to the back
            rec(MODIFY, BID, 100, 1, 1, seq=5),  # size down: stays
            rec(ADD, BID, 100, 4, 4, seq=6),
            rec(CANCEL, BID, 100, 3, 4, seq=7),  # partial: stays
            rec(MODIFY, BID, 100, 1, 2, seq=8),  # no change: stays
        ]
    )
    assert feed.book.orders_at(BID, 100) == [(2, 1), (3, 1), (1, 1), (4, 1)]
    assert feed.book.queue_position(4) == 3 and feed.bid_sz == 4


def test_mark_gap_invalidates() -> None:
    feed = MboBook(phase=Phase.CONTINUOUS)
    feed.mark_gap("channel 310: 1001 -> 1005")
    assert not feed.valid and feed.anomalies == {"sequence_gap": 1}


# ------------------------------------------------------------------ the real ES day


def apply_raw(ref: ReferenceBook, r: dbn.MBOMsg) -> None:
    """Raw Databento objects straight into the reference: independent of the decoder and book."""
    action = str(getattr(r.action, "value", r.action))
    side = 0 if str(getattr(r.side, "value", r.side)) == "B" else 1
    price = r.price // ES_TICK
    if action == "R":
        ref.clear()
    elif action == "A":
        assert ref.add(r.order_id, side, price, r.size)
    elif action == "C":
        assert ref.cancel(r.order_id, r.size)
    elif action == "M":
        assert ref.modify(r.order_id, price, r.size)


@pytest.mark.slow
def test_es_day_final_book_equals_reference_and_never_crosses_after_open(
    es_mbo_path: Path,
) -> None:
    raw = [r for r in DbnReader(es_mbo_path) if isinstance(r, dbn.MBOMsg)]
    reference = ReferenceBook()
    for r in raw:
        apply_raw(reference, r)
    (rows,) = mbo_records(raw, tick_nanos(Decimal("0.25"))).values()
    assert len(rows) == 68_792

    feed = MboBook()
    crossed_after_open: list[int] = []
    seen_ts = [0]
    last_points = 0

    def check(book: MboBook) -> None:
        nonlocal last_points
        last_points += 1
        if book.phase is Phase.CONTINUOUS:
            if book.bid_px is not None and book.ask_px is not None and book.bid_px >= book.ask_px:
                crossed_after_open.append(book.last_ts_recv)
            if last_points % 997 == 0:
                assert_levels_are_sums_of_orders(book)
        assert book.last_ts_recv >= seen_ts[-1]  # the callback sees the current record's time
        seen_ts.append(book.last_ts_recv)

    feed.replay(rows, check)
    assert crossed_after_open == []
    assert feed.anomalies == {} and feed.valid and feed.phase is Phase.CONTINUOUS
    assert 800 <= feed.crossed_preopen <= 1000  # "about 900 crossed states before the first trade"
    for side in (BID, ASK):
        assert [tuple(level) for level in feed.book.depth(side, 10)] == reference.depth(side, 10)
        for price, _, _ in reference.depth(side, 10):  # time priority inside each level too
            assert feed.book.orders_at(side, price) == reference.queue(side, price)
    assert_levels_are_sums_of_orders(feed)
    assert feed.book.best_price(BID) == 19240  # 4810.00
    assert feed.last_ts_recv == seen_ts[-1] == raw[-1].ts_recv
    assert len(set(seen_ts)) == 44_214 + 1  # every distinct F_LAST time, plus the initial 0


def assert_levels_are_sums_of_orders(feed: MboBook) -> None:
    book = feed.book
    for side in (BID, ASK):
        for price in list(book.prices(side)):
            queue = book.orders_at(side, price)
            assert queue, f"empty level {price}"
            assert book.level_size(side, price) == sum(size for _, size in queue)
            assert book.level_count(side, price) == len(queue)
