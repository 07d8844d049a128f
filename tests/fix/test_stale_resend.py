"""A stale order is never resent: after a long disconnect, a resent D or G (PossDupFlag=Y) older
than FIX_RESEND_MAX_AGE_S is suppressed (QuickFIX gap-fills it) and its status is asked instead,
so an order the trader stopped expecting cannot reach the market minutes late."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import quickfix as fix

from fix.bridge import LoopBridge
from fix.gateway import GatewayApp, Inbound
from fix.messages import new_order_single
from fix.orders import OrderRequest
from fix.settings import FixSessionConfig


def resent_order(age: timedelta, poss_dup: bool = True) -> fix.Message:
    order = new_order_single(
        "C1", OrderRequest("MES", "buy", 1, "limit", Decimal("5000.25")), "SIM", False
    )
    sent = datetime.now(UTC) - age
    order.setField(fix.StringField(60, sent.strftime("%Y%m%d-%H:%M:%S.") + "000"))
    if poss_dup:
        order.getHeader().setField(fix.StringField(43, "Y"))
    return order


@pytest.fixture
def app() -> Iterator[GatewayApp]:
    loop = asyncio.new_event_loop()
    bridge: LoopBridge[Inbound] = LoopBridge(loop, lambda _item: None)
    yield GatewayApp(FixSessionConfig(), bridge, resend_max_age_s=5.0)
    loop.close()


def test_a_stale_resend_is_suppressed(app: GatewayApp) -> None:
    with pytest.raises(fix.DoNotSend):
        app.on_to_app(resent_order(timedelta(seconds=30)), "FIX.4.4:TOPSTEPQ->SIMEXCH")
    assert app.stats.resends_suppressed == 1


def test_a_fresh_resend_and_a_first_send_go_out(app: GatewayApp) -> None:
    app.on_to_app(resent_order(timedelta(seconds=1)), "FIX.4.4:TOPSTEPQ->SIMEXCH")
    app.on_to_app(resent_order(timedelta(minutes=10), poss_dup=False), "s")  # not a resend
    assert app.stats.resends_suppressed == 0


def test_the_callback_wrapper_lets_do_not_send_reach_quickfix(app: GatewayApp) -> None:
    """Through the real director entry point: DoNotSend must escape the guard (QuickFIX turns it
    into a gap fill), while any other error is swallowed and counted."""
    session = fix.SessionID("FIX.4.4", "TOPSTEPQ", "SIMEXCH")
    with pytest.raises(fix.DoNotSend):
        app.toApp(resent_order(timedelta(seconds=30)), session)
    assert app.callback_errors == 0
