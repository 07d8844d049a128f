"""Sim mode's exchange: the project's simulator started as a child process on a free loopback
port, stopped (SIGTERM, then SIGKILL) when the bot ends."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess  # nosec B404  (our own simulator, argument list, no shell)
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        try:
            sock.connect((host, port))
        except OSError:
            return False
        return True


@dataclass
class SimSpec:
    state_dir: Path
    seed: int = 1
    replay: Path | None = None
    speed: float = 1.0
    market_day: str = ""  # YYYY-MM-DD: the venue's business day (contract months, AN date)
    monitor: str = "MONITOR"


class SimChild:
    def __init__(self, spec: SimSpec, host: str = "127.0.0.1") -> None:
        self.spec = spec
        self.host = host
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = spec.state_dir / "exchange.log"

    def start(self, timeout_s: float = 20.0) -> int:
        """Start the simulator and wait until it listens; the port.  Raises RuntimeError."""
        spec = self.spec
        spec.state_dir.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):
            self.port = free_port(self.host)
            args = [
                sys.executable, "-m", "bot", "exchange", "--host", self.host,
                "--port", str(self.port), "--seed", str(spec.seed), "--speed", str(spec.speed),
                "--state-dir", str(spec.state_dir), "--monitor-comp-id", spec.monitor,
            ]  # fmt: skip
            if spec.replay is not None:
                args += ["--replay", str(spec.replay)]
            if spec.market_day:
                args += ["--market-day", spec.market_day]
            with self.log_path.open("ab") as log:
                self.proc = subprocess.Popen(  # nosec B603
                    args, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )  # fmt: skip
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if port_open(self.host, self.port):
                    return self.port
                time.sleep(0.05)
            self.stop()
        raise RuntimeError(f"the exchange simulator did not start (see {self.log_path})")

    def stop(self, timeout_s: float = 5.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout_s)
