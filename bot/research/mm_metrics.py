"""What a market-making run measured, per instrument: fills, adverse selection, P&L per
contract after fees and inventory excursions, from the sleeve's fills and the mid path the bot
saw.  Pure functions of recorded data (no kernel, no I/O), so a test can check them on a
constructed tape.

Conventions: prices in ticks; a mid is stored doubled (bid + ask) to stay an integer; a move is
signed in our favour (+ is good for us: after a buy the mid rose), so adverse selection shows
as a negative number.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from bot.book.l2 import PriceBook
from bot.engine.results import FillRow
from bot.instruments.specs import Instrument
from bot.model.events import BookDelta, Event

HORIZONS_S = (1, 5, 30)  # mid moves measured this long after each of our passive fills
NS = 1_000_000_000


@dataclass(slots=True)
class MidTape:
    """The mid of each instrument's book as the bot received it: (ts, bid + ask) on change;
    a crossed, locked or one-sided book ends the valid stretch (no mid)."""

    books: dict[str, PriceBook] = field(default_factory=dict)
    times: dict[str, list[int]] = field(default_factory=dict)
    mids2: dict[str, list[int | None]] = field(default_factory=dict)

    def see(self, event: Event) -> None:
        if not isinstance(event, BookDelta):
            return
        book = self.books.get(event.symbol)
        if book is None:
            book = self.books[event.symbol] = PriceBook()
        if event.snapshot:
            book.clear()
        for level in event.levels:
            book.set_level(level.side_index, level.price_ticks, level.size, level.count)
        bid, ask = book.best_price(0), book.best_price(1)
        mid2 = bid + ask if bid is not None and ask is not None and bid < ask else None
        times = self.times.setdefault(event.symbol, [])
        mids = self.mids2.setdefault(event.symbol, [])
        if mids and mids[-1] == mid2:
            return
        if times and times[-1] == event.ts_ns:
            mids[-1] = mid2
        else:
            times.append(event.ts_ns)
            mids.append(mid2)

    def before(self, symbol: str, ts_ns: int) -> int | None:
        """The doubled mid in force just before `ts_ns` (what the fill's own event changed is
        not yet in it)."""
        times = self.times.get(symbol, [])
        i = bisect_left(times, ts_ns) - 1
        return self.mids2[symbol][i] if i >= 0 else None

    def at(self, symbol: str, ts_ns: int) -> int | None:
        """The doubled mid in force at `ts_ns` (None past the end of the tape)."""
        times = self.times.get(symbol, [])
        if not times or ts_ns > times[-1]:
            return None
        i = bisect_right(times, ts_ns) - 1
        return self.mids2[symbol][i] if i >= 0 else None


@dataclass(frozen=True, slots=True)
class SymbolStats:
    """One run (a day or a synthetic session) of one instrument."""

    symbol: str
    hours: float
    quotes: int  # quote orders placed
    maker_fills: int  # our passive quote fills (orders, not lots)
    taker_fills: int  # exits, stops, flattens
    lots: int  # bought + sold
    net_cents: int  # after fees
    fees_cents: int
    trades: list[int]  # net cents of each flat-to-flat trade, after fees
    trade_lots: list[int]  # lots bought in each of those trades
    captured_ticks: list[float]  # per maker fill: the fill's edge over the mid before it
    moves_ticks: dict[int, list[float]]  # horizon s -> per maker fill: the mid's move after it
    max_inventory: int
    worst_open_cents: int  # the worst mark of held inventory against its entry (<= 0)

    @property
    def fill_rate(self) -> float | None:
        return self.maker_fills / self.quotes if self.quotes else None

    @property
    def contracts(self) -> int:
        """Round-trip contracts: lots bought (every run ends flat)."""
        return self.lots // 2


def measure(
    symbol: str,
    spec: Instrument,
    fills: list[FillRow],
    tape: MidTape,
    quotes: int,
    hours: float,
    net_cents: int,
) -> SymbolStats:
    """The statistics of one sleeve's fills in `symbol` (in time order) against the tape;
    `net_cents` is the sleeve's P&L after fees as its virtual book has it."""
    captured: list[float] = []
    moves: dict[int, list[float]] = {h: [] for h in HORIZONS_S}
    maker = taker = lots = fees = 0
    for f in fills:
        lots += f.qty
        fees += f.fee_cents
        if f.liquidity != "maker":
            taker += 1
            continue
        maker += 1
        before = tape.before(symbol, f.ts_ns)
        if before is None:
            continue
        captured.append(f.side * (before / 2 - f.price_ticks))
        for h in HORIZONS_S:
            later = tape.at(symbol, f.ts_ns + h * NS)
            if later is not None:
                moves[h].append(f.side * (later - before) / 2)
    trades, trade_lots, max_inv, worst = _walk(spec, fills, tape, symbol)
    return SymbolStats(
        symbol, hours, quotes, maker, taker, lots, net_cents, fees, trades, trade_lots, captured,
        moves, max_inv, worst,
    )  # fmt: skip


def _walk(
    spec: Instrument, fills: list[FillRow], tape: MidTape, symbol: str
) -> tuple[list[int], list[int], int, int]:
    """Flat-to-flat trades (net cents, lots bought), the largest |inventory| and the worst
    open P&L of the inventory marked at the mid between fills."""
    trades: list[int] = []
    trade_lots: list[int] = []
    pos = cash = bought = max_inv = worst = 0
    avg = 0.0
    times = tape.times.get(symbol, [])
    mids = tape.mids2.get(symbol, [])
    for i, f in enumerate(fills):
        if pos and avg:
            end = f.ts_ns
            start = fills[i - 1].ts_ns
            lo, hi = bisect_left(times, start), bisect_left(times, end)
            for m in mids[lo:hi]:
                if m is not None:
                    open_ticks = (m / 2 - avg) * pos
                    worst = min(worst, math.floor(open_ticks * spec.tick_value_cents))
        signed = f.side * f.qty
        if pos == 0 or (pos > 0) == (signed > 0):
            avg = (avg * abs(pos) + f.price_ticks * f.qty) / (abs(pos) + f.qty)
        pos += signed
        if f.side > 0:
            bought += f.qty
        cash += -signed * f.price_ticks * spec.tick_value_cents - f.fee_cents
        max_inv = max(max_inv, abs(pos))
        if pos == 0:
            trades.append(cash)
            trade_lots.append(bought)
            cash = bought = 0
            avg = 0.0
    return trades, trade_lots, max_inv, worst


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def interval95(values: list[float]) -> tuple[float, float] | None:
    """The mean's 95% interval (normal approximation); None below 2 values."""
    n = len(values)
    if n < 2:
        return None
    m = sum(values) / n
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    half = 1.96 * sd / math.sqrt(n)
    return m - half, m + half
