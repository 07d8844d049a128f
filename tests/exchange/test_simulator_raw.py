"""The simulator against an independent FIX implementation (simplefix on a raw socket)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from bot.exchange.acceptor import ExchangeServer
from fix.wire import FixFields
from tests.exchange.rawfix import RawFixClient, s

_ids = itertools.count(1)


def ts() -> str:
    return "20261126-15:00:00.000"


def nos(
    side: str,
    qty: str,
    ord_type: str = "2",
    price: str | None = "5000.25",
    symbol: str = "MES",
    tif: str = "0",
    stop: str | None = None,
    account: str | None = None,
) -> tuple[str, list[tuple[int, str]]]:
    clid = f"C{next(_ids)}"
    pairs = [(11, clid), (55, symbol), (54, side), (60, ts()), (38, qty), (40, ord_type)]
    if price is not None:
        pairs.append((44, price))
    if stop is not None:
        pairs.append((99, stop))
    if account is not None:
        pairs.append((1, account))
    pairs.append((59, tif))
    return clid, pairs


@pytest.fixture
def client(exchange: ExchangeServer, port: int) -> Iterator[RawFixClient]:
    c = RawFixClient(port)
    c.logon()
    try:
        yield c
    finally:
        c.close()


def test_limit_rests_then_partial_and_full_fill(client: RawFixClient) -> None:
    bid, pairs = nos("1", "5", price="5000.25")
    client.send("D", pairs)
    ack = client.expect("8")
    assert (s(ack, 11), s(ack, 150), s(ack, 39), s(ack, 151), s(ack, 14)) == (
        bid,
        "0",
        "0",
        "5",
        "0",
    )
    assert s(ack, 55) == "MES" and s(ack, 200) == "202612" and s(ack, 37) not in (None, "NONE")
    ask, pairs = nos("2", "2", price="5000.00")
    client.send("D", pairs)
    got = [client.expect("8") for _ in range(3)]  # ack of the sell, then a fill for each side
    by = {(s(m, 11), s(m, 150)): m for m in got}
    assert (ask, "0") in by
    resting = by[(bid, "F")]
    assert (s(resting, 39), s(resting, 32), s(resting, 31)) == ("1", "2", "5000.25")
    assert (s(resting, 14), s(resting, 151), s(resting, 6)) == ("2", "3", "5000.25")
    aggressor = by[(ask, "F")]
    assert (s(aggressor, 39), s(aggressor, 31), s(aggressor, 151)) == ("2", "5000.25", "0")
    _, pairs = nos("2", "3", ord_type="1", price=None)
    client.send("D", pairs)
    msgs = [client.expect("8") for _ in range(3)]
    final = next(m for m in msgs if s(m, 11) == bid)
    assert (s(final, 39), s(final, 14), s(final, 151)) == ("2", "5", "0")


@pytest.mark.parametrize(
    ("qty", "price", "symbol", "reason", "text"),
    [
        ("0", "5000.25", "MES", "13", "quantity"),
        ("-2", "5000.25", "MES", "13", "quantity"),
        ("1", "5000.10", "MES", "99", "tick grid"),
        ("1", None, "MES", "99", "missing price"),
        ("1", "5000.25", "ZZZ", "1", "unknown symbol"),
    ],
)
def test_bad_orders_get_a_rejected_execution_report(
    client: RawFixClient, qty: str, price: str | None, symbol: str, reason: str, text: str
) -> None:
    clid, pairs = nos("1", qty, price=price, symbol=symbol)
    client.send("D", pairs)
    rej = client.expect("8")
    assert (s(rej, 11), s(rej, 150), s(rej, 39), s(rej, 103)) == (clid, "8", "8", reason)
    assert text in (s(rej, 58) or "")


def test_dictionary_failure_gets_a_session_reject_and_the_session_lives(
    client: RawFixClient,
) -> None:
    client.send("D", [(11, "X1"), (55, "MES"), (54, "1"), (38, "1"), (40, "2"), (44, "5000")])
    rej = client.expect("3")
    assert s(rej, 373) == "1" and s(rej, 371) == "60"  # required tag missing: TransactTime
    clid, pairs = nos("1", "1")
    client.send("D", pairs)
    assert s(client.expect("8"), 11) == clid


def test_cancel_replace_status_and_cancel_rejects(client: RawFixClient) -> None:
    clid, pairs = nos("1", "2", price="4990.00")
    client.send("D", pairs)
    client.expect("8")
    client.send("G", [(11, "R1"), (41, clid), (55, "MES"), (54, "1"), (60, ts()), (38, "3"),
                      (40, "2"), (44, "4990.25")])  # fmt: skip
    rep = client.expect("8")
    assert (s(rep, 150), s(rep, 39), s(rep, 11), s(rep, 41)) == ("5", "0", "R1", clid)
    assert (s(rep, 38), s(rep, 44), s(rep, 151)) == ("3", "4990.25", "3")
    client.send("H", [(11, "R1"), (55, "MES"), (54, "1")])
    st = client.expect("8")
    assert (s(st, 150), s(st, 39), s(st, 151)) == ("I", "0", "3")
    client.send("F", [(11, "K1"), (41, "R1"), (55, "MES"), (54, "1"), (60, ts()), (38, "3")])
    cxl = client.expect("8")
    assert (s(cxl, 150), s(cxl, 39), s(cxl, 11), s(cxl, 41), s(cxl, 151)) == (
        "4", "4", "K1", "R1", "0",
    )  # fmt: skip
    client.send("F", [(11, "K2"), (41, "K1"), (55, "MES"), (54, "1"), (60, ts()), (38, "3")])
    late = client.expect("9")
    assert (s(late, 102), s(late, 434), s(late, 39)) == ("0", "1", "4")
    client.send("F", [(11, "K3"), (41, "nope"), (55, "MES"), (54, "1"), (60, ts()), (38, "1")])
    unknown = client.expect("9")
    assert (s(unknown, 102), s(unknown, 37)) == ("1", "NONE")
    client.send("G", [(11, "R9"), (41, "nope"), (55, "MES"), (54, "1"), (60, ts()), (38, "1"),
                      (40, "2"), (44, "4990.00")])  # fmt: skip
    bad_replace = client.expect("9")
    assert (s(bad_replace, 102), s(bad_replace, 434)) == ("1", "2")
    clid2, pairs = nos("1", "2", price="4990.00")
    client.send("D", pairs)
    client.expect("8")
    client.send("G", [(11, "R10"), (41, clid2), (55, "MES"), (54, "1"), (60, ts()), (38, "2"),
                      (40, "2"), (44, "4990.10")])  # fmt: skip
    off_grid = client.expect("9")
    assert (s(off_grid, 434), s(off_grid, 39)) == ("2", "0") and "tick" in (s(off_grid, 58) or "")


def test_mass_status_and_positions(client: RawFixClient) -> None:
    an = [(710, "P1"), (724, "0"), (1, "ACC1"), (581, "1"), (715, "20261126"), (60, ts())]
    client.send("AN", an)
    ack = client.expect("AO")
    assert (s(ack, 710), s(ack, 728)) == ("P1", "2")
    _, pairs = nos("1", "1", price="5000.00", account="ACC1")
    client.send("D", pairs)
    _, pairs = nos("2", "1", ord_type="1", price=None, account="ACC2")
    client.send("D", pairs)
    w1, pairs = nos("1", "4", price="4999.00", account="ACC1")
    client.send("D", pairs)
    w2, pairs = nos("2", "2", price="5003.00", account="ACC1")
    client.send("D", pairs)
    client.drain(0.3)
    client.send("AF", [(584, "M1"), (585, "7")])
    reports = [client.expect("8") for _ in range(2)]
    assert {s(m, 11) for m in reports} == {w1, w2}
    assert all(s(m, 584) == "M1" and s(m, 911) == "2" and s(m, 150) == "I" for m in reports)
    assert [s(m, 912) for m in reports] == ["N", "Y"]
    client.send("AN", [*an[:1], (724, "0"), (1, "ACC1"), (581, "1"), (715, "20261126"), (60, ts())])
    pos = client.expect("AP")
    assert (s(pos, 1), s(pos, 55), s(pos, 704), s(pos, 705)) == ("ACC1", "MES", "1", "0")
    client.send(
        "AN", [(710, "P2"), (724, "0"), (1, "ACC2"), (581, "1"), (715, "20261126"), (60, ts())]
    )
    short = client.expect("AP")
    assert (s(short, 1), s(short, 704), s(short, 705)) == ("ACC2", "0", "1")


def test_market_data_snapshot_incrementals_and_reject(client: RawFixClient) -> None:
    _, pairs = nos("1", "3", price="5000.00")
    client.send("D", pairs)
    client.expect("8")
    v = [(262, "MD1"), (263, "1"), (264, "0"), (265, "1"), (267, "3"), (269, "0"), (269, "1"),
         (269, "2"), (146, "1"), (55, "MES")]  # fmt: skip
    client.send("V", v)
    snap = client.expect("W")
    assert (s(snap, 262), s(snap, 55), s(snap, 269), s(snap, 270), s(snap, 271)) == (
        "MD1", "MES", "0", "5000", "3",
    )  # fmt: skip
    _, pairs = nos("2", "1", price="5000.00")
    client.send("D", pairs)
    inc = client.expect("X")
    entries = FixFields.parse(inc.encode().decode()).groups(268, 279)
    assert {279: "1", 269: "0", 55: "MES", 200: "202612", 270: "5000", 271: "2"} in entries
    assert {279: "0", 269: "2", 55: "MES", 200: "202612", 270: "5000", 271: "1"} in entries
    client.send("V", [(262, "MD2"), (263, "1"), (264, "0"), (265, "1"), (267, "1"), (269, "0"),
                      (146, "1"), (55, "NOPE")])  # fmt: skip
    rej = client.expect("Y")
    assert s(rej, 262) == "MD2" and "unknown symbol" in (s(rej, 58) or "")


def test_stop_order_triggers_on_a_trade_through_it(client: RawFixClient) -> None:
    for side, price in (("2", "5001.00"), ("2", "5002.00")):
        _, pairs = nos(side, "1", price=price)
        client.send("D", pairs)
    stop, pairs = nos("1", "1", ord_type="3", price=None, stop="5001.00")
    client.send("D", pairs)
    client.drain(0.3)
    assert not [m for m in client.received if s(m, 11) == stop and s(m, 150) == "F"]
    _, pairs = nos("1", "1", ord_type="1", price=None)
    client.send("D", pairs)  # trades 5001.00: the buy stop becomes a market order
    msgs = client.drain(0.5)
    fill = next(m for m in msgs if s(m, 11) == stop and s(m, 150) == "F")
    assert (s(fill, 31), s(fill, 39)) == ("5002", "2")


def test_garbage_bytes_end_that_connection_only(exchange: ExchangeServer, port: int) -> None:
    good = RawFixClient(port)
    good.logon()
    bad = RawFixClient(port, sender="INTRUDER")
    bad.connect()
    bad.send_raw(b"8=FIX.4.4\x019=abc\x0135=A\x01garbage\x0110=000\x01")
    assert bad.is_closed()
    # after logon, a garbled message is ignored (FIX session rules) and the session carries on
    good.send_raw(b"not fix at all\x01\x01garbage=\x01")
    clid, pairs = nos("1", "1")
    good.send("D", pairs)
    assert s(good.expect("8"), 11) == clid
    assert exchange.stats.errors == 0
    good.close()
    bad.close()
