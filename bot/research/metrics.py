"""The figures a window of daily P&L is judged by (money in integer cents).

The same conventions as the backtest's summary (`bot.backtest.stats`): Sharpe is the daily
mean over the sample standard deviation times sqrt(252); drawdowns start from 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.backtest.stats import max_drawdown_cents, max_intraday_drawdown_cents, sharpe


@dataclass(frozen=True, slots=True)
class Metrics:
    days: int
    net_cents: int
    sharpe: float
    worst_day_cents: int
    max_drawdown_cents: int
    dll_days: int
    trades: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "days": self.days,
            "net_pnl": self.net_cents / 100,
            "sharpe": round(self.sharpe, 3),
            "worst_day": self.worst_day_cents / 100,
            "max_drawdown": self.max_drawdown_cents / 100,
            "dll_days": self.dll_days,
            "trades": self.trades,
        }


def measure(
    net: Sequence[int],
    lows: Sequence[int] | None = None,
    dll_days: int = 0,
    trades: int = 0,
) -> Metrics:
    """Metrics of one daily series; with `lows` the drawdown counts each day's low (what the
    account's trailing limit sees) and the worst day is the worst low."""
    if lows is not None:
        drawdown = max_intraday_drawdown_cents(zip(net, lows, strict=True))
        worst = min(lows, default=0)
    else:
        drawdown = max_drawdown_cents(net)
        worst = min(net, default=0)
    return Metrics(len(net), sum(net), sharpe(net), min(worst, 0), drawdown, dll_days, trades)
