"""The live process on a FIX 4.2 session (no AF, no AN) against the simulator, real FIX.

Killed with a position under its broker stop, the market is then swept through the stop while
the process is down (or a quote it left working closes the position first): fills the journal
never saw.  The restart asks each order the journal knows
(H), counts the fills the venue reports beyond the journal's, and flattens only what is left,
so the venue ends flat (flattening the journal's stale position would open a new one).
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from bot.exchange.orders import STOP, STOP_LIMIT
from tests.live.helpers import (
    journal_bodies,
    start_bot,
    start_exchange,
    venue_orders,
    venue_positions,
)
from tests.live.test_account_events import move_against_position

pytestmark = pytest.mark.timeout(180)
STOP_TYPES = (str(STOP), str(STOP_LIMIT))
FIX42 = {"FIX_BEGIN_STRING": "FIX.4.2"}


def test_fix42_restart_reconciles_by_status_requests(tmp_path: Path) -> None:
    server = start_exchange(tmp_path, events_per_s=200)
    try:
        port = server.cfg.port
        state = tmp_path / "state"
        bot = start_bot(state, port, "--synthetic", **FIX42)
        bot.wait(lambda: bot.journal_count("process.ready") >= 1, 30, "READY")
        assert "FIX.4.2:SIMEXCH->TOPSTEPQ" in server.stats.sessions

        def held_with_stop() -> bool:
            stops = [o for o in venue_orders(server) if o[1] in STOP_TYPES]
            return bool(venue_positions(server)) and bool(stops)

        bot.wait(held_with_stop, 60, "a position under a broker stop")
        bot.signal(signal.SIGKILL)
        bot.finish()
        # fills the journal never sees: the stop, swept through (if a quote of the dead
        # process has not already closed the position: a fill the journal misses too)
        if move_against_position(server, 40):
            assert not [o for o in venue_orders(server) if o[1] in STOP_TYPES], "stop filled"
        again = start_bot(state, port, "--synthetic", **FIX42)
        again.wait(lambda: again.journal_count("process.ready") >= 2, 40, "READY after restart")
        assert venue_positions(server) == {}, "the restart must leave the venue flat"
        assert venue_orders(server) == [] or again.journal_count("order.sent") > 0
        report = json.loads(journal_bodies(state, "reconcile.fix42")[-1])
        assert report["asked"], "the journal's orders must be asked one by one"
        assert "filled" in report["answers"].values()
        again.signal(signal.SIGTERM)
        rc, out, err = again.finish()
        assert rc == 0, err[-3000:]
        assert "flat at the venue: yes (the books" in out
        assert venue_positions(server) == {}
        assert venue_orders(server) == []
    finally:
        server.stop(logout_wait_s=1.0)
