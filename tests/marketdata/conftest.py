"""Real CME files for the book tests, found through the `market_data_dir` setting.

A relative setting is taken from the repository root, so tests behave the same from any cwd; when
the files are absent the tests that need them skip and say where they looked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import load_settings

REPO = Path(__file__).resolve().parents[2]
ES_MBO = "cme/esh4-glbx-mdp3-20231225.mbo.dbn.zst"


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
