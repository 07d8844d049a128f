"""Feeds: each data source stepped through venue time, one exchange event per step.

A feed says when its next step happens (`next_ts`, venue time, and `next_class`, its place among
things happening at the same nanosecond) and `step` performs it: the market moves at the venue
(which may fill our orders), then what the bot would see (market data, execution reports) goes
to the sink stamped with the time the bot learns of it.  Nothing is read ahead of its time:
a bar becomes a `BarEvent` only at its end, and the bar venue sees only the open at the start.
Every feed streams its file; only the current step is held.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from bot.backtest.bar_venue import BarVenueClient
from bot.backtest.quote_venue import QuoteVenueClient
from bot.backtest.sim_client import SimVenueClient
from bot.book.codes import ASK, BID, TRADE
from bot.book.mbp import Mbp1Record
from bot.exchange.flow import SyntheticFlow
from bot.exchange.replay import ReplayFeed
from bot.exchange.venue import ContractKey
from bot.execution.client import EventSink
from bot.model.events import BarEvent, BookDelta, BookLevel, TradeEvent
from bot.model.market import Bar, TradeTick
from bot.model.side import Side

END = 1 << 62  # `next_ts` of a feed with nothing left

# What happens first when several things share a nanosecond (then: feed order, arrival order).
VENUE_DATA = 0  # the market moves (a record, a bar's close)
VENUE_COMMAND = 1  # a command of ours reaches the venue
BOT_DELIVERY = 2  # the bot receives market data or a report
BOT_TIMER = 3  # the bot's timers fire
VENUE_BAR_OPEN = 4  # a bar opens: after the bot has acted on the bar that closed at this time

Quote = tuple[int | None, int | None]  # (bid, ask) in ticks, from a bar file's bid/ask columns


class Feed(Protocol):
    next_ts: int
    next_class: int

    @property
    def records(self) -> int:
        """Data records consumed so far."""

    def step(self) -> None: ...


class BarFeed:
    """Bars of one symbol, in two steps each: the open (for the venue: market orders, gaps)
    and the close (intrabar fills, then the `BarEvent` at `end_ns`)."""

    def __init__(
        self,
        bars: Iterator[tuple[Bar, Quote | None]],
        client: BarVenueClient,
        sink: EventSink,
        delay_ns: int,
    ) -> None:
        self._bars = bars
        self.client = client
        self.sink = sink
        self.delay_ns = delay_ns
        self.records = 0
        self._bar: Bar | None = None
        self._quote: Quote | None = None
        self._opened = False
        self.next_ts = END
        self.next_class = VENUE_BAR_OPEN
        self._advance()

    def _advance(self) -> None:
        item = next(self._bars, None)
        if item is None:
            if self._bar is not None:
                self.client.set_next_open(self._bar.symbol, None)
            self._bar = None
            self.next_ts = END
            return
        self._bar, self._quote = item
        self.client.set_next_open(self._bar.symbol, self._bar.start_ns)
        self.records += 1
        self._opened = False
        self.next_ts = self._bar.start_ns
        self.next_class = VENUE_BAR_OPEN

    def step(self) -> None:
        bar = self._bar
        if bar is None:
            raise RuntimeError("invariant broken: bar is None")
        if not self._opened:
            self._opened = True
            self.client.bar_open(bar)
            self.next_ts = bar.end_ns
            self.next_class = VENUE_DATA
            return
        self.client.bar_close(bar)
        at = bar.end_ns + self.delay_ns
        quote = self._quote
        if quote is not None:
            bid, ask = quote
            levels = [BookLevel(0, bid, 1)] if bid is not None else []
            levels += [BookLevel(1, ask, 1)] if ask is not None else []
            self.sink(BookDelta(at, bar.symbol, tuple(levels), snapshot=True))
        self.sink(BarEvent(at, bar))
        self._advance()


class MboFeed:
    """A Databento MBO replay through the simulator: the real orders rest in the venue's book,
    ours queue behind them (`ReplayFeed`).  One step applies every record of one timestamp."""

    def __init__(
        self,
        replay: ReplayFeed,
        client: SimVenueClient,
        from_ns: int = 0,
        to_ns: int = END,
    ) -> None:
        self.replay = replay
        self.client = client
        self.from_ns = from_ns
        self.to_ns = to_ns
        self.next_class = VENUE_DATA
        self._snapshot_sent = False
        self._first = replay.applied
        self.next_ts = self._peek()

    @property
    def records(self) -> int:
        return self.replay.applied - self._first

    def _peek(self) -> int:
        i = self.replay.applied
        records = self.replay.records
        if i >= len(records):
            return END
        ts = records[i][6]
        return ts if ts < self.to_ns else END

    def step(self) -> None:
        replay = self.replay
        venue = replay.venue
        now = self.next_ts
        due = replay.next_due()
        if due is None:
            raise RuntimeError("invariant broken: due is None")
        reports = replay.step(venue, due)  # every record of this timestamp (up to its budget)
        while replay.next_due() == due:
            reports += replay.step(venue, due)
        if now < self.from_ns:
            venue.drain_market_data()  # the book builds; the bot sees it from `from_ns` on
        elif not self._snapshot_sent:
            self._snapshot_sent = True
            self.client.absorb(reports, now)
            self.client.publish_snapshot(replay.key, now)
        else:
            self.client.absorb(reports, now)
            self.client.publish(now)
        self.next_ts = self._peek()


class Mbp1Feed:
    """Top of book and trades (Databento MBP-1) against the L2 fill model; one step is every
    record of one timestamp.  The bot gets the top as a one-level snapshot and each print."""

    def __init__(
        self,
        groups: Iterator[list[Mbp1Record]],
        symbol: str,
        client: QuoteVenueClient,
        sink: EventSink,
        delay_ns: int,
    ) -> None:
        self._groups = groups
        self.symbol = symbol
        self.client = client
        self.sink = sink
        self.delay_ns = delay_ns
        self.records = 0
        self.next_class = VENUE_DATA
        self._top: tuple[int | None, int, int | None, int] | None = None
        self._group: list[Mbp1Record] = []
        self.next_ts = END
        self._advance()

    def _advance(self) -> None:
        group = next(self._groups, None)
        if group is None:
            self.next_ts = END
            return
        self._group = group
        self.records += len(group)
        self.next_ts = group[0][0]

    def step(self) -> None:
        now = self.next_ts
        at = now + self.delay_ns
        symbol, sink = self.symbol, self.sink
        prints: list[int] = []
        trades: list[TradeEvent] = []
        last = self._group[-1]
        for rec in self._group:
            if rec[1] == TRADE:
                side = rec[2]
                aggressor = Side.BUY if side == BID else Side.SELL if side == ASK else None
                prints.append(rec[3])
                trades.append(TradeEvent(at, TradeTick(now, symbol, rec[3], rec[4], aggressor)))
        top = (last[6], last[7], last[9], last[10])
        self.client.update(symbol, top[0], top[2], prints, now)
        if top != self._top:
            self._top = top
            levels = [BookLevel(0, top[0], top[1], last[8])] if top[0] is not None else []
            if top[2] is not None:
                levels.append(BookLevel(1, top[2], top[3], last[11]))
            sink(BookDelta(at, symbol, tuple(levels), snapshot=True))
        for trade in trades:
            sink(trade)
        self._advance()


class SyntheticFeed:
    """The simulator's seeded synthetic market, stepped one flow event at a time inside given
    daily windows (venue time); the venue's book carries over from one window to the next."""

    def __init__(
        self,
        flow: SyntheticFlow,
        client: SimVenueClient,
        windows: list[tuple[int, int]],
        interval_ns: int,
    ) -> None:
        self.flow = flow
        self.client = client
        self.keys: list[ContractKey] = [c.key for c in flow.contracts]
        self.interval_ns = interval_ns
        self.next_class = VENUE_DATA
        self.records = 0
        self._windows = iter(windows)
        self._close = 0
        self._snapshot_sent = False
        self.next_ts = END
        self._next_window()

    def _next_window(self) -> None:
        window = next(self._windows, None)
        if window is None:
            self.next_ts = END
        else:
            self.next_ts, self._close = window

    def step(self) -> None:
        now = self.next_ts
        if not self._snapshot_sent:
            self._snapshot_sent = True
            for key in self.keys:
                self.client.publish_snapshot(key, now)
        self.records += 1
        self.client.absorb(self.flow.one_event(), now)
        self.client.publish(now)
        self.next_ts = now + self.interval_ns
        if self.next_ts >= self._close:
            self._next_window()
