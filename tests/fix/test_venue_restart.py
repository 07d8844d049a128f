"""The simulator killed with SIGKILL and restarted on the same state directory and port while
the gateway is connected with a working order and a position: the venue's books survive, its
identifiers do not repeat, and the gateway neither drops nor invents anything."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from fix.orders import OrderRequest, OrderState
from tests.fix.conftest import connected, gateway_config, run

D = Decimal
ROOT = Path(__file__).resolve().parents[2]


def start_simulator(port: int, state_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "exchange", "--port", str(port), "--no-market",
             "--state-dir", str(state_dir)],
            stdout=out, stderr=out, env=env, cwd=state_dir.parent,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("simulator did not start: " + log.read_text()[-3000:])


def order(side: str, qty: int, price: str, account: str) -> OrderRequest:
    return OrderRequest("MES", side, qty, "limit", D(price), account=account)  # type: ignore[arg-type]


def test_kill_9_and_restart_keeps_orders_positions_and_every_report(
    port: int, tmp_path: Path
) -> None:
    state = tmp_path / "sim"
    state.mkdir()
    log = tmp_path / "sim.log"
    procs = [start_simulator(port, state, log)]

    async def body() -> None:
        async with connected(gateway_config(port, tmp_path / "gw")) as gw:
            offer = await gw.new_order(order("sell", 2, "5000.00", "OTHER"))
            bought = await gw.new_order(order("buy", 2, "5000.00", "SIM"))
            await gw.wait_for(lambda: bought.state is OrderState.FILLED, 5)
            working = await gw.new_order(order("buy", 1, "4990.00", "SIM"))
            assert offer.state is OrderState.FILLED and working.state is OrderState.NEW

            procs[0].send_signal(signal.SIGKILL)
            await asyncio.to_thread(procs[0].wait, 10)
            await gw.wait_for(lambda: not gw.logged_on, 10)
            procs.append(await asyncio.to_thread(start_simulator, port, state, log))

            await gw.wait_for(lambda: gw.logged_on, 30)
            rec = gw.reconciliation
            await gw.wait_for(lambda: rec.mass_status_done and rec.positions_done, 10)
            assert [f.get(11) for f in rec.working] == [working.cl_ord_id]
            assert [(p.account, p.symbol, p.long_qty, p.short_qty) for p in rec.positions] == [
                ("SIM", "MES", 2, 0)
            ]
            assert working.state is OrderState.NEW and not working.status_unknown

            seller = await gw.new_order(order("sell", 1, "4990.00", "OTHER"))
            await gw.wait_for(
                lambda: seller.state is OrderState.FILLED and working.state is OrderState.FILLED,
                10,
            )
            assert [f.qty for f in working.fills] == [1] and [f.qty for f in seller.fills] == [1]
            exec_ids = [f.exec_id for f in gw.tracker.fill_log]
            assert len(exec_ids) == len(set(exec_ids)) == 4  # unique across the restart
            assert gw.stats.duplicates == 0 and gw.stats.unknown_state == 0
            await gw.wait_for(lambda: gw.reconciliation.positions_done, 5)

    try:
        run(body(), timeout=120)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
