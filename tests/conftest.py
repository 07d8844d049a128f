"""Shared fixtures: a clean configuration environment for every test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

CONFIG_VARS = (
    "TOPSTEP_API_USER",
    "TOPSTEP_API_PASS",
    "BOT_MODE",
    "ACCOUNT_PROFILE",
    "DAILY_LOSS_LIMIT",
    "TRAILING_MAX_DRAWDOWN",
    "DLL_SAFETY_THRESHOLD",
    "MLL_SAFETY_MARGIN",
    "REDUCING_FRACTION",
    "GAP_ALLOWANCE_TICKS",
    "WINNING_DAY_MIN",
    "FLAT_BY_CUTOFF",
    "BOT_TIMEZONE",
    "STATE_DIR",
    "LOG_LEVEL",
)


@pytest.fixture(autouse=True)
def _isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No developer's environment or .env leaks into a test."""
    for name in CONFIG_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(autouse=True)
def _detach_log_handlers() -> Iterator[None]:
    """Commands point logging at the stderr of the moment; pytest closes that stream after the
    test, so drop the handlers rather than let a later test write to a closed file."""
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
