"""`health` against the bot's real metrics registry served over HTTP on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.live.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health(port: int, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    env = {"PATH": "/usr/bin:/bin", "METRICS_PORT": str(port), "STATE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "health", *extra], capture_output=True, text=True,
        timeout=60, check=False, cwd=ROOT, env=env,
    )  # fmt: skip
    return done.returncode, done.stdout.strip(), done.stderr.strip()


@pytest.fixture()
def served() -> tuple[Metrics, int]:
    metrics, port = Metrics(), _free_port()
    metrics.serve(port)
    return metrics, port


def test_fresh_heartbeat_and_fix_up_is_healthy(served: tuple[Metrics, int], tmp_path: Path) -> None:
    metrics, port = served
    metrics.heartbeat.set(time.time())
    metrics.fix_up.set(1)
    assert _health(port, tmp_path) == (0, "healthy", "")


@pytest.mark.parametrize(
    ("age", "fix_up", "why"),
    [
        (None, 1, "no heartbeat yet"),
        (60.0, 1, "heartbeat 6"),  # 60 s plus the command's start-up
        (0.0, 0, "FIX session down"),
    ],
)
def test_unhealthy_states_exit_one_with_the_reason(
    served: tuple[Metrics, int], tmp_path: Path, age: float | None, fix_up: int, why: str
) -> None:
    metrics, port = served
    if age is not None:
        metrics.heartbeat.set(time.time() - age)
    metrics.fix_up.set(fix_up)
    rc, out, err = _health(port, tmp_path)
    assert rc == 1 and out.startswith(f"unhealthy: {why}") and err == ""


def test_max_age_is_the_staleness_bound(served: tuple[Metrics, int], tmp_path: Path) -> None:
    metrics, port = served
    metrics.heartbeat.set(time.time() - 30)
    metrics.fix_up.set(1)
    assert _health(port, tmp_path, "--max-age", "60")[0] == 0
    assert _health(port, tmp_path, "--max-age", "20")[0] == 1


def test_nothing_listening_is_one_line_unhealthy(tmp_path: Path) -> None:
    rc, out, err = _health(_free_port(), tmp_path)
    assert rc == 1 and out.startswith("unhealthy: no metrics at http://127.0.0.1:")
    assert "\n" not in out and "Traceback" not in err


def test_metrics_port_zero_is_a_configuration_refusal(tmp_path: Path) -> None:
    rc, out, err = _health(0, tmp_path)
    assert out == ""
    assert rc == 2 and err == "error: METRICS_PORT=0: the bot serves no metrics to check"
