"""The gateway against the simulator over real QuickFIX sessions on loopback."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from bot.exchange.acceptor import ExchangeServer
from bot.exchange.orders import BUY, LIMIT, MARKET, SELL, SimOrder
from fix.gateway import FixGateway
from fix.orders import OrderRequest, OrderState
from tests.fix.conftest import connected, gateway_config, run

D = Decimal


def limit(side: str, qty: int, price: str, tif: str = "day") -> OrderRequest:
    return OrderRequest("MES", side, qty, "limit", D(price), tif=tif)  # type: ignore[arg-type]


def market(side: str, qty: int) -> OrderRequest:
    return OrderRequest("MES", side, qty, "market")  # type: ignore[arg-type]


def venue_trade(server: ExchangeServer, side: int, qty: int, ticks: int | None) -> None:
    """An anonymous order of 'the market' entered on the simulator's worker thread."""

    def act(srv: ExchangeServer) -> None:
        key = srv.venue.contract("MES")
        oid = srv.venue.new_order_id()
        order = SimOrder(oid, side, MARKET if ticks is None else LIMIT, qty, ticks)
        srv._send_reports(srv.venue.submit_anonymous(key, order))

    server.control(act)


def test_limit_market_ioc_lifecycle(exchange: ExchangeServer, port: int, tmp_path: Path) -> None:
    async def body() -> None:
        async with connected(gateway_config(port, tmp_path)) as gw:
            bid = await gw.new_order(limit("buy", 5, "5000.25"))
            assert bid.state is OrderState.NEW and bid.order_id is not None
            sell = await gw.new_order(market("sell", 2))
            await gw.wait_for(lambda: bid.cum_qty == 2 and sell.is_terminal, 5)
            assert bid.state is OrderState.PARTIALLY_FILLED and bid.leaves_qty == 3
            assert sell.state is OrderState.FILLED and sell.avg_px == D("5000.25")
            sell2 = await gw.new_order(limit("sell", 3, "5000.00"))
            await gw.wait_for(lambda: bid.state is OrderState.FILLED and sell2.is_terminal, 5)
            assert [f.qty for f in bid.fills] == [2, 3]
            assert all(f.price == D("5000.25") for f in bid.fills)
            ioc = await gw.new_order(limit("buy", 2, "4999.00", tif="ioc"))
            await gw.wait_for(lambda: ioc.is_terminal, 5)
            assert ioc.state is OrderState.CANCELED and ioc.cum_qty == 0
            nothing = await gw.new_order(market("buy", 1))
            await gw.wait_for(lambda: nothing.is_terminal, 5)
            assert nothing.state is OrderState.CANCELED  # no liquidity: the remainder cancels

    run(body())


