"""FIX 4.2 and 4.4, QuickFIX's dictionaries and a broker-supplied one."""

from __future__ import annotations

import asyncio
import logging
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.exchange.acceptor import ExchangeServer
from bot.exchange.orders import SELL
from fix.orders import OrderState
from fix.settings import default_dictionary, initiator_settings_text
from tests.fix.conftest import connected, gateway_config, run
from tests.fix.fakebroker import FakeBroker
from tests.fix.test_gateway import limit, market, venue_trade
from tests.venue import free_port

D = Decimal


def test_fix42_session_lifecycle_with_42_fills(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        cfg = gateway_config(port, tmp_path, begin_string="FIX.4.2")
        assert "DataDictionary=" + str(default_dictionary("FIX.4.2")) in initiator_settings_text(
            cfg
        )
        async with connected(cfg) as gw:
            order = await gw.new_order(limit("buy", 3, "5000.00"))
            assert order.state is OrderState.NEW
            venue_trade(exchange, SELL, 1, None)
            await gw.wait_for(lambda: order.state is OrderState.PARTIALLY_FILLED, 5)
            await gw.replace(order, 4, D("5000.25"))
            assert order.state is OrderState.PARTIALLY_FILLED and order.qty == 4
            venue_trade(exchange, SELL, 3, None)
            await gw.wait_for(lambda: order.state is OrderState.FILLED, 5)
            assert [f.qty for f in order.fills] == [1, 3]
            other = await gw.new_order(limit("sell", 1, "5010.00"))
            await gw.cancel(other)
            assert other.state is OrderState.CANCELED
            gone = await gw.new_order(market("sell", 1))
            await gw.wait_for(lambda: gone.is_terminal, 5)
        assert "FIX.4.2:SIMEXCH->TOPSTEPQ" in exchange.stats.sessions

    run(body())


def _fill_42(clid: str) -> list[tuple[int, str]]:
    return [
        (37, "1"), (11, clid), (17, "X1"), (20, "0"), (150, "2"), (39, "2"), (55, "MES"),
        (54, "1"), (38, "1"), (32, "1"), (31, "5000.25"), (151, "0"), (14, "1"), (6, "5000.25"),
    ]  # fmt: skip


def test_a_42_fill_on_a_44_session_is_session_rejected_and_never_reaches_the_app(
    tmp_path: Path,
) -> None:
    port = free_port()
    broker = FakeBroker(port, "FIX.4.4")

    async def body() -> None:
        async with connected(gateway_config(port, tmp_path)) as gw:
            order = await gw.new_order(limit("buy", 1, "5000.25"), wait=False)
            await asyncio.to_thread(broker.expect, "D")
            broker.send("8", _fill_42(order.cl_ord_id))
            reject = await asyncio.to_thread(broker.expect, "3")
            assert reject.get(371) == b"150" and reject.get(373) == b"5"  # bad enum value
            await asyncio.sleep(0.2)
            assert order.fills == [] and order.state is OrderState.PENDING_NEW  # the lost fill

    try:
        run(body())
    finally:
        broker.close()


def test_a_broker_supplied_42_dictionary_delivers_that_fill(tmp_path: Path) -> None:
    port = free_port()
    broker = FakeBroker(port, "FIX.4.2")
    supplied = tmp_path / "broker-FIX42.xml"
    shutil.copy(default_dictionary("FIX.4.2"), supplied)

    async def body() -> None:
        cfg = gateway_config(port, tmp_path / "s", begin_string="FIX.4.2",
                             data_dictionary=supplied)  # fmt: skip
        assert f"DataDictionary={supplied}" in initiator_settings_text(cfg)
        async with connected(cfg) as gw:
            order = await gw.new_order(limit("buy", 1, "5000.25"), wait=False)
            nos = await asyncio.to_thread(broker.expect, "D")
            assert nos.get(21) == b"1"  # HandlInst, required in 4.2
            broker.send("8", _fill_42(order.cl_ord_id))
            await gw.wait_for(lambda: order.state is OrderState.FILLED, 5)
            assert order.fills[0].price == D("5000.25")

    try:
        run(body())
    finally:
        broker.close()


def test_logon_carries_credentials_that_are_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    broker = FakeBroker(port, "FIX.4.4")

    async def body() -> None:
        cfg = gateway_config(port, tmp_path, username="trader7",
                             password=SecretStr("s3cret-pw"))  # fmt: skip
        async with connected(cfg):
            pass

    try:
        with caplog.at_level(logging.DEBUG):
            run(body())
        logon = broker.received[0]
        assert logon.get(553) == b"trader7" and logon.get(554) == b"s3cret-pw"
        assert "s3cret-pw" not in caplog.text and "s3cret-pw" not in repr(
            gateway_config(port, tmp_path, password=SecretStr("s3cret-pw"))
        )
    finally:
        broker.close()
