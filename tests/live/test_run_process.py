"""`topstep-quant run` as a subprocess against the simulator over real FIX.

The simulator runs in this test process (a free port), so the venue's own books outlive the bot:
flatness is checked from the venue's position report (AN over the read-only MONITOR session) and
its state, never from what the bot says.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.exchange.acceptor import ExchangeServer
from bot.exchange.orders import STOP, STOP_LIMIT
from tests.live.helpers import (
    journal_bodies,
    monitor_positions,
    run_cli,
    start_bot,
    start_exchange,
    venue_orders,
    venue_positions,
)

STOP_TYPES = (str(STOP), str(STOP_LIMIT))
pytestmark = pytest.mark.timeout(150)


def _has_position_and_stop(server: object) -> bool:
    positions = venue_positions(server)  # type: ignore[arg-type]
    stops = [o for o in venue_orders(server) if o[1] in STOP_TYPES]  # type: ignore[arg-type]
    return bool(positions) and bool(stops)


def _killed_with_a_stop(server: ExchangeServer, state: Path) -> None:
    """A bot that opened a position under a broker stop, then killed with SIGKILL."""
    bot = start_bot(state, server.cfg.port, "--synthetic")
    bot.wait(lambda: bot.journal_count("process.ready") >= 1, 30, "READY")
    bot.wait(lambda: _has_position_and_stop(server), 60, "a position under a broker stop")
    bot.signal(signal.SIGKILL)
    bot.finish()
    held = venue_positions(server)
    stops = [o for o in venue_orders(server) if o[1] in STOP_TYPES]
    assert held and stops, "kill -9 must leave the broker stop in place"


def test_sigterm_flattens_and_exits_zero(tmp_path: Path) -> None:
    server = start_exchange(tmp_path)
    try:
        port = server.cfg.port
        bot = start_bot(tmp_path / "state", port, "--synthetic")
        bot.wait(lambda: bot.journal_count("process.ready") >= 1, 30, "READY")
        bot.wait(lambda: bot.journal_count("fill") >= 1, 40, "a fill")
        scraped: list[str] = []

        def scrape() -> bool:
            url = f"http://127.0.0.1:{bot.metrics_port}/metrics"
            text = urllib.request.urlopen(url, timeout=5).read().decode()
            scraped.append(text)
            return "topstep_heartbeat_timestamp_seconds 0.0" not in text

        bot.wait(scrape, 10, "metrics after a health check")
        body = scraped[-1]
        for name in (
            "topstep_daily_pnl_usd", "topstep_risk_state{state=\"ACTIVE\"} 1.0",
            "topstep_orders_total{result=\"sent\"}", "topstep_fix_session_up 1.0",
            "topstep_tick_to_trade_seconds_bucket", "topstep_dll_buffer_usd",
            "topstep_heartbeat_timestamp_seconds", "topstep_fills_total",
            "topstep_trading_hours 1.0",  # the market clock starts at 08:30 CT: open
        ):  # fmt: skip
            assert name in body, name
        # SIGTERM with a position open (and its broker stop working)
        bot.wait(lambda: _has_position_and_stop(server), 60, "a position under a broker stop")
        bot.signal(signal.SIGTERM)
        rc, out, err = bot.finish()
        assert rc == 0, err[-3000:]
        assert "flat at the venue: yes" in out
        assert "Traceback" not in err
        assert venue_positions(server) == {}
        assert venue_orders(server) == []
        assert monitor_positions(port, tmp_path / "mon") == {}
        status = subprocess.run(
            [sys.executable, "-m", "bot", "status", "--json"], check=False,
            env={**bot_env_for_status(tmp_path / "state")},
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert status.returncode == 0, status.stderr
        data = json.loads(status.stdout)
        assert data["running"] is False
        assert data["positions"] == {}
        assert data["process"] == "stopped"
        # a clean stop's blocks (its shutdown) do not outlive it: the next run trades
        again = start_bot(tmp_path / "state", port, "--synthetic")
        before = again.journal_count("order.sent")
        again.wait(lambda: again.journal_count("order.sent") > before, 30, "an order after restart")
        again.signal(signal.SIGTERM)
        assert again.finish()[0] == 0
    finally:
        server.stop(logout_wait_s=1.0)


def bot_env_for_status(state_dir: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIX_", "BOT_"))}
    env["STATE_DIR"] = str(state_dir)
    return env


def test_kill9_keeps_the_stop_and_a_restart_reconciles(tmp_path: Path) -> None:
    server = start_exchange(tmp_path, events_per_s=200)
    try:
        port = server.cfg.port
        state = tmp_path / "state"
        _killed_with_a_stop(server, state)
        # restart: reconciled before any new order, the day resumed (not restarted)
        again = start_bot(state, port, "--synthetic")
        again.wait(lambda: again.journal_count("process.ready") >= 2, 40, "READY again")
        assert again.journal_count("reconcile.report") == 2
        assert again.journal_count("flatten.order") >= 1
        again.signal(signal.SIGTERM)
        rc, out, err = again.finish()
        assert rc == 0, err[-3000:]
        assert "risk.day_resumed" in err
        assert "reconciled at start: flattened" in out
        assert venue_positions(server) == {}
        assert venue_orders(server) == []
    finally:
        server.stop(logout_wait_s=1.0)


def test_cutoff_flattens(tmp_path: Path) -> None:
    server = start_exchange(tmp_path, events_per_s=200)
    try:
        bot = start_bot(tmp_path / "state", server.cfg.port, "--synthetic",
                        "--market-time", "14:59:53")  # fmt: skip
        bot.wait(lambda: bot.journal_count("process.ready") >= 1, 30, "READY")
        bot.wait(lambda: bot.journal_count("order.submit") >= 1, 20, "an order")
        # the 15:00 CT cutoff arrives 7 s after the start: flat required, then flat
        bot.wait(
            lambda: bot.journal_count("order.submit") >= 1
            and _cutoff_passed(bot.state_dir)
            and venue_positions(server) == {}
            and not [o for o in venue_orders(server)],
            40,
            "flat after the cutoff",
        )
        bot.signal(signal.SIGINT)
        rc, _out, err = bot.finish()
        assert rc == 0, err[-3000:]
    finally:
        server.stop(logout_wait_s=1.0)


def _cutoff_passed(state_dir: Path) -> bool:
    import sqlite3

    with sqlite3.connect(f"file:{state_dir / 'journal.sqlite'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT body FROM state WHERE key = 'status'").fetchall()
    if not rows:
        return False
    status = json.loads(rows[0][0])
    return str(status.get("market_time", "")) >= "" and _chicago(status) >= "15:00"


def _chicago(status: dict[str, object]) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    text = str(status.get("market_time") or "")
    if not text:
        return ""
    return datetime.fromisoformat(text).astimezone(ZoneInfo("America/Chicago")).strftime("%H:%M")


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "TOPSTEP_API_USER"),
        ({"TOPSTEP_API_USER": "u", "TOPSTEP_API_PASS": "p"}, "FIX_HOST"),
        ({"TOPSTEP_API_USER": "u", "TOPSTEP_API_PASS": "p", "FIX_HOST": "broker.example"},
         "LIVE_CONFIRM"),
    ],
)  # fmt: skip
def test_live_refuses_without_credentials(env: dict[str, str], needle: str) -> None:
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith(("FIX_", "TOPSTEP_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"], check=False,
        env={**base, "BOT_MODE": "live", **env},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr


def test_flatten_command_after_kill9(tmp_path: Path) -> None:
    server = start_exchange(tmp_path, events_per_s=200)
    try:
        port = server.cfg.port
        state = tmp_path / "state"
        _killed_with_a_stop(server, state)
        done = run_cli(state, port, "flatten")
        assert done.returncode == 0, done.stderr[-3000:]
        assert "flat at the venue: yes" in done.stdout
        assert venue_positions(server) == {}
        assert venue_orders(server) == []
    finally:
        server.stop(logout_wait_s=1.0)


def test_dry_run_sends_nothing(tmp_path: Path) -> None:
    server = start_exchange(tmp_path, events_per_s=200)
    try:
        state = tmp_path / "state"
        bot = start_bot(state, server.cfg.port, "--duration", "6", BOT_MODE="dry-run")
        rc, _out, err = bot.finish()
        assert rc == 0, err[-3000:]
        assert bot.journal_count("dryrun.SubmitOrder") >= 1
        assert bot.journal_count("order.sent") == 0
        assert venue_orders(server) == []
        assert venue_positions(server) == {}
    finally:
        server.stop(logout_wait_s=1.0)


def test_disconnect_reconnects_without_lost_or_doubled_fills(tmp_path: Path) -> None:
    server = start_exchange(tmp_path, events_per_s=200)
    try:
        state = tmp_path / "state"
        bot = start_bot(state, server.cfg.port, "--synthetic")
        bot.wait(lambda: bot.journal_count("fill") >= 1, 40, "a fill")
        fills_before = bot.journal_count("fill")
        # the simulator drops the connection after its next 3 messages (its fault flag)
        server.control(lambda s: setattr(s.faults, "disconnect_after", 3))
        cut: list[bool] = []

        def fired() -> bool:  # the fault has dropped the connection (its flag is spent)
            server.control(lambda s: cut.append(s.faults.disconnect_after is None))
            server.wait_idle()
            return bool(cut) and cut[-1]

        bot.wait(fired, 60, "the cut")
        fills_before = bot.journal_count("fill")  # a fill among the 3 messages is not "after"
        bot.wait(lambda: bot.journal_count("fill") > fills_before, 60, "fills after the cut")
        bot.signal(signal.SIGTERM)
        rc, out, err = bot.finish()
        assert rc == 0, err[-3000:]
        assert err.count('"fix_logon"') >= 2, "the session must have been re-established"
        exec_ids = [json.loads(b)["fill"]["exec_id"] for b in journal_bodies(state, "fill")]
        assert len(exec_ids) == len(set(exec_ids)), "a fill was applied twice"
        assert "flat at the venue: yes" in out
        assert venue_positions(server) == {}
        assert venue_orders(server) == []
    finally:
        server.stop(logout_wait_s=1.0)
