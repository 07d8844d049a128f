"""Market data in the domain's units: a trade print and a closed bar.  The L2 book itself is
`bot.book.PriceBook`; the kernel keeps one per instrument and sleeves read it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.model.side import Side


@dataclass(frozen=True, slots=True)
class TradeTick:
    """One print; `aggressor` is the side that took liquidity, None when the feed does not say."""

    ts_ns: int
    symbol: str
    price_ticks: int
    size: int
    aggressor: Side | None = None


@dataclass(frozen=True, slots=True)
class Bar:
    """OHLCV over [start_ns, end_ns); visible to a sleeve only once `end_ns` has passed."""

    start_ns: int
    end_ns: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    trades: int = 0
    notional: int = 0  # sum of price * size, ticks x lots (0 when the source has no trades)
    symbol: str = ""

    @property
    def vwap(self) -> float:
        return self.notional / self.volume if self.volume and self.notional else float(self.close)