def test_stop_and_stop_limit_triggered_by_a_price_move(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        async with connected(gateway_config(port, tmp_path)) as gw:
            venue_trade(exchange, SELL, 1, 20_000)  # 5000.00 offered
            venue_trade(exchange, BUY, 1, None)  # trade at 5000.00
            venue_trade(exchange, SELL, 5, 20_008)  # 5002.00 offered
            assert exchange.wait_idle()
            stop = await gw.new_order(OrderRequest("MES", "buy", 1, "stop", stop_px=D("5001.00")))
            stop_limit = await gw.new_order(
                OrderRequest("MES", "buy", 2, "stop_limit", D("5001.50"), D("5001.00"))
            )
            assert stop.state is OrderState.NEW and stop_limit.state is OrderState.NEW
            assert stop.cum_qty == 0
            venue_trade(exchange, SELL, 1, 20_004)  # 5001.00 offered ...
            venue_trade(exchange, BUY, 1, None)  # ... and taken: prints at the stop price
            await gw.wait_for(lambda: stop.state is OrderState.FILLED, 5)
            assert stop.fills[0].price == D("5002.00")
            # the stop-limit triggered too but its 5001.50 limit is below the 5002.00 offer
            assert stop_limit.state is OrderState.NEW and stop_limit.cum_qty == 0
            assert exchange.venue.engine(("MES", "202612")).book.level_size(BUY, 20_006) == 2
            venue_trade(exchange, SELL, 2, 20_006)  # a seller meets it at its limit
            await gw.wait_for(lambda: stop_limit.state is OrderState.FILLED, 5)
            assert stop_limit.avg_px == D("5001.50")
            gtc = await gw.new_order(limit("buy", 1, "4990.00", tif="gtc"))
            assert gtc.state is OrderState.NEW
            await gw.status(gtc)
            assert gtc.state is OrderState.NEW and gtc.leaves_qty == 1

    run(body())


def test_cancel_replace_and_a_cancel_racing_a_fill(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        async with connected(gateway_config(port, tmp_path)) as gw:
            order = await gw.new_order(limit("buy", 2, "4990.00"))
            first_id = order.cl_ord_id
            await gw.replace(order, 3, D("4990.50"))
            assert order.state is OrderState.NEW and order.qty == 3
            assert order.price == D("4990.50") and order.cl_ord_id != first_id
            await gw.cancel(order)
            assert order.state is OrderState.CANCELED and len(order.history) == 3
            # the race: a market order reaches the venue just before our cancel
            racer = await gw.new_order(limit("buy", 1, "4995.00"))
            venue_trade(exchange, SELL, 1, None)
            await gw.cancel(racer)
            await gw.wait_for(lambda: racer.state is OrderState.FILLED, 5)
            assert racer.cum_qty == 1 and racer.pending_cl_ord_id is None
            assert "too late" in racer.text
            # the other way round: the cancel wins, the market order finds nothing
            loser = await gw.new_order(limit("buy", 1, "4995.00"))
            await gw.cancel(loser)
            venue_trade(exchange, SELL, 1, None)
            assert exchange.wait_idle()
            assert loser.state is OrderState.CANCELED and loser.cum_qty == 0

    run(body())


def test_rejects_reach_the_order_state_machine(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        async with connected(gateway_config(port, tmp_path)) as gw:
            bad_qty = await gw.new_order(limit("buy", 0, "5000.00"))
            assert bad_qty.state is OrderState.REJECTED and "quantity" in bad_qty.text
            with pytest.raises(ValueError, match="tick grid"):  # caught before sending
                await gw.new_order(limit("buy", 1, "5000.10"))
            # a contract the gateway has no tick size for: the venue's check answers
            off_grid = await gw.new_order(OrderRequest("M2K", "buy", 1, "limit", D("2000.05")))
            assert off_grid.state is OrderState.REJECTED and "tick" in off_grid.text
            unknown = await gw.new_order(OrderRequest("ZZZ", "buy", 1, "limit", D("1")))
            assert unknown.state is OrderState.REJECTED and "unknown symbol" in unknown.text
            done = await gw.new_order(limit("buy", 1, "5000.00"))
            await gw.cancel(done)
            await gw.cancel(done)  # a second cancel of a closed order: OrderCancelReject
            assert done.state is OrderState.CANCELED and "too late" in done.text
            exchange.control(lambda srv: setattr(srv.faults, "reject_next", 1))
            faulted = await gw.new_order(limit("buy", 1, "5000.00"))
            assert faulted.state is OrderState.REJECTED and "fault" in faulted.text

    run(body())


def test_logon_requests_mass_status_and_positions(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        cfg = gateway_config(port, tmp_path)
        async with connected(cfg) as gw:
            await gw.wait_for(lambda: gw.reconciliation.positions_done, 5)
            await gw.wait_for(lambda: gw.reconciliation.mass_status_done, 5)
            assert gw.reconciliation.positions == [] and gw.reconciliation.working == []
            working = await gw.new_order(limit("buy", 2, "4990.00"))
            venue_trade(exchange, SELL, 1, 20_040)  # someone else offers 5010.00
            assert exchange.wait_idle()
            bought = await gw.new_order(limit("buy", 1, "5010.00"))
            await gw.wait_for(lambda: bought.state is OrderState.FILLED, 5)
        async with connected(cfg) as gw2:
            rec = gw2.reconciliation
            await gw2.wait_for(lambda: rec.positions_done and rec.mass_status_done, 5)
            rows = [
                (p.account, p.symbol, p.maturity, p.long_qty, p.short_qty) for p in rec.positions
            ]
            assert rows == [("SIM", "MES", "202612", 1, 0)]
            assert [f.get(11) for f in rec.working] == [working.cl_ord_id]

    run(body())


def test_restart_resumes_sequence_numbers_and_never_reuses_clordids(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        cfg = gateway_config(port, tmp_path)
        async with connected(cfg) as gw:
            first = await gw.new_order(limit("buy", 1, "4990.00"))
            sent_before = _next_sender_seq(gw)
        time.sleep(1.1)  # a new second, so the persisted run prefix is the one that moves
        async with connected(cfg) as gw2:
            assert _next_sender_seq(gw2) > sent_before  # continued, not reset to 1
            second = await gw2.new_order(limit("buy", 1, "4990.00"))
            assert second.cl_ord_id != first.cl_ord_id
            assert second.state is OrderState.NEW
        assert exchange.stats.logons == 2

    run(body())


def _next_sender_seq(gw: FixGateway) -> int:
    import quickfix as fix

    session = fix.Session.lookupSession(gw._sid)
    return int(session.getExpectedSenderNum())


def test_stop_is_bounded_and_keeps_the_loop_responsive(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    import asyncio

    async def body() -> None:
        gw = FixGateway(gateway_config(port, tmp_path))
        await gw.start()
        await gw.wait_logged_on(10)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        started = time.monotonic()
        await gw.stop()
        elapsed = time.monotonic() - started
        task.cancel()
        assert elapsed < 3.0  # QuickFIX's own stop() would wait up to 10 s for the logout
        assert ticks >= 1 and not gw.logged_on

    run(body())
