"""`bench tick-to-trade`: market data sent by the simulator -> the order it causes received by
the simulator, for the whole bot, next to a bare QuickFIX echo round trip, in one run.

The simulator runs in this process with an empty market and a seeded book; the bot is
`topstep-quant run --sleeve mm` in its own process (as in production), on a market clock at
100x so the execution engine's per-instrument message cap (20 per market second) never holds a
reaction back.  Each tick toggles a large resting bid at the touch: the market maker's imbalance
rule then pulls or restores its ask, one FIX message per tick.  A sample is the time from just
before the simulator publishes the tick's market data to the bot's first order message after it
(timestamped in QuickFIX's callback, before any queueing).  The echo is `fix.rtt`'s bare QuickFIX
initiator against a bare echo acceptor: NewOrderSingle sent -> answer received.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess  # nosec B404
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bot.exchange.acceptor import ExchangeApp, ExchangeServer, default_venue
from bot.exchange.orders import BUY, LIMIT, SELL, SimOrder
from bot.live.clock import FALLBACK_DAY
from fix.rtt import _bare, _free_port, _process, _summary
from fix.settings import FixSessionConfig

TICK_GAP_S = 0.02
BIG = 400


class _TimedApp(ExchangeApp):
    """The simulator's QuickFIX side, timestamping every order message from the bot."""

    def __init__(self, inbox: Any) -> None:
        super().__init__(inbox)
        self.arrivals: list[int] = []
        self.lock = threading.Lock()

    def on_from_app(self, raw: str, session: str) -> None:
        now = time.perf_counter_ns()
        if "\x0135=D\x01" in raw or "\x0135=F\x01" in raw or "\x0135=G\x01" in raw:
            with self.lock:
                self.arrivals.append(now)
        super().on_from_app(raw, session)


def _profile(root: Path) -> list[str]:
    """`BENCH_PROFILE=FILE`: run the bot under cProfile, the stats written to FILE."""
    target = os.environ.get("BENCH_PROFILE")
    return ["-m", "cProfile", "-o", target] if target else []


def _ready(state: Path) -> bool:
    path = state / "journal.sqlite"
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            row = db.execute("SELECT COUNT(*) FROM events WHERE kind='process.ready'").fetchone()
    except sqlite3.Error:
        return False
    return bool(row and row[0])


def _internal(state: Path, warmup: int) -> dict[str, float]:
    """The bot's own share, as it journalled it at shutdown: QuickFIX handing it the market
    data (its engine thread's callback) -> its first order message handed back to QuickFIX
    (`sendToTarget` returned); the warm-up's samples dropped."""
    with sqlite3.connect(f"file:{state / 'journal.sqlite'}?mode=ro", uri=True) as db:
        row = db.execute(
            "SELECT body FROM events WHERE kind='latency.tick_to_trade' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    samples = json.loads(row[0])["ns"] if row else []
    return _summary(samples[warmup:]) if len(samples) > warmup else {}


def _bot_samples(root: Path, n: int, warmup: int) -> dict[str, Any]:
    venue = default_venue(FALLBACK_DAY)
    port = _free_port()
    cfg = FixSessionConfig(
        port=port, sender_comp_id="SIMEXCH", target_comp_id="TOPSTEPQ", state_dir=root / "sim"
    )
    server = ExchangeServer(cfg, venue)
    app = _TimedApp(server.inbox)
    server.app = app
    key = venue.contract("MES")
    mid = 20_000
    big: list[SimOrder] = []

    def seed(s: ExchangeServer) -> None:
        for level in range(4):
            for side, price in ((BUY, mid - level), (SELL, mid + 1 + level)):
                s.venue.submit_anonymous(
                    key, SimOrder(s.venue.new_order_id(), side, LIMIT, 20, price)
                )

    def toggle(s: ExchangeServer) -> None:
        engine = s.venue.engine(key)
        if big:
            engine.cancel(big.pop(), "bench")
        else:
            order = SimOrder(s.venue.new_order_id(), BUY, LIMIT, BIG, mid)
            s.venue.submit_anonymous(key, order)
            big.append(order)
        ticks.append(time.perf_counter_ns())  # just before the simulator publishes it

    ticks: list[int] = []
    server.start()
    state = root / "bot"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIX_", "BOT_"))}
    env.update(STATE_DIR=str(state), FIX_PORT=str(port), METRICS_PORT="0", LOG_LEVEL="WARNING",
               BOT_MODE="sim")  # fmt: skip
    proc = subprocess.Popen(  # nosec B603
        [sys.executable, *_profile(root), "-m", "bot", "run", "--sleeve", "mm", "--speed", "100",
         "--market-day", FALLBACK_DAY.isoformat(), "--market-time", "08:30"],
        env=env, stdout=subprocess.DEVNULL, stderr=(root / "bot.log").open("wb"),
    )  # fmt: skip
    try:
        server.control(seed)
        deadline = time.monotonic() + 60
        while not _ready(state):
            if time.monotonic() > deadline or proc.poll() is not None:
                tail = (root / "bot.log").read_text(errors="replace")[-500:]
                raise RuntimeError(f"the bot did not start for the benchmark: {tail}")
            time.sleep(0.1)
        time.sleep(1.0)
        for _ in range(n + warmup):
            server.control(toggle)
            time.sleep(TICK_GAP_S)
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        server.stop(logout_wait_s=1.0)
    with app.lock:
        arrivals = sorted(app.arrivals)
    samples: list[int] = []
    missed = 0
    j = 0
    for i, t0 in enumerate(ticks):
        t_next = ticks[i + 1] if i + 1 < len(ticks) else t0 + int(TICK_GAP_S * 1e9)
        while j < len(arrivals) and arrivals[j] < t0:
            j += 1
        if j < len(arrivals) and arrivals[j] < t_next:
            if i >= warmup:
                samples.append(arrivals[j] - t0)
        elif i >= warmup:
            missed += 1
    if not samples:
        raise RuntimeError("the bot reacted to no tick")
    result: dict[str, Any] = {**_summary(samples), "ticks": len(ticks) - warmup}
    result["no_reaction"] = missed
    result["inside_the_bot"] = _internal(state, warmup)
    return result


def run_tick_to_trade_bench(n: int = 2_000, warmup: int = 200) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "tick-to-trade", "samples_wanted": n}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port = _free_port()
        with _process(["-m", "fix.echo", str(port), str(root / "echo")], port):
            echo = _summary(_bare(port, root / "bare", n, warmup))
        bot = _bot_samples(root, n, warmup)
    result["bare_quickfix_echo"] = echo
    result["bot_tick_to_trade"] = bot
    result["ratio_p50"] = round(bot["p50_us"] / echo["p50_us"], 2)
    result["ratio_p99"] = round(bot["p99_us"] / echo["p99_us"], 2)
    result["target"] = "p50 <= 1.5x, p99 <= 2x the echo"
    return result
