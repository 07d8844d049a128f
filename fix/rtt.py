"""`bench fix-rtt`: loopback round trip, NewOrderSingle sent to its New received, in µs.

Three numbers from one run, each counterparty in its own process:
* `bare_quickfix`: a plain QuickFIX initiator (no asyncio) against a bare echo acceptor;
* `gateway_vs_echo`: the bot's asyncio gateway (uvloop, thread bridge) against the same echo;
* `gateway_vs_simulator`: the gateway against the exchange simulator (validation, matching);
* `gateway_poll_*`: the alternative drive, `Initiator.poll()` called from the loop: always
  spinning, or adaptive (spin 50 ms after activity, else every millisecond).
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess  # nosec B404
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

import quickfix as fix
import uvloop

from fix.app import SafeApplication
from fix.gateway import FixGateway
from fix.messages import new_order_single
from fix.orders import OrderRequest
from fix.settings import FixSessionConfig, ensure_dirs, initiator_settings_text, session_settings
from fix.wire import FixFields


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


@contextmanager
def _process(args: list[str], port: int) -> Iterator[None]:
    env = dict(os.environ)
    proc = subprocess.Popen(  # nosec B603
        [sys.executable, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    try:
        _wait_port(port)
        time.sleep(0.2)
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _summary(samples_ns: list[int]) -> dict[str, float]:
    us = sorted(s / 1000 for s in samples_ns)
    return {
        "p50_us": round(statistics.median(us), 1),
        "p99_us": round(us[min(len(us) - 1, int(len(us) * 0.99))], 1),
        "mean_us": round(statistics.fmean(us), 1),
        "samples": len(us),
    }


class _BareApp(SafeApplication):
    def __init__(self) -> None:
        super().__init__()
        self.logged_on = threading.Event()
        self.answered = threading.Event()

    def on_logon(self, session: str) -> None:
        self.logged_on.set()

    def on_from_app(self, raw: str, session: str) -> None:
        if FixFields.parse(raw).msg_type == "8":
            self.answered.set()


def _bare(port: int, state: Path, n: int, warmup: int) -> list[int]:
    cfg = FixSessionConfig(port=port, state_dir=state, reset_on_logon=True)
    ensure_dirs(cfg)
    settings = session_settings(initiator_settings_text(cfg))
    app = _BareApp()
    initiator = fix.SocketInitiator(app, fix.MemoryStoreFactory(), settings)
    initiator.start()
    sid = fix.SessionID(cfg.begin_string, cfg.sender_comp_id, cfg.target_comp_id)
    samples: list[int] = []
    try:
        if not app.logged_on.wait(10):
            raise RuntimeError("bare initiator did not log on")
        req = OrderRequest("MES", "buy", 1, "limit", Decimal("1000.00"))
        for i in range(n + warmup):
            app.answered.clear()
            msg = new_order_single(f"B{i}", req, "SIM", False)
            t0 = time.perf_counter_ns()
            fix.Session.sendToTarget(msg, sid)
            if not app.answered.wait(5):
                raise RuntimeError("no answer from the echo acceptor")
            if i >= warmup:
                samples.append(time.perf_counter_ns() - t0)
    finally:
        session = fix.Session.lookupSession(sid)
        if session is not None:
            session.logout()
        time.sleep(0.2)
        initiator.stop(True)
        del initiator
    return samples


async def _gateway(
    port: int, state: Path, n: int, warmup: int, drive: str = "thread", interval: float = 0.0
) -> list[int]:
    cfg = FixSessionConfig(port=port, state_dir=state, reset_on_logon=True)
    gw = FixGateway(cfg, drive="poll" if drive == "poll" else "thread", poll_interval_s=interval)
    await gw.start()
    samples: list[int] = []
    try:
        await gw.wait_logged_on(10)
        req = OrderRequest("MES", "buy", 1, "limit", Decimal("1000.00"))
        for i in range(n + warmup):
            t0 = time.perf_counter_ns()
            await gw.new_order(req)
            if i >= warmup:
                samples.append(time.perf_counter_ns() - t0)
    finally:
        await gw.stop()
    return samples


def _timed(fn: Any) -> dict[str, float]:
    """Latency summary plus this process's CPU use (cores) while it ran."""
    wall, cpu = time.perf_counter(), time.process_time()
    summary: dict[str, float] = _summary(fn())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    summary["client_cpu_cores"] = round(cpu / wall, 2)
    return summary


def run_rtt_bench(n: int = 2_000, warmup: int = 200) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "fix-rtt", "orders": n, "loop": "uvloop"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port = _free_port()
        with _process(["-m", "fix.echo", str(port), str(root / "echo")], port):
            result["bare_quickfix"] = _timed(lambda: _bare(port, root / "bare", n, warmup))
            result["gateway_vs_echo"] = _timed(
                lambda: uvloop.run(_gateway(port, root / "gw1", n, warmup))
            )
            result["gateway_poll_busy_vs_echo"] = _timed(
                lambda: uvloop.run(_gateway(port, root / "gw3", n, warmup, "poll", 0.0))
            )
            result["gateway_poll_adaptive_vs_echo"] = _timed(
                lambda: uvloop.run(_gateway(port, root / "gw4", n, warmup, "poll", 0.001))
            )
        port = _free_port()
        sim = ["-m", "bot", "exchange", "--no-market", "--port", str(port),
               "--state-dir", str(root / "sim")]  # fmt: skip
        with _process(sim, port):
            result["gateway_vs_simulator"] = _timed(
                lambda: uvloop.run(_gateway(port, root / "gw2", n, warmup))
            )
    return result
