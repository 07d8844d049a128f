"""Messages built from text (one QuickFIX call) are the messages built field by field."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import quickfix as fix

from fix import build, messages
from fix.orders import OrderRequest, OrderTracker
from fix.wire import utc_timestamp_ms


def _field_by_field(msg_type: str, fields: Sequence[tuple[int, str]]) -> fix.Message:
    """The reference: the way messages were built before, two SWIG calls per field."""
    msg = fix.Message()
    msg.getHeader().setField(fix.StringField(35, msg_type))
    for tag, value in fields:
        if value != "":
            msg.setField(fix.StringField(tag, value))
    return msg


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every message the module builds is checked against the reference, byte for byte."""
    seen: list[str] = []

    def checked(msg_type: str, fields: Sequence[tuple[int, str]]) -> fix.Message:
        msg = build.message(msg_type, fields)
        assert msg.toString() == _field_by_field(msg_type, fields).toString()
        assert msg.getHeader().getField(35) == msg_type
        seen.append(str(msg.toString()))
        return msg

    monkeypatch.setattr(messages, "message", checked)
    return seen


@pytest.mark.parametrize(
    "req",
    [
        OrderRequest("MES", "buy", 3, "limit", Decimal("5012.25")),
        OrderRequest("MNQ", "sell", 1, "stop", stop_px=Decimal("17000.5"), tif="gtc"),
        OrderRequest("MES", "sell", 2, "stop_limit", Decimal("4999.75"), Decimal("5000")),
        OrderRequest("MGC", "buy", 1, "market", tif="ioc", maturity="202606"),
    ],
)
@pytest.mark.parametrize("fix42", [False, True])
def test_orders_match_the_field_by_field_build(
    compared: list[str], req: OrderRequest, fix42: bool
) -> None:
    messages.new_order_single("C-1", req, "ACC", fix42)
    (text,) = compared
    assert "\x0111=C-1\x01" in text and "\x011=ACC\x01" in text
    assert ("\x0121=1\x01" in text) is fix42


def test_cancel_replace_and_requests_match(compared: list[str]) -> None:
    tracker = OrderTracker({"MES": Decimal("0.25")})
    order = tracker.add("C-1", OrderRequest("MES", "buy", 2, "limit", Decimal("5000")))
    messages.cancel_request("C-2", order)
    messages.replace_request("C-3", order, 1, Decimal("5000.25"), None, False)
    messages.status_request(order)
    messages.mass_status_request("MS-1")
    messages.request_for_positions("POS-1", "ACC", date(2026, 3, 10))
    messages.market_data_request("MD-1", "MES", None, True)
    assert [t.split("\x0135=")[1].split("\x01")[0] for t in compared] == [
        "F", "G", "H", "AF", "AN", "V",
    ]  # fmt: skip


def test_market_data_request_keeps_its_groups() -> None:
    text = str(messages.market_data_request("MD-1", "MES", None, True).toString())
    assert "\x01267=3\x01269=0\x01269=1\x01269=2\x01" in text
    assert "\x01146=1\x0155=MES\x01" in text


def test_a_value_with_the_separator_is_refused() -> None:
    with pytest.raises(ValueError, match="tag 55"):
        build.message("D", [(11, "C-1"), (55, "MES\x0154=2")])
    assert "\x0144=" not in str(build.message("D", [(11, "C-1"), (44, "")]).toString())


def test_transact_time_is_the_clock_to_the_millisecond() -> None:
    """The per-second cache never serves a stale second: each stamp lies between the clock
    read just before and just after it, across several second boundaries."""

    def stamp_of(moment: datetime) -> str:
        return utc_timestamp_ms(moment)

    assert stamp_of(datetime(2026, 3, 10, 14, 5, 9, 7_999, tzinfo=UTC)) == "20260310-14:05:09.007"
    stamps = 0
    deadline = datetime.now(UTC).timestamp() + 2.2
    while datetime.now(UTC).timestamp() < deadline:
        before = stamp_of(datetime.now(UTC))
        tag, text = build.transact_time()
        after = stamp_of(datetime.now(UTC))
        assert tag == 60 and before <= text <= after
        stamps += 1
    assert stamps > 100
