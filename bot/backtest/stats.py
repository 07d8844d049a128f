"""The numbers of a backtest's summary, from its days and fills: pure, exact where money is.

Money stays in integer cents; only the ratios (Sharpe, correlation, win rate) are floats, and
they are computed with `math.fsum` in a fixed order, so the same result gives the same bits.
Conventions (the README's backtest section repeats them):
- Sharpe: mean / sample standard deviation (n - 1) of daily net P&L, times sqrt(252); 0.0 when
  there are fewer than two days or the P&L never varies.  No risk-free rate: P&L, not returns.
- Max drawdown: the largest fall of cumulative end-of-day P&L from its running peak, the peak
  starting at 0 (the account's start).  The intraday variant also counts each day's low.
- Win rate: per closed round trip (flat to flat in one symbol, net of its fees); a fill that
  flips the position closes one trip and opens the next, its fee split by quantity.
- Correlation: Pearson over all days of the backtest (a day a sleeve did not trade is 0);
  None when either series has no variance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.backtest.results import FillRow
from bot.instruments.specs import Instrument, instrument_table

TRADING_DAYS_PER_YEAR = 252
_CONTRACT_CODE = re.compile(r"^([A-Z0-9]+?)([FGHJKMNQUVXZ])(\d{1,2})$")


def sharpe(daily_cents: Sequence[int]) -> float:
    """Annualised daily Sharpe ratio of a P&L series (units cancel, so cents are fine)."""
    n = len(daily_cents)
    if n < 2:
        return 0.0
    mean = math.fsum(daily_cents) / n
    variance = math.fsum((x - mean) ** 2 for x in daily_cents) / (n - 1)
    if variance <= 0.0:
        return 0.0
    return mean / math.sqrt(variance) * math.sqrt(TRADING_DAYS_PER_YEAR)


def max_drawdown_cents(daily_cents: Iterable[int]) -> int:
    """Largest peak-to-trough fall of the end-of-day equity curve (>= 0)."""
    equity = peak = worst = 0
    for pnl in daily_cents:
        equity += pnl
        peak = max(peak, equity)
        worst = max(worst, peak - equity)
    return worst


def max_intraday_drawdown_cents(days: Iterable[tuple[int, int]]) -> int:
    """As `max_drawdown_cents`, but each day's low (net, low pairs) also counts as a trough:
    the drawdown the MLL actually sees."""
    equity = peak = worst = 0
    for net, low in days:
        worst = max(worst, peak - (equity + low))
        equity += net
        peak = max(peak, equity)
        worst = max(worst, peak - equity)
    return worst


def correlation(a: Sequence[int], b: Sequence[int]) -> float | None:
    """Pearson correlation of two equally long series; None where it is undefined."""
    if len(a) != len(b):
        raise ValueError("series of different lengths")
    n = len(a)
    if n < 2:
        return None
    mean_a, mean_b = math.fsum(a) / n, math.fsum(b) / n
    dev_a = [x - mean_a for x in a]
    dev_b = [y - mean_b for y in b]
    ss_a = math.fsum(d * d for d in dev_a)
    ss_b = math.fsum(d * d for d in dev_b)
    if ss_a <= 0.0 or ss_b <= 0.0:
        return None
    value = math.fsum(x * y for x, y in zip(dev_a, dev_b, strict=True)) / math.sqrt(ss_a * ss_b)
    return max(-1.0, min(1.0, value))  # rounding must not leave [-1, 1]


def correlation_matrix(series: Sequence[Sequence[int]]) -> list[list[float | None]]:
    """Pairwise `correlation`, symmetric; the diagonal is 1.0 where the series varies."""
    return [[correlation(a, b) for b in series] for a in series]


def instrument_for(symbol: str, table: dict[str, Instrument] | None = None) -> Instrument:
    """The instrument of a root (MES) or a contract code (MESZ6, MESZ26)."""
    table = instrument_table() if table is None else table
    found = table.get(symbol)
    if found is None:
        match = _CONTRACT_CODE.match(symbol)
        found = table.get(match.group(1)) if match else None
    if found is None:
        raise ValueError(f"fill for unknown symbol {symbol!r}")
    return found


@dataclass(frozen=True, slots=True)
class TradeStats:
    """What a set of fills did: fill rows, contracts, fees and closed round trips."""

    fills: int
    contracts: int
    fees_cents: int
    trips_cents: tuple[int, ...]  # net P&L of each closed round trip, in closing order
    open_symbols: tuple[str, ...]  # symbols not flat after the last fill

    @property
    def trades(self) -> int:
        return len(self.trips_cents)

    @property
    def wins(self) -> int:
        return sum(1 for trip in self.trips_cents if trip > 0)

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.trades if self.trips_cents else None


@dataclass(slots=True)
class _Trip:
    position: int = 0
    value_cents: int = 0  # -sum(signed qty * price * tick value): the trip's gross P&L once flat
    fees_cents: int = 0


def trade_stats(fills: Iterable[FillRow], tick_value: Callable[[str], int]) -> TradeStats:
    """Round trips per symbol over the fills in their given (time) order."""
    trips: dict[str, _Trip] = {}
    closed: list[int] = []
    count = contracts = fees = 0
    for fill in fills:
        count += 1
        contracts += fill.qty
        fees += fill.fee_cents
        trip = trips.setdefault(fill.symbol, _Trip())
        value = fill.price_ticks * tick_value(fill.symbol)
        rest, fee_rest = fill.qty, fill.fee_cents
        if trip.position and (trip.position > 0) != (fill.side > 0):
            closing = min(fill.qty, abs(trip.position))
            fee_close = fill.fee_cents * closing // fill.qty
            trip.position += fill.side * closing
            trip.value_cents -= fill.side * closing * value
            trip.fees_cents += fee_close
            rest, fee_rest = fill.qty - closing, fill.fee_cents - fee_close
            if trip.position == 0:
                closed.append(trip.value_cents - trip.fees_cents)
                trip.value_cents = trip.fees_cents = 0
        if rest:
            trip.position += fill.side * rest
            trip.value_cents -= fill.side * rest * value
        trip.fees_cents += fee_rest  # a partial close leaves the fee on the open trip
    still_open = tuple(sorted(s for s, t in trips.items() if t.position))
    return TradeStats(count, contracts, fees, tuple(closed), still_open)
