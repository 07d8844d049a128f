"""Faults between gateway and simulator: lost messages, disconnects, slow acks, price jumps."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.exchange.acceptor import ExchangeServer
from bot.exchange.orders import SELL
from fix.orders import OrderRequest, OrderState
from tests.fix.conftest import connected, gateway_config, run
from tests.fix.test_gateway import limit, venue_trade

D = Decimal


def _fills_match(exchange: ExchangeServer, gw_fill_ids: list[str]) -> None:
    assert exchange.wait_idle()
    venue_ids = [f.exec_id for f in exchange.venue.fill_log]
    assert sorted(venue_ids) == sorted(gw_fill_ids)  # nothing lost, nothing twice
    assert len(set(gw_fill_ids)) == len(gw_fill_ids)


def test_a_dropped_report_is_resent_after_the_gap_and_counted_once(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        async with connected(gateway_config(port, tmp_path)) as gw:
            rec = gw.reconciliation
            await gw.wait_for(lambda: rec.positions_done and rec.mass_status_done, 5)
            exchange.control(lambda srv: setattr(srv.faults, "drop_next", 1))
            first = await gw.new_order(limit("buy", 2, "5000.00"), timeout=0.5)
            assert first.state is OrderState.PENDING_NEW  # its ack never hit the wire
            await gw.wait_for(lambda: first.state is OrderState.NEW, 10)  # resent on logon
            assert gw.stats.logons == 2
            await gw.wait_for(lambda: gw.logged_on, 5)
            exchange.control(lambda srv: setattr(srv.faults, "drop_next", 1))
            venue_trade(exchange, SELL, 2, None)  # fills `first`; that report is lost
            await gw.wait_for(lambda: first.state is OrderState.FILLED, 10)
            assert first.cum_qty == 2 and len(first.fills) == 1
            assert exchange.stats.dropped == 2 and gw.stats.logons == 3
            _fills_match(exchange, [f.exec_id for f in gw.tracker.fill_log])

    run(body())


def test_disconnect_mid_order_then_reconnect_loses_and_duplicates_nothing(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        async with connected(gateway_config(port, tmp_path)) as gw:
            rec = gw.reconciliation
            await gw.wait_for(lambda: rec.positions_done and rec.mass_status_done, 5)
            # the ack is stored but never sent, then the venue drops the connection
            exchange.control(lambda srv: setattr(srv.faults, "drop_next", 1))
            exchange.control(lambda srv: setattr(srv.faults, "disconnect_after", 1))
            order = await gw.new_order(limit("buy", 3, "5000.00"), timeout=0.5)
            assert order.state is OrderState.PENDING_NEW  # unknown, not failed
            await gw.wait_for(lambda: not gw.logged_on, 5)
            venue_trade(exchange, SELL, 1, None)  # fills while we are away
            venue_trade(exchange, SELL, 2, None)
            assert exchange.wait_idle()
            await gw.wait_for(lambda: gw.logged_on, 10)  # reconnect backoff starts at 1 s
            await gw.wait_for(lambda: order.state is OrderState.FILLED, 10)
            assert order.cum_qty == 3 and [f.qty for f in order.fills] == [1, 2]
            assert gw.stats.logons == 2
            rec = gw.reconciliation
            await gw.wait_for(lambda: rec.positions_done and rec.mass_status_done, 5)
            assert [(p.long_qty, p.short_qty) for p in rec.positions] == [(3, 0)]
            _fills_match(exchange, [f.exec_id for f in gw.tracker.fill_log])

    run(body())


def test_slow_ack_leaves_the_order_pending_then_new(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    async def body() -> None:
        async with connected(gateway_config(port, tmp_path)) as gw:
            exchange.control(lambda srv: setattr(srv.faults, "ack_delay_s", 0.6))
            order = await gw.new_order(limit("buy", 1, "5000.00"), timeout=0.2)
            assert order.state is OrderState.PENDING_NEW
            await gw.wait_for(lambda: order.state is OrderState.NEW, 5)

    run(body())


def test_unknown_order_after_a_suppressed_resend_is_settled_by_status(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    """A status request for an order the venue never saw answers 'unknown': not filled."""

    async def body() -> None:
        async with connected(gateway_config(port, tmp_path)) as gw:
            order = gw.tracker.add("never-sent-1", OrderRequest("MES", "buy", 1, "limit", D("1")))
            gw.request_status(order)
            await gw.wait_for(lambda: order.status_unknown, 5)
            assert order.state is OrderState.REJECTED and order.cum_qty == 0

    run(body())


def test_reconnect_backs_off_while_the_venue_is_down_then_logs_on(
    port: int, tmp_path: Path
) -> None:
    from bot.exchange.acceptor import default_venue
    from tests.venue import TODAY, exchange_config

    def server() -> ExchangeServer:
        srv = ExchangeServer(exchange_config(port, tmp_path / "exch"), default_venue(TODAY))
        srv.start()
        return srv

    async def body() -> None:
        import asyncio

        first = server()
        cfg = gateway_config(port, tmp_path, reconnect_s=1, reconnect_max_s=4)
        try:
            async with connected(cfg) as gw:
                await asyncio.to_thread(first.stop, 1.0)
                await gw.wait_for(lambda: len(gw.reconnect_delays) >= 3, 20)
                d = gw.reconnect_delays
                assert d[0] <= 1.2 and d[1] >= 1.6 and d[2] >= 3.2  # 1, 2, 4 (+-20% jitter)
                second = await asyncio.to_thread(server)
                try:
                    await gw.wait_for(lambda: gw.logged_on, 15)
                    order = await gw.new_order(limit("buy", 1, "5000.00"))
                    assert order.state is OrderState.NEW
                finally:
                    await asyncio.to_thread(second.stop, 1.0)
        finally:
            first.stop()

    run(body())


def test_the_mass_status_answer_is_the_truth_about_working_orders(
    port: int, tmp_path: Path
) -> None:
    """A venue that comes back without its books (no state kept) lists no working orders: the
    order the gateway held as working is not left `new`, and what follows is not lost."""
    import asyncio

    from bot.exchange.acceptor import default_venue
    from tests.venue import TODAY, exchange_config

    def server() -> ExchangeServer:
        srv = ExchangeServer(exchange_config(port, tmp_path / "exch"), default_venue(TODAY))
        srv.start()
        return srv

    async def body() -> None:
        first = await asyncio.to_thread(server)
        async with connected(gateway_config(port, tmp_path / "gw")) as gw:
            working = await gw.new_order(limit("buy", 1, "4990.00"))
            assert working.state is OrderState.NEW
            await asyncio.to_thread(first.stop, 1.0)  # the venue forgets everything
            second = await asyncio.to_thread(server)
            try:
                await gw.wait_for(lambda: gw.logged_on, 20)
                rec = gw.reconciliation
                await gw.wait_for(lambda: rec.mass_status_done, 5)
                await gw.wait_for(lambda: working.is_terminal, 5)
                assert working.state is OrderState.CANCELED and working.status_unknown
                assert gw.stats.unknown_state >= 1
                kinds = []
                while not gw.updates.empty():
                    kinds.append(gw.updates.get_nowait())
                assert any(u.order is working and u.unknown for u in kinds)
                venue_trade(second, SELL, 1, 19_960)  # someone offers 4990.00
                assert second.wait_idle()
                bought = await gw.new_order(limit("buy", 1, "4990.00"))
                await gw.wait_for(lambda: bought.state is OrderState.FILLED, 5)
                assert len(bought.fills) == 1 and gw.stats.duplicates == 0
            finally:
                await asyncio.to_thread(second.stop, 1.0)

    run(body())
