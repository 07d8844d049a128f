"""Helpers for the backtest tests: small bar files and one call that runs the loop on them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from bot.backtest.market import MarketOptions, open_market
from bot.backtest.models import LatencyModel
from bot.backtest.runner import Backtest
from bot.instruments.specs import instrument_table
from bot.model.clock import SimulatedClock
from tests.backtest.fakes import FakeKernel, Script

Row = tuple[str, float, float, float, float, int]
BASE = "2024-03-04T14:{:02d}:00Z"  # a Monday, 08:xx Chicago


def minute(i: int) -> str:
    return BASE.format(i)


def write_bars(path: Path, rows: Sequence[Row], quotes: bool = False) -> Path:
    header = "ts_event,open,high,low,close,volume" + (",bid,ask" if quotes else "")
    lines = [header] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


Runner = Callable[..., FakeKernel]


@pytest.fixture
def run_files() -> Runner:
    """`run_files([paths], script, latency_ms=0, **options)` -> the fake kernel after the run."""

    def run(
        paths: list[Path],
        script: Script | None = None,
        latency_ms: float = 0.0,
        finish: Script | None = None,
        **options: object,
    ) -> FakeKernel:
        clock = SimulatedClock()
        kernel = FakeKernel(clock, script)
        backtest = Backtest(kernel, clock, LatencyModel.fixed_ms(latency_ms))
        open_market(backtest, paths, MarketOptions(**options), instrument_table())  # type: ignore[arg-type]
        kernel.backtest = backtest
        if finish is not None:
            original = kernel.finish

            def finishing() -> list:  # type: ignore[type-arg]
                return finish(kernel, None) + original()  # type: ignore[arg-type]

            kernel.finish = finishing  # type: ignore[method-assign]
        backtest.run()
        return kernel

    return run


@pytest.fixture
def bars_file(tmp_path: Path) -> Callable[..., Path]:
    def make(rows: Sequence[Row], quotes: bool = False, name: str = "bars.csv") -> Path:
        return write_bars(tmp_path / name, rows, quotes)

    return make
