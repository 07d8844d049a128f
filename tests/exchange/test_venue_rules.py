"""The venue's request rules: checks shared by new orders and replaces, ClOrdID uniqueness,
sanity limits, unusable numbers, and a journal that survives a restart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.exchange.acceptor import ExchangeServer, default_venue
from bot.exchange.orders import BUY, LIMIT, MARKET, SELL, STOP
from bot.exchange.reports import CancelReject, ExecReport, Report
from bot.exchange.venue import NewOrder, ReplaceTerms, Venue, VenueLimits
from tests.exchange.rawfix import RawFixClient, s
from tests.venue import TODAY

OWNER = "FIX.4.4:SIMEXCH->TOPSTEPQ"


def new(
    venue: Venue,
    clid: str,
    side: int,
    qty: str,
    price: str | None = "5000.00",
    ord_type: int = LIMIT,
    stop: str | None = None,
    maturity: str | None = None,
) -> list[Report]:
    return venue.new_order(
        NewOrder(OWNER, clid, "MES", side, ord_type, qty, price, stop, maturity=maturity)
    )


def mine(reports: list[Report], clid: str) -> ExecReport:
    return next(r for r in reports if isinstance(r, ExecReport) and r.cl_ord_id == clid)


def traded_at_5000(venue: Venue) -> None:
    new(venue, "ask0", SELL, "1")
    new(venue, "bid0", BUY, "1", None, MARKET)


def test_a_replace_is_checked_like_a_new_order_stop_through_the_market() -> None:
    venue = default_venue(TODAY)
    traded_at_5000(venue)
    assert mine(new(venue, "s1", BUY, "1", None, STOP, "5001.00"), "s1").exec_type == "0"
    late = new(venue, "s2", BUY, "1", None, STOP, "4999.75")
    assert mine(late, "s2").exec_type == "8"
    (answer,) = venue.replace(OWNER, "s1r", "s1", "1", None, "4999.75")
    assert isinstance(answer, CancelReject) and "at or through" in answer.text
    order = venue.order_by_clid(OWNER, "s1")
    assert order is not None and order.stop_px == 20_004 and not order.triggered


def test_clordids_are_never_reused_by_any_message() -> None:
    venue = default_venue(TODAY)
    new(venue, "a1", BUY, "1", "4990.00")
    new(venue, "b1", BUY, "1", "4989.00")
    (answer,) = venue.cancel(OWNER, "b1", "a1")  # the id of another live order
    assert isinstance(answer, CancelReject) and answer.reason == 6
    b = venue.order_by_clid(OWNER, "b1")
    assert b is not None and b.price == 19_956 and b.is_open
    a = venue.order_by_clid(OWNER, "a1")
    assert a is not None and a.is_open  # not cancelled under a borrowed id
    (replace,) = venue.replace(OWNER, "a1", "b1", "2", "4989.00", None)
    assert isinstance(replace, CancelReject) and replace.reason == 6
    assert mine(new(venue, "r1", BUY, "0"), "r1").exec_type == "8"
    again = mine(new(venue, "r1", BUY, "1"), "r1")  # not reusable after its reject
    assert (again.exec_type, again.rej_reason) == ("8", 6)


def test_a_replace_cannot_change_side_type_or_instrument() -> None:
    venue = default_venue(TODAY)
    new(venue, "a1", BUY, "1", "4990.00")
    for n, terms, word in (
        (1, ReplaceTerms(SELL, LIMIT, "MES"), "side"),
        (2, ReplaceTerms(BUY, MARKET, "MES"), "order type"),
        (3, ReplaceTerms(BUY, LIMIT, "MNQ"), "instrument"),
        (4, ReplaceTerms(BUY, LIMIT, "MES", "202703"), "instrument"),
    ):
        (answer,) = venue.replace(OWNER, f"x{n}", "a1", "1", "4990.25", None, terms)
        assert isinstance(answer, CancelReject) and word in answer.text
    (ok,) = venue.replace(OWNER, "x5", "a1", "1", "4990.25", None, ReplaceTerms(BUY, LIMIT, "MES"))
    assert isinstance(ok, ExecReport) and ok.exec_type == "5"


@pytest.mark.parametrize(
    ("qty", "price", "maturity", "reason", "text"),
    [
        ("1000000000000", "5000.00", None, 13, "maximum"),
        ("6", "5000.00", None, 13, "maximum of 5"),
        ("1", "0", None, 99, "positive"),
        ("1", "-5", None, 99, "positive"),
        ("1", "5000.00", "202403", 2, "expired or not listed"),
        ("1", "5000.00", "202609", 2, "expired or not listed"),
        ("1", "5000.00", "203012", 2, "expired or not listed"),
        ("1", "1234567890123456789012345678.25", None, 99, "out of range"),
        ("1", "12345678901234567890123456789", None, 99, "not a usable price"),
        ("1e999999", "5000.00", None, 13, "quantity"),
    ],
)
def test_sanity_limits_reject_with_a_reason(
    qty: str, price: str, maturity: str | None, reason: int, text: str
) -> None:
    venue = default_venue(TODAY, limits=VenueLimits({"MES": 5}))
    rej = mine(new(venue, "c1", BUY, qty, price, maturity=maturity), "c1")
    assert (rej.exec_type, rej.rej_reason) == ("8", reason) and text in rej.text
    ok = mine(new(venue, "c2", BUY, "5", "5000.00", maturity="202712"), "c2")
    assert ok.exec_type == "0"  # the fifth listed quarter, at the maximum size


def test_a_price_with_29_digits_gets_an_answer_on_the_wire(client: RawFixClient) -> None:
    pairs = [(11, "P1"), (55, "MES"), (54, "1"), (60, "20261126-15:00:00.000"), (38, "1"),
             (40, "2"), (44, "12345678901234567890123456789.25"), (59, "0")]  # fmt: skip
    client.send("D", pairs)
    rej = client.expect("8")
    assert (s(rej, 11), s(rej, 150), s(rej, 39)) == ("P1", "8", "8")


def test_a_request_that_fails_inside_the_venue_still_gets_an_answer(
    exchange: ExchangeServer, client: RawFixClient
) -> None:
    def broken(*_args: object) -> list[Report]:
        raise ZeroDivisionError("simulated bug")

    exchange.venue.status = broken  # type: ignore[method-assign]
    client.send("H", [(11, "C9"), (55, "MES"), (54, "1")])
    reject = client.expect("j")
    assert (s(reject, 372), s(reject, 379)) == ("H", "C9") and "bug" in (s(reject, 58) or "")
    exchange.venue.cancel = broken  # type: ignore[method-assign]
    client.send("F", [(11, "K9"), (41, "C9"), (55, "MES"), (54, "1"),
                      (60, "20261126-15:00:00.000"), (38, "1")])  # fmt: skip
    assert s(client.expect("9"), 11) == "K9"


def test_an_ack_delay_never_reorders_a_sessions_messages(
    exchange: ExchangeServer, client: RawFixClient
) -> None:
    exchange.control(lambda srv: setattr(srv.faults, "ack_delay_s", 0.6))
    base = [(55, "MES"), (54, "1"), (60, "20261126-15:00:00.000"), (38, "1"), (40, "2"),
            (44, "4990.00"), (59, "0")]  # fmt: skip
    client.send("D", [(11, "first"), *base])
    assert exchange.wait_idle()
    exchange.control(lambda srv: setattr(srv.faults, "ack_delay_s", 0.05))
    client.send("D", [(11, "second"), *base])
    acks = [client.expect("8", timeout=3) for _ in range(2)]
    assert [s(m, 11) for m in acks] == ["first", "second"]


def test_the_books_and_ids_survive_a_restart_on_the_same_state_dir(tmp_path: Path) -> None:
    venue = default_venue(TODAY, tmp_path)
    traded_at_5000(venue)
    new(venue, "w1", BUY, "2", "4990.00")
    new(venue, "st", BUY, "1", None, STOP, "5002.00")
    venue.cancel(OWNER, "k1", "w1")
    venue.replace(OWNER, "r1", "st", "2", None, "5003.00")
    first_ids = [r.exec_id for r in venue.fill_log]
    venue.checkpoint()
    again = default_venue(TODAY, tmp_path)
    assert [o.cl_ord_id for o in again.working_orders()] == ["r1"]
    stop = again.order_by_clid(OWNER, "st")
    assert stop is not None and stop.qty == 2 and stop.stop_px == 20_012
    canceled = again.order_by_clid(OWNER, "w1")
    assert canceled is not None and canceled.status == "4"
    pos = again.positions.get("SIM", "MES", "202612")
    assert pos is not None and (pos.bought, pos.sold, pos.net) == (1, 1, 0)
    assert [r.exec_id for r in again.fill_log] == first_ids
    assert again.engine(("MES", "202612")).last_trade == 20_000
    assert mine(new(again, "w1", BUY, "1"), "w1").rej_reason == 6  # used before the restart
    fresh = mine(new(again, "n1", BUY, "1", "4990.00"), "n1")
    assert int(fresh.order_id) > max(int(r.order_id) for r in venue.fill_log)
    assert fresh.exec_id not in {r.exec_id for r in venue.fill_log}
    lines = (tmp_path / "journal.jsonl").read_text().splitlines()
    assert all(json.loads(line)["k"] for line in lines)


@pytest.fixture
def client(exchange: ExchangeServer, port: int) -> RawFixClient:
    c = RawFixClient(port)
    c.logon()
    yield c  # type: ignore[misc]
    c.close()
