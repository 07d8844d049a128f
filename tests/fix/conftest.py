"""Shared fixtures for gateway tests: a simulator on a free loopback port, temp state dirs."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import uvloop

from fix.gateway import FixGateway
from fix.settings import FixSessionConfig
from tests.venue import TODAY

T = TypeVar("T")
DRIVE = os.environ.get("FIX_TEST_DRIVE", "thread")  # run the gateway suite per drive


def run(coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
    """Run one async test body on uvloop with a hard timeout."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return uvloop.run(bounded())


def gateway_config(port: int, state_dir: Path, **overrides: Any) -> FixSessionConfig:
    values: dict[str, Any] = {
        "port": port,
        "state_dir": state_dir,
        "reconnect_s": 1,
        "heartbeat_s": 30,
    }
    values.update(overrides)
    return FixSessionConfig(**values)


@contextlib.asynccontextmanager
async def connected(cfg: FixSessionConfig, **kwargs: Any) -> AsyncIterator[FixGateway]:
    if DRIVE == "poll":
        kwargs.setdefault("drive", "poll")
        kwargs.setdefault("poll_interval_s", 0.001)
    gw = FixGateway(cfg, business_day=lambda: TODAY, **kwargs)
    await gw.start()
    try:
        await gw.wait_logged_on(10)
        yield gw
    finally:
        await gw.stop()
