"""The compiled matching engine and the pure-Python sources give the same results.

`bench matching`'s seeded stream (adds, marketable, market and IOC orders, stops, cancels,
replaces) runs through each path in its own process (the choice is made at import): every event
with all its fields, the changed levels at every drain, every order's final state and the final
book (each level's queue in priority order) must be identical.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot import _native
from tests.compiled_paths import run_dump

DUMP = Path(__file__).with_name("matching_dump.py")


def _run(n: int, seed: int, *, pure: bool) -> dict[str, Any]:
    return run_dump(DUMP, str(n), str(seed), pure=pure)


def test_the_matching_engine_is_in_the_compiled_core() -> None:
    assert {"bot.exchange.orders", "bot.exchange.events", "bot.exchange.matching"} <= set(
        _native.COMPILED_MODULES
    )


@pytest.mark.slow
@pytest.mark.parametrize(("n", "seed"), [(200_000, 7), (50_000, 11)])
def test_compiled_and_pure_engines_give_the_same_events_and_book(n: int, seed: int) -> None:
    compiled = _run(n, seed, pure=False)
    if not compiled["compiled"]:
        pytest.skip("no compiled core in this installation (pure Python only): nothing to compare")
    pure = _run(n, seed, pure=True)
    assert not pure["compiled"]
    assert compiled["trades"] > 0 and compiled["stops"] and compiled["book"]["0"]
    for key in ("events", "digest", "trades", "last_trade", "working", "stops", "orders"):
        assert compiled[key] == pure[key], key
    assert {**compiled, "compiled": False} == pure
