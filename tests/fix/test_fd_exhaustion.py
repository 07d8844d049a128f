"""The gateway survives running out of file descriptors while it reconnects.

A QuickFIX initiator whose connect cannot create its socket (EMFILE) leaves the session pending
on an invalid socket and never tries again; the gateway replaces the initiator after repeated
failed logon windows.  The gateway runs in a child process with a low RLIMIT_NOFILE.
"""

from __future__ import annotations

from pathlib import Path

import quickfix as fix

from bot.exchange.acceptor import ExchangeServer
from tests.fdlimit import start_child

CHILD = """
import asyncio, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from tests.fdlimit import exhaust, limit_descriptors, release
limit_descriptors(256)
import uvloop
from fix.gateway import FixGateway
from tests.fix.conftest import gateway_config
from tests.venue import TODAY

async def main():
    cfg = gateway_config({port}, Path({state!r}), reconnect_s=1, reconnect_max_s=2)
    gw = FixGateway(cfg, business_day=lambda: TODAY)
    await gw.start()
    await gw.wait_logged_on(10)
    print("logged_on", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    held = exhaust([])
    print("exhausted", flush=True)
    await gw.wait_for(lambda: not gw.logged_on, 10)
    exhaust(held)  # the descriptor of the connection just closed
    await asyncio.sleep(4)  # reconnect attempts find no descriptor
    release(held)
    try:
        await gw.wait_for(lambda: gw.logged_on, 30)
        print("relogged", gw.stats.initiator_restarts, flush=True)
    except TimeoutError:
        print("stuck", flush=True)
    await gw.stop()

uvloop.run(main())
"""


def test_the_gateway_reconnects_after_running_out_of_descriptors(
    exchange: ExchangeServer, port: int, tmp_path: Path
) -> None:
    child = start_child(CHILD, tmp_path / "child.log", port=port, state=str(tmp_path / "gw"))
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "logged_on"
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "exhausted"

        def drop(srv: ExchangeServer) -> None:
            for owner in srv.logged_on:
                session = fix.Session.lookupSession(srv._sid(owner))
                if session is not None:
                    session.disconnect()

        exchange.control(drop)
        result = child.stdout.readline().split()
        assert result[:1] == ["relogged"], (tmp_path / "child.log").read_text()[-3000:]
        assert int(result[1]) >= 1
    finally:
        child.kill()
        child.wait(10)
