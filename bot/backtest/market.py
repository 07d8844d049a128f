"""Opening the market of a backtest: data files (or the synthetic market) -> feeds and venue
clients added to a `Backtest`, and the `DataFile` records (kind, sha256, proxy label) for the
outputs.

One data file per instrument.  Databento files trade as the micro of their product (an ES book
is an MES stand-in: same price, tick and session); bar files trade as `symbol` (default MES).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.backtest.bar_venue import BarVenueClient
from bot.backtest.data import (
    LEAN_PROXY_LABEL,
    BarItem,
    detect_kind,
    mbp1_groups,
    read_bar_csv,
    read_lean,
    sha256_of,
)
from bot.backtest.feeds import BarFeed, MboFeed, Mbp1Feed, SyntheticFeed
from bot.backtest.models import FeeModel, SlippageModel
from bot.backtest.quote_venue import QuoteVenueClient
from bot.backtest.runner import Backtest
from bot.backtest.sim_client import SimVenueClient
from bot.backtest.trade_bars import DEFAULT_BAR_SECONDS, TradeBars
from bot.engine.results import DataFile
from bot.engine.sessions import SessionSchedule
from bot.exchange.flow import SyntheticFlow
from bot.exchange.replay import ReplayError, ReplayFeed
from bot.exchange.venue import Venue
from bot.instruments.calendar import CalendarUnavailable, TradingCalendar
from bot.instruments.specs import Instrument
from bot.marketdata.dbn import DbnReader
from bot.marketdata.errors import MarketDataError
from bot.marketdata.symbols import root_of
from bot.model.units import NS_PER_SECOND, to_nanos

CHICAGO = ZoneInfo("America/Chicago")
FULL_TO_MICRO = {"ES": "MES", "NQ": "MNQ", "YM": "MYM", "RTY": "M2K", "GC": "MGC", "CL": "MCL"}
SYNTHETIC_START = date(2024, 1, 2)
SYNTHETIC_WINDOW = (time(8, 30), time(15, 15))  # Chicago: the cash session and the cutoff after
SYNTHETIC_EVENTS_PER_S = 2.0


@dataclass(frozen=True, slots=True)
class MarketOptions:
    symbol: str = "MES"
    bar_seconds: float | None = None
    slippage_ticks: int = 0
    from_day: date | None = None
    to_day: date | None = None
    synthetic_days: int = 0
    synthetic_events_per_s: float = SYNTHETIC_EVENTS_PER_S
    seed: int = 1

    def window_ns(self) -> tuple[int, int]:
        """[from, to) in ns: trading days run 17:00 Chicago the evening before to 17:00."""
        start = 0
        end = 1 << 62
        if self.from_day is not None:
            start = _chicago_ns(self.from_day - timedelta(days=1), time(17))
        if self.to_day is not None:
            end = _chicago_ns(self.to_day, time(17))
        return start, end


def _chicago_ns(day: date, at: time) -> int:
    return to_nanos(datetime.combine(day, at, tzinfo=CHICAGO))


def open_market(
    backtest: Backtest,
    paths: list[Path],
    options: MarketOptions,
    instruments: Mapping[str, Instrument],
) -> list[DataFile]:
    """Add a feed and a venue client per data file (and the synthetic market when asked)."""
    fees = FeeModel.from_instruments(instruments)
    files: list[DataFile] = []
    taken: dict[str, Path] = {}
    if options.symbol not in instruments:
        known = ", ".join(sorted(instruments))
        raise MarketDataError(f"--symbol {options.symbol}: unknown instrument (known: {known})")

    def claim(symbol: str, path: Path) -> None:
        if symbol in taken:
            raise MarketDataError(
                f"{path}: a second data file for {symbol} (after {taken[symbol]})"
            )
        taken[symbol] = path

    for path in paths:
        kind = detect_kind(path)
        if kind in ("mbo", "mbp-1"):
            symbol, label = _dbn_symbol(path, options.symbol, instruments)
            claim(symbol, path)
            if kind == "mbo":
                _add_mbo(backtest, path, symbol, options, instruments, fees)
            else:
                _add_mbp1(backtest, path, instruments[symbol], options, fees)
        else:
            symbol, label = options.symbol, LEAN_PROXY_LABEL if kind == "lean" else ""
            claim(symbol, path)
            _add_bars(backtest, path, kind, instruments[symbol], options, fees)
        files.append(DataFile(str(path), sha256_of(path), kind, label))
    if options.synthetic_days > 0:
        claim(options.symbol, Path("synthetic"))
        files.append(_add_synthetic(backtest, options, instruments, fees))
    return files


def _dbn_symbol(path: Path, default: str, instruments: Mapping[str, Instrument]) -> tuple[str, str]:
    """The micro a Databento file trades as, and the label when it is a stand-in."""
    symbols = list(DbnReader(path).metadata.symbols)
    roots = {root_of(s) for s in symbols}
    if len(roots) != 1 or None in roots:
        return default, ""
    root = roots.pop()
    if root is None:
        raise RuntimeError("invariant broken: root is None")
    micro = FULL_TO_MICRO.get(root, root)
    if micro not in instruments:
        raise MarketDataError(f"{path}: no micro contract for {', '.join(symbols)}")
    label = f"{root} book as an {micro} stand-in" if micro != root else ""
    return micro, label


def _add_mbo(
    backtest: Backtest,
    path: Path,
    symbol: str,
    options: MarketOptions,
    instruments: Mapping[str, Instrument],
    fees: FeeModel,
) -> None:
    start_ns = DbnReader(path).metadata.start
    venue = Venue(instruments, datetime.fromtimestamp(start_ns / 1e9, tz=UTC).date())
    try:
        replay = ReplayFeed.from_file(venue, path, start=0.0, symbol=symbol)
    except ReplayError as exc:
        raise MarketDataError(str(exc)) from None
    sink = _trade_bars(backtest, options)
    client = SimVenueClient(venue, sink, backtest.latency.to_bot_ns, fees)
    backtest.router.add([symbol], client)
    backtest.add_feed(MboFeed(replay, client, *options.window_ns()))


def _trade_bars(backtest: Backtest, options: MarketOptions) -> TradeBars:
    """The bot's sink for a book replay, with bars built from its prints (`--bar-seconds`,
    60 by default, as live)."""
    seconds = options.bar_seconds if options.bar_seconds is not None else DEFAULT_BAR_SECONDS
    return TradeBars(backtest.deliver, round(seconds * NS_PER_SECOND))


def _add_mbp1(
    backtest: Backtest,
    path: Path,
    instrument: Instrument,
    options: MarketOptions,
    fees: FeeModel,
) -> None:
    symbol = instrument.symbol
    delay = backtest.latency.to_bot_ns
    slippage = SlippageModel(options.slippage_ticks)
    client = QuoteVenueClient(backtest.deliver, delay, fees, slippage, frozenset({symbol}))
    start, end = options.window_ns()
    groups = (g for g in mbp1_groups(path, instrument) if start <= g[0][0] < end)
    backtest.router.add([symbol], client)
    backtest.add_feed(Mbp1Feed(groups, symbol, client, backtest.deliver, delay))


def _add_bars(
    backtest: Backtest,
    path: Path,
    kind: str,
    instrument: Instrument,
    options: MarketOptions,
    fees: FeeModel,
) -> None:
    bar_ns = None if options.bar_seconds is None else round(options.bar_seconds * NS_PER_SECOND)
    reader = read_lean if kind == "lean" else read_bar_csv
    bar_ns, bars = reader(path, instrument, bar_ns)
    start, end = options.window_ns()
    if start > 0 or end < 1 << 62:
        bars = _between(bars, start, end)
    day_of = SessionSchedule(TradingCalendar()).day_of_ns  # where a session's bars end
    add_bar_items(backtest, bars, instrument.symbol, options.slippage_ticks, fees, day_of)


def add_bar_items(
    backtest: Backtest,
    bars: Iterator[BarItem],
    symbol: str,
    slippage_ticks: int,
    fees: FeeModel,
    day_of: Callable[[int], date],
) -> None:
    """Bars already read (a file's, or constructed ones) as the market of `symbol`: the bar
    venue and its feed, exactly as a bar file gets them (research runs slices of one read)."""
    delay = backtest.latency.to_bot_ns
    slippage = SlippageModel(slippage_ticks)
    client = BarVenueClient(backtest.deliver, delay, fees, slippage, frozenset({symbol}), day_of)
    backtest.router.add([symbol], client)
    backtest.finishers.append(client)
    backtest.add_feed(BarFeed(bars, client, backtest.deliver, delay))


def _between(bars: Iterator[BarItem], start: int, end: int) -> Iterator[BarItem]:
    for item in bars:
        if item[0].start_ns >= end:
            return
        if item[0].start_ns >= start:
            yield item


def synthetic_windows(first: date, days: int, last: date | None = None) -> list[tuple[int, int]]:
    """Venue-time windows of `days` CME trading days from `first` (holidays skipped), none
    after `last`."""
    calendar = TradingCalendar()
    windows: list[tuple[int, int]] = []
    day = first
    while len(windows) < days and (last is None or day <= last):
        try:
            open_day = calendar.is_trading_day(day)
        except CalendarUnavailable as exc:
            raise MarketDataError(f"synthetic market: {exc}") from None
        if open_day:
            opens, closes = SYNTHETIC_WINDOW
            windows.append((_chicago_ns(day, opens), _chicago_ns(day, closes)))
        day += timedelta(days=1)
    return windows


def _add_synthetic(
    backtest: Backtest,
    options: MarketOptions,
    instruments: Mapping[str, Instrument],
    fees: FeeModel,
) -> DataFile:
    first = options.from_day or SYNTHETIC_START
    windows = synthetic_windows(first, options.synthetic_days, options.to_day)
    venue = Venue(instruments, first)
    symbol = options.symbol
    eps = options.synthetic_events_per_s
    flow = SyntheticFlow(venue, (symbol,), seed=options.seed, events_per_s=eps)
    client = SimVenueClient(venue, _trade_bars(backtest, options), backtest.latency.to_bot_ns, fees)
    backtest.router.add([symbol], client)
    backtest.add_feed(SyntheticFeed(flow, client, windows, round(NS_PER_SECOND / eps)))
    what = f"synthetic:{symbol}:seed={options.seed}:days={options.synthetic_days}:from={first}"
    digest = hashlib.sha256(f"{what}:events_per_s={eps}".encode()).hexdigest()
    return DataFile(what, digest, "synthetic", f"synthetic market (seed {options.seed})")
