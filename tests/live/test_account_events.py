"""Account events of the live process as a subprocess against the simulator over real FIX: the
DLL safety line crossed live (flatten, HALTED_DAY, no new entry).

The adverse move is deterministic: on the simulator's worker thread, at a moment the venue holds
a position for the bot's account, the market is swept through it (`ExchangeServer.move_market`),
so the loss is the move, not the luck of the synthetic flow.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.exchange.acceptor import ExchangeServer
from tests.live.helpers import (
    ACCOUNT,
    monitor_positions,
    on_worker,
    start_bot,
    start_exchange,
    venue_orders,
    venue_positions,
)

pytestmark = pytest.mark.timeout(180)
MOVE_TICKS = 100  # $125 a micro: past the $100 safety line below whatever the bot holds
ENTRY_PURPOSES = ("entry", "quote")
DAY1, DAY2 = "2026-11-24", "2026-11-25"  # regular trading days (Tuesday, Wednesday)


def move_against_position(server: ExchangeServer, ticks: int) -> int:
    """If the venue holds a position for the bot's account, sweep the market `ticks` against
    it in the same worker step (the position cannot change in between); its net, else 0."""

    def act(s: ExchangeServer) -> int:
        for position in s.venue.positions.open_positions(ACCOUNT):
            if position.net:
                s.move_market(position.symbol, -ticks if position.net > 0 else ticks)
                return position.net
        return 0

    return int(on_worker(server, act))


def journal_rows(state: Path, kind: str) -> list[tuple[int, dict[str, object]]]:
    with sqlite3.connect(f"file:{state / 'journal.sqlite'}?mode=ro", uri=True, timeout=2) as db:
        rows = db.execute("SELECT id, body FROM events WHERE kind = ? ORDER BY id", (kind,))
        return [(int(i), json.loads(b)) for i, b in rows.fetchall()]


def halted_at(state: Path) -> int | None:
    """The journal id of the transition to HALTED_DAY, if there was one."""
    for row_id, body in journal_rows(state, "risk"):
        if body.get("event") == "risk.transition" and body.get("to_state") == "HALTED_DAY":
            return row_id
    return None


def status_json(state: Path) -> dict[str, object]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIX_", "BOT_"))}
    env["STATE_DIR"] = str(state)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "status", "--json"], env=env, check=False,
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def status_of(state: Path, pid: int) -> dict[str, object]:
    """`status --json` once the process `pid` has written its own status (every second)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = status_json(state)
        if status.get("pid") == pid and status.get("process") == "running":
            return status
        time.sleep(0.5)
    raise AssertionError(f"no status from process {pid}")


def risk_snapshot(state: Path) -> dict[str, object]:
    with sqlite3.connect(f"file:{state / 'journal.sqlite'}?mode=ro", uri=True, timeout=2) as db:
        row = db.execute("SELECT body FROM state WHERE key = 'risk'").fetchone()
    return dict(json.loads(row[0]))


def entries_after(state: Path, row_id: int) -> list[dict[str, object]]:
    return [
        body for i, body in journal_rows(state, "order.submit")
        if i > row_id and body.get("purpose") in ENTRY_PURPOSES
    ]  # fmt: skip


def last_id(state: Path, kind: str) -> int:
    rows = journal_rows(state, kind)
    return rows[-1][0] if rows else 0


