"""Time bars from trades: OHLCV plus VWAP over fixed intervals aligned to the epoch (UTC).

Integer ticks and lots throughout; VWAP is notional / volume in ticks (a float: it is an average,
not a price anyone trades at).  Intervals without trades produce no bar.
"""

from __future__ import annotations

from bot.model.market import Bar

__all__ = ["Bar", "BarBuilder"]

NS_PER_SECOND = 1_000_000_000


class BarBuilder:
    """Feed trades in time order with `add`; a bar is returned when a later interval begins.

    A trade stamped before the open bar's start (out of order) joins the open bar and is counted
    in `late_trades`, so no volume is lost and bars never go back in time.
    """

    __slots__ = (
        "_close",
        "_count",
        "_high",
        "_low",
        "_notional",
        "_open",
        "_start",
        "_volume",
        "interval_ns",
        "late_trades",
    )

    def __init__(self, interval_ns: int) -> None:
        if interval_ns <= 0:
            raise ValueError("bar interval must be positive")
        self.interval_ns = interval_ns
        self.late_trades = 0
        self._start: int | None = None
        self._open = self._high = self._low = self._close = 0
        self._volume = self._count = self._notional = 0

    @classmethod
    def seconds(cls, seconds: int) -> BarBuilder:
        return cls(seconds * NS_PER_SECOND)

    def add(self, ts: int, price: int, size: int) -> Bar | None:
        """Add one trade; returns the bar it completed, if it started a new interval."""
        done: Bar | None = None
        start = self._start
        if start is not None and ts >= start + self.interval_ns:
            done = self._bar(start)
            start = None
        if start is None:
            self._start = ts - ts % self.interval_ns
            self._open = self._high = self._low = price
            self._volume = self._count = self._notional = 0
        elif ts < start:
            self.late_trades += 1
        self._high = max(self._high, price)
        self._low = min(self._low, price)
        self._close = price
        self._volume += size
        self._count += 1
        self._notional += price * size
        return done

    def flush(self) -> Bar | None:
        """Close the open bar (end of data or session) and return it."""
        if self._start is None:
            return None
        bar = self._bar(self._start)
        self._start = None
        return bar

    @property
    def current(self) -> Bar | None:
        """The bar being built, as it stands (not yet complete)."""
        return None if self._start is None else self._bar(self._start)

    def _bar(self, start: int) -> Bar:
        return Bar(
            start,
            start + self.interval_ns,
            self._open,
            self._high,
            self._low,
            self._close,
            self._volume,
            self._count,
            self._notional,
        )
