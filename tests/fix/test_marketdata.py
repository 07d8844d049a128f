"""Market data through the gateway: W then X, rejects, invalid books and resubscription."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.exchange.acceptor import ExchangeServer, default_venue
from bot.exchange.faults import FaultPlan
from bot.exchange.flow import SyntheticFlow
from bot.exchange.orders import BUY, SELL
from fix.mdbook import LevelBook
from fix.wire import FixFields
from tests.fix.conftest import connected, gateway_config, run
from tests.fix.test_gateway import venue_trade
from tests.venue import TODAY, exchange_config


def test_snapshot_then_incrementals_track_the_venue_book(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        venue_trade(exchange, BUY, 4, 20_000)
        venue_trade(exchange, SELL, 2, 20_002)
        assert exchange.wait_idle()
        async with connected(gateway_config(port, tmp_path)) as gw:
            book = gw.subscribe("MES")
            await gw.wait_for(lambda: book.valid, 5)
            assert book.bids == {20_000: 4} and book.asks == {20_002: 2}
            venue_trade(exchange, SELL, 3, 20_001)
            venue_trade(exchange, BUY, 1, None)  # takes one lot at 5000.25
            await gw.wait_for(lambda: book.last_trade == (20_001, 1), 5)
            assert book.asks == {20_001: 2, 20_002: 2} and book.best_bid() == 20_000
            bad = gw.subscribe("NOPE")
            await gw.wait_for(lambda: bool(gw.md_rejects), 5)
            assert not bad.valid and "unknown symbol" in bad.invalid_reason

    run(body())


def test_an_inconsistent_update_invalidates_and_resubscribes(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        venue_trade(exchange, BUY, 4, 20_000)
        assert exchange.wait_idle()
        async with connected(gateway_config(port, tmp_path)) as gw:
            book = gw.subscribe("MES")
            await gw.wait_for(lambda: book.valid, 5)
            first_req = gw._md_by_symbol["MES"]
            # the venue "forgets" a level it published: its next delete cannot be applied
            book.book.clear(0)
            venue_trade(exchange, SELL, 4, None)
            await gw.wait_for(lambda: gw._md_by_symbol["MES"] != first_req, 5)
            await gw.wait_for(lambda: book.valid, 5)  # a fresh snapshot made it valid again
            assert book.bids == {}

    run(body())


def test_level_book_rules() -> None:
    book = LevelBook("MES", Decimal("0.25"))
    snap = FixFields.parse(
        "35=W\x01268=2\x01269=0\x01270=5000\x01271=3\x01269=1\x01270=5000.25\x01271=4\x01"
    )
    book.apply_snapshot(snap)
    assert book.valid and book.bids == {20_000: 3} and book.asks == {20_001: 4}
    assert book.apply_entry({279: "1", 269: "0", 270: "5000", 271: "5"})
    assert book.bids[20_000] == 5
    assert not book.apply_entry({279: "1", 269: "0", 270: "4999", 271: "5"})  # unknown level
    book.apply_snapshot(snap)
    assert book.apply_entry({279: "0", 269: "0", 270: "5000.50", 271: "1"})  # crosses for now
    assert book.end_of_message() and book.crossed  # before any trade: a pre-open, not a gap
    assert book.apply_entry({279: "2", 269: "0", 270: "5000.50", 271: "1"})  # uncrossed
    assert book.end_of_message() and not book.crossed
    book.apply_snapshot(snap)
    assert book.apply_entry({279: "0", 269: "2", 270: "5000", 271: "1"})  # a trade prints
    assert book.apply_entry({279: "0", 269: "0", 270: "5000.50", 271: "1"})
    assert not book.end_of_message()  # once it trades, a message may not leave it crossed
    assert "crossed" in book.invalid_reason
    crossed_snap = FixFields.parse(
        "35=W\x01268=2\x01269=0\x01270=5001\x01271=3\x01269=1\x01270=5000.25\x01271=4\x01"
    )
    book.apply_snapshot(crossed_snap)  # the venue's own book is crossed (an opening auction)
    assert book.valid and book.crossed
    book.apply_snapshot(snap)
    # A buyer sweeps the 5000.25 offer and rests the rest there: the new bid can come before
    # the deleted offer in the same message; the book is judged at the message's end.
    assert book.apply_entry({279: "0", 269: "0", 270: "5000.25", 271: "2"})
    assert book.apply_entry({279: "2", 269: "1", 270: "5000.25", 271: "4"})
    assert book.end_of_message() and book.best_bid() == 20_001 and book.best_ask() is None
    book.apply_snapshot(snap)
    assert book.ticks("5000.2500000001") == 20_001  # a C++ double off the wire snaps to ticks


@pytest.fixture
def market_exchange(port: int, tmp_path: Path) -> Iterator[ExchangeServer]:
    venue = default_venue(TODAY)
    flow = SyntheticFlow(venue, ("MES",), seed=4, events_per_s=200.0, start=time.monotonic())
    server = ExchangeServer(exchange_config(port, tmp_path / "exch"), venue, flow, FaultPlan())
    server.start()
    try:
        yield server
    finally:
        server.stop(logout_wait_s=1.0)


def test_live_synthetic_market_and_a_price_jump(
    market_exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        async with connected(gateway_config(port, tmp_path)) as gw:
            book = gw.subscribe("MES")
            await gw.wait_for(lambda: book.valid and book.updates > 50, 10)
            bid, ask = book.best_bid(), book.best_ask()
            assert bid is not None and ask is not None and bid < ask
            # The market keeps moving while the jump is requested, so measure the print against
            # the lowest offer seen since then: an 8-tick up-gap prints at least 8 ticks above
            # the offer it started from, whichever way the market drifted in between.
            lowest_ask = [ask]

            def jumped() -> bool:
                current = book.best_ask()
                if current is not None:
                    lowest_ask[0] = min(lowest_ask[0], current)
                trade = book.last_trade
                return trade is not None and trade[0] >= lowest_ask[0] + 8

            market_exchange.control(lambda srv: setattr(srv.faults, "jump_ticks", 8))
            await gw.wait_for(jumped, 5)
            assert book.valid

    run(body())
