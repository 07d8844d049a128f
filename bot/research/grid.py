"""The declared parameter grids the walk-forward chooses from, and how a choice is scored.

Small on purpose: every extra candidate is another chance to fit noise.  Each grid is written
out here (not searched), so what could have been chosen is on the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bot.strategy.config import Allocation, SleeveSpec
from bot.strategy.sleeves.mean_reversion import MeanReversionParams
from bot.strategy.sleeves.tail_hedge import TailHedgeParams
from bot.strategy.sleeves.trend import TrendParams

SYMBOLS = ("MES",)


@dataclass(frozen=True, slots=True)
class SleeveGrid:
    """One bar sleeve: its name, kind, allocation and the candidates for its parameters."""

    name: str
    kind: str
    allocation: Allocation
    candidates: tuple[BaseModel, ...]

    def spec(self, index: int) -> SleeveSpec:
        return SleeveSpec(self.name, self.kind, SYMBOLS, self.allocation, self.candidates[index])


def _mr(**kw: Any) -> MeanReversionParams:
    return MeanReversionParams(**kw)


def _tf(**kw: Any) -> TrendParams:
    return TrendParams(**kw)


def _hedge(**kw: Any) -> TailHedgeParams:
    return TailHedgeParams(**kw)


MR = SleeveGrid(
    "mr",
    "mean_reversion",
    Allocation(risk_share=0.3, max_contracts=1, max_drawdown=400.0),
    tuple(
        _mr(anchor=anchor, mean_bars=21, entry_z=z, stop_z=1.0, max_bars=6)
        for anchor in ("ema", "vwap")
        for z in (1.5, 2.5)
    ),
)
TF = SleeveGrid(
    "tf",
    "trend",
    Allocation(risk_share=0.3, max_contracts=1, max_drawdown=400.0),
    tuple(
        _tf(mode=mode, channel_bars=20, range_bars=rb, atr_stop=stop, momentum_bars=7)
        for mode, rb in (("donchian", 1), ("opening_range", 1), ("opening_range", 2))
        for stop in (1.5, 3.0)
    ),
)
HEDGE = SleeveGrid(
    "hedge",
    "tail_hedge",
    Allocation(risk_share=0.2, max_contracts=1, max_drawdown=300.0),
    tuple(
        _hedge(mode=mode, shock_ratio=ratio, fast_bars=5, slow_bars=140)
        for mode in ("both", "offset")
        for ratio in (2.0, 3.0)
    ),
)
# chosen one by one on their own P&L, then the hedge on the book's
STANDALONE = (MR, TF)
GRIDS = (MR, TF, HEDGE)


def score(daily_cents: list[int]) -> float:
    """The training score: the annualised Sharpe ratio of the daily P&L (0 when flat)."""
    from bot.backtest.stats import sharpe

    return sharpe(daily_cents)


def describe(params: BaseModel) -> str:
    """The parameters that differ from the kind's defaults, `k=v` joined (for tables)."""
    defaults = type(params)()
    parts = [f"{k}={v}" for k, v in params.model_dump().items() if getattr(defaults, k) != v]
    return ",".join(parts) or "defaults"
