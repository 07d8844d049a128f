"""Replaying real ES MBO data: a passive bot order waits behind the real queue at its price."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.book.codes import F_LAST, TRADE
from bot.exchange.acceptor import default_venue
from bot.exchange.replay import ReplayError, ReplayFeed
from bot.exchange.venue import NewOrder

OWNER = "FIX.4.4:SIMEXCH->TOPSTEPQ"


def test_passive_order_fills_only_when_the_queue_ahead_has_traded(es_mbo_path: Path) -> None:
    venue = default_venue(date(2023, 12, 20))  # front quarter then: ESH4's month, 202403
    feed = ReplayFeed.from_file(venue, es_mbo_path, start=0.0)
    book = feed.engine.book
    while not feed.continuous:  # past the opening auction's first print
        feed._apply(feed.records[feed._i])
        feed._i += 1
    for _ in range(100_000):  # then to a consistent (F_LAST), uncrossed book
        rec = feed.records[feed._i]
        feed._apply(rec)
        feed._i += 1
        if rec[5] & F_LAST and not book.is_locked_or_crossed() and feed._i > 9_500:
            break
    venue.drain_reports(feed.key)
    ask = book.best_price(1)
    assert ask is not None
    level_before = book.level_size(1, ask)
    tick = venue.instruments["MES"].tick_size
    venue.new_order(NewOrder(OWNER, "q1", "MES", 1, 2, "1", str(ask * tick)))
    venue.new_order(NewOrder(OWNER, "far", "MES", 0, 2, "1", str((ask - 400) * tick)))
    mine = venue.order_by_clid(OWNER, "q1")
    assert mine is not None
    assert book.queue_position(mine.order_id) == level_before > 0  # behind the real queue
    fills = 0
    while feed._i < len(feed.records):
        rec = feed.records[feed._i]
        ahead = book.queue_position(mine.order_id)
        feed._apply(rec)
        feed._i += 1
        if mine.cum_qty > fills:
            fills = mine.cum_qty
            action, side, price, size = rec[0], rec[1], rec[2], rec[3]
            assert action == TRADE and side == 0  # a buy aggressor ...
            assert price >= ask and (price > ask or size > (ahead or 0))  # ... beyond the queue
            break
    assert fills == 1
    reports = venue.drain_reports(feed.key)
    assert [(r.cl_ord_id, r.exec_type, r.last_px) for r in reports] == [("q1", "F", ask)]  # type: ignore[union-attr]
    far_order = venue.order_by_clid(OWNER, "far")
    assert far_order is not None and far_order.cum_qty == 0


def test_replay_paces_records_by_their_timestamps(es_mbo_path: Path) -> None:
    venue = default_venue(date(2023, 12, 20))
    feed = ReplayFeed.from_file(venue, es_mbo_path, speed=1000.0, start=100.0)
    first = feed.next_due()
    assert first == 100.0
    feed.step(venue, 100.0)
    nxt = feed.next_due()
    assert nxt is not None and nxt >= 100.0
    assert feed.applied > 8_000  # the snapshot was applied at once, before any pacing


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="does not exist"):
        ReplayFeed.from_file(default_venue(date(2023, 12, 20)), tmp_path / "none.dbn.zst")
