"""`Venue.sweep`: the deterministic market move the tests drive through a trader's position."""

from __future__ import annotations

from bot.exchange.acceptor import default_venue
from bot.exchange.orders import BUY, LIMIT, SELL, STOP
from bot.exchange.reports import ExecReport
from bot.exchange.venue import NewOrder
from tests.venue import TODAY

OWNER = "FIX.4.4:SIMEXCH->TOPSTEPQ"


def test_a_sweep_down_fills_the_bids_it_passes_and_elects_the_stops_at_the_new_level() -> None:
    venue = default_venue(TODAY)
    key = venue.contract("MES")
    for clid, side, ord_type, price, stop in (
        ("bid", BUY, LIMIT, "5000.00", None),  # 20000 ticks: the touch
        ("deep", BUY, LIMIT, "4998.00", None),  # 19992: inside the move
        ("ask", SELL, LIMIT, "5000.25", None),
        ("stop", SELL, STOP, None, "4999.00"),  # 19996: elected by the move's prints
    ):
        venue.new_order(NewOrder(OWNER, clid, "MES", side, ord_type, "1", price, stop))
    reports = venue.sweep(key, -12)  # to 19988
    fills = {
        r.cl_ord_id: r.last_px
        for r in reports
        if isinstance(r, ExecReport) and r.exec_type == "F"
    }  # fmt: skip
    assert set(fills) == {"bid", "deep", "stop"}
    assert fills["stop"] == 19_987, "the stop fills at the liquidity left beyond the new level"
    book = venue.engine(key).book
    assert (book.best_price(BUY), book.best_price(SELL)) == (19_987, 19_988)
    assert venue.sweep(key, 0) == []
