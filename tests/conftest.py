"""Shared fixtures: a clean configuration environment for every test, and the real CME files.

Real market data is found through the `market_data_dir` setting (MARKET_DATA_DIR); a relative
setting is taken from the repository root, so tests behave the same from any cwd. When the files
are absent the tests that need them skip and say where they looked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import load_settings

REPO = Path(__file__).resolve().parents[1]
ES_MBO = "cme/esh4-glbx-mdp3-20231225.mbo.dbn.zst"

pytest_plugins = ("tests.venue",)  # the `port` and `exchange` fixtures of the FIX tests

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
    "FEE_EQUITY_MICRO",
    "FEE_METAL_ENERGY_MICRO",
    *(
        f"FIX_{n}"
        for n in (
            "HOST",
            "PORT",
            "SENDER_COMP_ID",
            "TARGET_COMP_ID",
            "BEGIN_STRING",
            "DATA_DICTIONARY",
            "HEARTBEAT_S",
            "RECONNECT_S",
            "RECONNECT_MAX_S",
            "LOGON_TIMEOUT_S",
            "RESET_ON_LOGON",
            "FILE_LOG",
            "ACCOUNT",
            "RESEND_MAX_AGE_S",
        )
    ),
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


def data_file(relative: str) -> Path:
    base = load_settings().market_data_dir
    path = (base if base.is_absolute() else REPO / base) / relative
    if not path.is_file():
        pytest.skip(f"real market data not found at {path} (set MARKET_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def market_file() -> Callable[[str], Path]:
    """`market_file("cme/x.dbn.zst")`: the real file's path, or skip the test saying why."""
    return data_file


@pytest.fixture(scope="session")
def es_mbo_path() -> Path:
    return data_file(ES_MBO)