def test_dll_safety_line_halts_the_day_and_the_next_day_starts_from_its_end(
    tmp_path: Path,
) -> None:
    """Day 1: the market swept through the bot's position crosses the DLL safety line -> flat
    at the venue, HALTED_DAY, no entry after.  A restart the same day keeps the day's P&L and
    the halt.  A restart on the next market day (the 17:00 CT change missed while the process
    was down) applies day 1's end to the account once, then trades a fresh day."""
    server = start_exchange(tmp_path, events_per_s=200)
    try:
        port = server.cfg.port
        state = tmp_path / "state"
        limits = {"DAILY_LOSS_LIMIT": "300", "DLL_SAFETY_THRESHOLD": "100"}
        bot = start_bot(state, port, "--synthetic", "--market-day", DAY1, **limits)
        bot.wait(lambda: bot.journal_count("process.ready") >= 1, 30, "READY")
        moved: list[int] = []

        def sweep_once_held() -> bool:
            if not any(moved):  # one sweep through a held position, then wait
                moved.append(move_against_position(server, MOVE_TICKS))
            return halted_at(state) is not None

        bot.wait(sweep_once_held, 90, "a position swept through and the day halted")
        # flattened: the venue's own report (monitor session) and its books
        bot.wait(lambda: venue_positions(server) == {} and venue_orders(server) == [], 20,
                 "flat with nothing working after the halt")  # fmt: skip
        assert monitor_positions(port, tmp_path / "mon") == {}
        halt_id = halted_at(state)
        assert halt_id is not None
        time.sleep(4.0)  # the market keeps moving: no new entry may follow the halt
        assert entries_after(state, halt_id) == []
        assert venue_positions(server) == {}
        status = status_of(state, bot.proc.pid)
        assert status["running"] is True
        assert status["risk_state"] == "HALTED_DAY"
        assert int(str(status["day_net_cents"])) <= -10_000
        bot.signal(signal.SIGTERM)
        rc, out, err = bot.finish()
        assert rc == 0, err[-3000:]
        assert "flat at the venue: yes" in out
        day1 = risk_snapshot(state)["day"]
        assert isinstance(day1, dict) and day1["day"] == DAY1
        net1 = int(day1["realized_cents"]) - int(day1["fees_cents"])
        assert net1 <= -10_000

        # the same day again: the day's P&L and its halt are kept, the account untouched
        again = start_bot(state, port, "--synthetic", "--market-day", DAY1,
                          "--market-time", "09:30", **limits)  # fmt: skip
        again.wait(lambda: again.journal_count("process.ready") >= 2, 30, "READY (same day)")
        ready2 = last_id(state, "process.ready")
        time.sleep(3.0)
        status = status_of(state, again.proc.pid)
        assert status["risk_state"] == "HALTED_DAY"
        assert status["day_net_cents"] == net1
        assert status["balance_cents"] == 0, "a stop mid-day must not close the day"
        assert entries_after(state, ready2) == []
        again.signal(signal.SIGTERM)
        assert again.finish()[0] == 0
        assert journal_rows(state, "day.closed") == []

        # the next market day: day 1's end applied once (balance, floor, winning days, tier)
        third = start_bot(state, port, "--synthetic", "--market-day", DAY2, **limits)
        third.wait(lambda: third.journal_count("process.ready") >= 3, 30, "READY (next day)")
        closed = journal_rows(state, "day.closed")
        assert [body["day"] for _, body in closed] == [DAY1]
        assert closed[0][1]["net_cents"] == net1
        ready3 = last_id(state, "process.ready")
        third.wait(lambda: entries_after(state, ready3) != [], 30, "an entry on the new day")
        status = status_of(state, third.proc.pid)
        assert status["balance_cents"] == net1
        assert status["floor_cents"] == -200_000  # a losing day does not trail the floor
        assert status["winning_days"] == 0
        assert status["risk_state"] in ("ACTIVE", "REDUCING")
        third.signal(signal.SIGTERM)
        rc, out, err = third.finish()
        assert rc == 0, err[-3000:]
        assert "risk.day_started" in err
        assert venue_positions(server) == {}
    finally:
        server.stop(logout_wait_s=1.0)


def test_the_shutdown_flatten_outside_the_kernel_counts_in_the_day(tmp_path: Path) -> None:
    """The kernel's own flatten is refused by the venue (its reject fault), so the shutdown
    flattens the venue's position directly: those fills are the day's too (P&L, fees) and the
    books end flat."""
    server = start_exchange(tmp_path, events_per_s=100)
    try:
        state = tmp_path / "state"
        bot = start_bot(state, server.cfg.port, "--synthetic", SHUTDOWN_TIMEOUT_S="8",
                        LOG_LEVEL="WARNING")  # fmt: skip
        # (the refused flatten is retried at once after every rejection: thousands of lines)
        bot.wait(lambda: bot.journal_count("process.ready") >= 1, 30, "READY")

        def refuse_new_orders_while_held(s: ExchangeServer) -> bool:
            if any(p.net for p in s.venue.positions.open_positions(ACCOUNT)):
                s.faults.reject_next = 1_000_000
                return True
            return False

        bot.wait(lambda: bool(on_worker(server, refuse_new_orders_while_held)), 60,
                 "a position, then every new order refused")  # fmt: skip
        bot.signal(signal.SIGTERM)

        # the kernel's flatten is refused until it gives up waiting and the venue is asked
        bot.wait(lambda: bot.journal_count("shutdown.venue_check") >= 1, 30,
                 "the shutdown asking the venue")  # fmt: skip
        server.control(lambda s: setattr(s.faults, "reject_next", 0))
        check = journal_rows(state, "shutdown.venue_check")[-1][1]
        assert check["books_flat"] is False, "the kernel's own flatten must have failed"
        rc, out, err = bot.finish()
        assert rc == 0, err[-3000:]
        assert "flat at the venue: yes" in out
        assert venue_positions(server) == {} and venue_orders(server) == []
        counted = journal_rows(state, "flatten.counted")
        assert counted and int(str(counted[-1][1]["fills"])) >= 1, out
        assert "shutdown flatten outside the sleeves" in out
        snapshot = risk_snapshot(state)
        assert snapshot["positions"] == {}, "the books must end flat like the venue"
        filled = sum(int(b["fill"]["qty"]) for _, b in journal_rows(state, "fill"))  # type: ignore[index]
        day = snapshot["day"]
        assert isinstance(day, dict)
        assert day["fees_cents"] == 37 * filled, "every fill, the direct flatten's too, pays"
    finally:
        server.stop(logout_wait_s=1.0)
