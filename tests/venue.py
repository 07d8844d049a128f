"""A running exchange simulator on a free loopback port, shared by the exchange and FIX tests.

Loaded as a pytest plugin from the root conftest, so both test folders get the same `port` and
`exchange` fixtures; the helpers are imported directly where a test builds its own server.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.exchange.acceptor import ExchangeServer, default_venue
from bot.exchange.faults import FaultPlan
from fix.settings import FixSessionConfig

TODAY = date(2026, 11, 26)  # front quarter: MESZ6 (202612)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def exchange_config(port: int, state_dir: Path) -> FixSessionConfig:
    return FixSessionConfig(
        port=port,
        sender_comp_id="SIMEXCH",
        target_comp_id="TOPSTEPQ",
        state_dir=state_dir,
        heartbeat_s=30,
    )


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def exchange(port: int, tmp_path: Path) -> Iterator[ExchangeServer]:
    server = ExchangeServer(
        exchange_config(port, tmp_path / "exch"), default_venue(TODAY), None, FaultPlan()
    )
    server.start()
    try:
        yield server
    finally:
        server.stop(logout_wait_s=1.0)
