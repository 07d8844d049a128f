"""The compiled core and the pure-Python sources give the same books on every shared MBO file.

Each path replays the file in its own process (the choice is made at import), record by record;
the top of book at every F_LAST, the final book in full and the state must be identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot import _native
from bot.config import load_settings
from tests.compiled_paths import run_dump
from tests.conftest import REPO

DUMP = Path(__file__).with_name("replay_dump.py")


def _mbo_files() -> list[Path]:
    base = load_settings().market_data_dir
    cme = (base if base.is_absolute() else REPO / base) / "cme"
    return sorted(p for p in cme.glob("*.dbn.zst") if "mbo" in p.name) if cme.is_dir() else []


def _replay(path: Path, *, pure: bool) -> dict[str, Any]:
    return run_dump(DUMP, str(path), pure=pure)


def test_pure_python_is_importable_on_demand() -> None:
    env = dict(os.environ, **{_native.PURE_ENV: "1"})
    code = "from bot import _native; print(_native.compiled(), _native.status())"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("False pure Python (TOPSTEP_PURE_PYTHON is set)")


@pytest.mark.slow
@pytest.mark.parametrize("name", [p.name for p in _mbo_files()] or ["(no MBO files)"])
def test_compiled_and_pure_books_are_equal_record_by_record(name: str) -> None:
    files = {p.name: p for p in _mbo_files()}
    if name not in files:
        pytest.skip("real market data not found (set MARKET_DATA_DIR)")
    compiled = _replay(files[name], pure=False)
    if not compiled["compiled"]:
        pytest.skip("no compiled core in this installation (pure Python only): nothing to compare")
    pure = _replay(files[name], pure=True)
    assert not pure["compiled"]
    assert compiled["books"].keys() == pure["books"].keys()
    for instrument, book in compiled["books"].items():
        other = pure["books"][instrument]
        assert book["tops"], "no F_LAST point in the file"
        for i, (ours, theirs) in enumerate(zip(book["tops"], other["tops"], strict=True)):
            assert ours == theirs, f"top of book differs at F_LAST #{i}"
        assert book == other
