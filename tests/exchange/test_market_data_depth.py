"""The venue's market data: a snapshot carries every level the incrementals may later touch."""

from __future__ import annotations

from bot.exchange.acceptor import default_venue
from bot.exchange.orders import LIMIT, SELL, SimOrder
from tests.venue import TODAY


def test_snapshot_is_full_depth_so_deep_incrementals_apply() -> None:
    venue = default_venue(TODAY)
    key = ("MES", "202612")
    base = 24_000
    for level in range(15):  # 15 offer levels, deeper than any top-N cut
        venue.submit_anonymous(key, SimOrder(venue.new_order_id(), SELL, LIMIT, 2, base + level))
    venue.drain_market_data()
    offers = [e.price for e in venue.snapshot(key) if e.entry_type == "1"]
    assert offers == [base + level for level in range(15)]
    venue.submit_anonymous(key, SimOrder(venue.new_order_id(), SELL, LIMIT, 1, base + 14))
    (changes,) = venue.drain_market_data().values()
    assert [(c.action, c.price, c.size) for c in changes] == [("1", base + 14, 3)]
    assert base + 14 in offers  # the subscriber has the level this incremental changes
