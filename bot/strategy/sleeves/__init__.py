"""The sleeve kinds, by the name `sleeves.toml` uses, and the default configuration.

These are baseline implementations that exercise the whole trading core; their research and
tuning belong to the sleeves' own issue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from bot.strategy.base import Sleeve
from bot.strategy.config import SleeveSpec
from bot.strategy.sleeves.market_making import MarketMakingParams, MarketMakingSleeve
from bot.strategy.sleeves.mean_reversion import MeanReversionParams, MeanReversionSleeve
from bot.strategy.sleeves.tail_hedge import TailHedgeParams, TailHedgeSleeve
from bot.strategy.sleeves.trend import TrendParams, TrendSleeve

SleeveFactory = Callable[[str, tuple[str, ...], Any], Sleeve]

KINDS: Mapping[str, tuple[type[BaseModel], SleeveFactory]] = {
    "market_making": (MarketMakingParams, MarketMakingSleeve),
    "mean_reversion": (MeanReversionParams, MeanReversionSleeve),
    "trend": (TrendParams, TrendSleeve),
    "tail_hedge": (TailHedgeParams, TailHedgeSleeve),
}

PARAM_MODELS: Mapping[str, type[BaseModel]] = {k: v[0] for k, v in KINDS.items()}

# The built-in configuration when no sleeves.toml is given: the four sleeves by short name.
DEFAULT_SLEEVES: dict[str, Any] = {
    "sleeves": {
        "mm": {
            "kind": "market_making",
            "symbols": ["MES"],
            "allocation": {"risk_share": 0.2, "max_contracts": 2, "max_drawdown": 300.0},
        },
        "mr": {
            "kind": "mean_reversion",
            "symbols": ["MES"],
            "allocation": {"risk_share": 0.3, "max_contracts": 1, "max_drawdown": 400.0},
        },
        "tf": {
            "kind": "trend",
            "symbols": ["MES"],
            "allocation": {"risk_share": 0.3, "max_contracts": 1, "max_drawdown": 400.0},
        },
        "hedge": {
            "kind": "tail_hedge",
            "symbols": ["MES"],
            "allocation": {"risk_share": 0.2, "max_contracts": 1, "max_drawdown": 300.0},
        },
    }
}


def build_sleeve(spec: SleeveSpec) -> Sleeve:
    _, factory = KINDS[spec.kind]
    return factory(spec.name, spec.symbols, spec.params)
