"""The live process as a subprocess against an in-process simulator (real FIX, free ports)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.exchange.acceptor import ExchangeServer, default_venue
from bot.exchange.faults import FaultPlan
from bot.exchange.flow import SyntheticFlow
from bot.live.adapter import LiveGateway
from fix.settings import FixSessionConfig
from tests.venue import TODAY, exchange_config, free_port

ACCOUNT = "SIM"
STARTED: list[subprocess.Popen[str]] = []  # killed after each test (conftest)


def start_exchange(tmp: Path, events_per_s: float = 150.0, seed: int = 5) -> ExchangeServer:
    venue = default_venue(TODAY)
    flow = SyntheticFlow(venue, ("MES",), seed, events_per_s, 1.0, time.monotonic())
    server = ExchangeServer(
        exchange_config(free_port(), tmp / "exch"),
        venue,
        flow,
        FaultPlan(),
        monitor_comp_id="MONITOR",
    )
    server.start()
    return server


def on_worker(server: ExchangeServer, fn: Callable[[ExchangeServer], Any]) -> Any:
    """Run `fn` on the simulator's worker thread (the venue's owner) and return its value."""
    box: list[Any] = []
    server.control(lambda s: box.append(fn(s)))
    assert server.wait_idle(5.0)
    return box[0]


def venue_positions(server: ExchangeServer) -> dict[str, int]:
    def read(s: ExchangeServer) -> dict[str, int]:
        return {p.symbol: p.net for p in s.venue.positions.open_positions(ACCOUNT)}

    return dict(on_worker(server, read))


def venue_orders(server: ExchangeServer) -> list[tuple[str, str]]:
    """(cl_ord_id, ord_type) of every working order of a FIX trader at the venue."""

    def read(s: ExchangeServer) -> list[tuple[str, str]]:
        return [(o.cl_ord_id, str(o.ord_type)) for o in s.venue.working_orders()]

    return list(on_worker(server, read))


def monitor_positions(port: int, state_dir: Path) -> dict[str, int]:
    """The venue's own position report (AN) over the read-only MONITOR session."""

    async def ask() -> dict[str, int]:
        cfg = FixSessionConfig(
            port=port, sender_comp_id="MONITOR", target_comp_id="SIMEXCH",
            state_dir=state_dir, reset_on_logon=True,
        )  # fmt: skip
        gw = LiveGateway(cfg, account=ACCOUNT)
        await gw.start()
        try:
            await gw.wait_logged_on(10)
            await gw.wait_for(lambda: gw.reconciliation.positions_done, 10)
            return gw.venue_positions()
        finally:
            await gw.stop()

    return asyncio.run(ask())


@dataclass
class Bot:
    proc: subprocess.Popen[str]
    state_dir: Path
    metrics_port: int
    output: tuple[Path, Path] | None = None  # stdout, stderr files (a pipe nobody reads fills)

    def communicate(self) -> tuple[str, str]:
        out, err = self.proc.communicate()
        if self.output is not None:
            return self.output[0].read_text(), self.output[1].read_text()
        return out or "", err or ""

    def journal_count(self, kind: str) -> int:
        path = self.state_dir / "journal.sqlite"
        if not path.exists():
            return 0
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2) as db:
                row = db.execute("SELECT COUNT(*) FROM events WHERE kind = ?", (kind,)).fetchone()
        except sqlite3.Error:
            return 0
        return int(row[0])

    def wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                out, err = self.communicate()
                raise AssertionError(f"bot exited {self.proc.returncode} waiting for {what}: "
                                     f"{out[-2000:]} {err[-3000:]}")  # fmt: skip
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def finish(self, timeout: float = 40.0) -> tuple[int, str, str]:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _out, err = self.communicate()
            raise AssertionError(f"bot did not exit: {err[-3000:]}") from None
        out, err = self.communicate()
        return self.proc.returncode, out, err


def bot_env(state_dir: Path, port: int, metrics_port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIX_", "BOT_", "METRICS"))}
    env.update(
        BOT_MODE="sim",
        STATE_DIR=str(state_dir),
        FIX_PORT=str(port),
        METRICS_PORT=str(metrics_port),
        FIX_RECONNECT_S="1",
        SHUTDOWN_TIMEOUT_S="15",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def start_bot(state_dir: Path, port: int, *args: str, **env: str) -> Bot:
    metrics_port = free_port()
    n = len(list(state_dir.parent.glob("bot-*.out"))) if state_dir.parent.is_dir() else 0
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    output = (state_dir.parent / f"bot-{n}.out", state_dir.parent / f"bot-{n}.err")
    with output[0].open("w") as out, output[1].open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--sleeve", "mm", *args],
            env=bot_env(state_dir, port, metrics_port, **env),
            stdout=out,
            stderr=err,
            text=True,
        )
    STARTED.append(proc)
    return Bot(proc, state_dir, metrics_port, output)


def stop_signal() -> int:
    return int(signal.SIGTERM)


def journal_bodies(state_dir: Path, kind: str) -> list[str]:
    path = state_dir / "journal.sqlite"
    if not path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2) as db:
            rows = db.execute("SELECT body FROM events WHERE kind = ? ORDER BY id", (kind,))
            return [str(r[0]) for r in rows.fetchall()]
    except sqlite3.Error:
        return []


def run_cli(state_dir: Path, port: int, *args: str, timeout: float = 60) -> Any:
    env = bot_env(state_dir, port, 0)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, check=False,
        timeout=timeout,
    )  # fmt: skip
