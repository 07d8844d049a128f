"""The backtest loop: one queue of everything that happens, in time order, driving the kernel.

Four kinds of thing happen, merged by (time, class, order of arrival):

- a feed steps (the market moves at the venue; a bar opens or closes),
- a command of the bot reaches its venue (sent at the bot's time + the latency to the venue),
- the bot receives an event (stamped by the venue at venue time + the latency back),
- the kernel's timers fire.

At one nanosecond, classes go in the order of `feeds.VENUE_DATA` .. `feeds.VENUE_BAR_OPEN`, then
feeds in the order given, then arrival order: the same inputs always run the same way.  The
latencies are fixed, so commands and deliveries each arrive in the order they were made and two
FIFO queues suffice.  The `SimulatedClock` is moved to each bot-side event's time before the
kernel is called, and never backwards.

At the end of the data the loop delivers what is still in flight, asks the kernel to `finish`
(cancel and flatten), delivers the results of that, and lets the kernel close its books.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.backtest.feeds import (
    BOT_DELIVERY,
    BOT_TIMER,
    END,
    VENUE_COMMAND,
    Feed,
)
from bot.backtest.models import LatencyModel
from bot.engine.results import BacktestResult, DataFile, DayResult, FillRow
from bot.execution.client import ExecutionClient
from bot.model.clock import SimulatedClock
from bot.model.commands import Command, SubmitOrder
from bot.model.events import CancelRejected, Event, OrderRejected

PROGRESS_EVERY = 8_192  # loop turns between progress callbacks
NO_LATENCY = LatencyModel()
MAX_FIRES_AT_ONE_TIME = 10_000  # a timer that stays due after firing would spin for ever


class Kernel(Protocol):
    """What the loop needs of `bot.engine.kernel.TradingKernel` (tests drive fakes)."""

    days: list[DayResult]
    fills: list[FillRow]

    def start(self) -> list[Command]: ...

    def handle(self, event: Event) -> list[Command]: ...

    def next_timer_ns(self) -> int | None: ...

    def fire_timers(self, now_ns: int) -> list[Command]: ...

    def finish(self) -> list[Command]: ...

    def close_books(self) -> None: ...


class EndOfData(Protocol):
    def end_of_data(self, now_ns: int) -> None: ...


class LoopError(RuntimeError):
    """The loop's own invariants broke (time going backwards): a bug, never bad input."""


class Router:
    """Commands to the venue client of their symbol; an unknown symbol is refused as a venue
    would refuse it (an event, never an exception)."""

    def __init__(self, sink: Callable[[Event], None], delay_ns: int) -> None:
        self.clients: dict[str, ExecutionClient] = {}
        self.sink = sink
        self.delay_ns = delay_ns

    def add(self, symbols: Iterable[str], client: ExecutionClient) -> None:
        for symbol in symbols:
            self.clients[symbol] = client

    def send(self, command: Command, now_ns: int) -> None:
        symbol = command.order.symbol if isinstance(command, SubmitOrder) else command.symbol
        client = self.clients.get(symbol)
        if client is not None:
            client.send(command, now_ns)
            return
        at = now_ns + self.delay_ns
        why = f"no venue trades {symbol} in this backtest"
        if isinstance(command, SubmitOrder):
            self.sink(OrderRejected(at, command.order.order_id, why))
        else:
            self.sink(CancelRejected(at, command.order_id, why, order_gone=True))


@dataclass(slots=True)
class RunStats:
    events: int = 0  # events handed to the kernel (market data and execution reports)
    timer_calls: int = 0
    commands: int = 0
    records: int = 0  # data records (MBO/MBP records, bars, synthetic flow events) consumed
    elapsed_s: float = 0.0
    first_ns: int = 0
    last_ns: int = 0


class Backtest:
    """Feeds + venue clients + kernel + clock; `run` once."""

    def __init__(
        self, kernel: Kernel, clock: SimulatedClock, latency: LatencyModel = NO_LATENCY
    ) -> None:
        self.kernel = kernel
        self.clock = clock
        self.latency = latency
        self.feeds: list[Feed] = []
        self.deliveries: deque[Event] = deque()
        self.commands: deque[tuple[int, Command]] = deque()
        self.router = Router(self.deliver, latency.to_bot_ns)
        self.finishers: list[EndOfData] = []
        self.stats = RunStats()

    def deliver(self, event: Event) -> None:
        """The sink of every venue client and feed: the bot will receive `event` at its ts."""
        queue = self.deliveries
        if queue and event.ts_ns < queue[-1].ts_ns:
            raise LoopError(f"delivery at {event.ts_ns} after one at {queue[-1].ts_ns}")
        queue.append(event)

    def add_feed(self, feed: Feed) -> None:
        self.feeds.append(feed)

    @property
    def has_data(self) -> bool:
        """Does any feed have a step left (before `run`: is there any data at all)?"""
        return any(f.next_ts != END for f in self.feeds)

    def _send(self, commands: list[Command], now_ns: int) -> None:
        if commands:
            at = now_ns + self.latency.to_venue_ns
            self.stats.commands += len(commands)
            self.commands.extend((at, c) for c in commands)

    def run(self, progress: Callable[[int], None] | None = None) -> RunStats:
        stats = self.stats
        started = time.perf_counter()
        first = min((f.next_ts for f in self.feeds), default=END)
        if first != END:
            self.clock.advance_to(first)
        stats.first_ns = self.clock.now_ns()
        self._send(self.kernel.start(), self.clock.now_ns())
        self._loop(progress)
        now = self.clock.now_ns()
        for finisher in self.finishers:
            finisher.end_of_data(now)
        self._drain()
        self._send(self.kernel.finish(), self.clock.now_ns())
        self._drain()
        self.kernel.close_books()
        stats.records = sum(f.records for f in self.feeds)
        stats.last_ns = self.clock.now_ns()
        stats.elapsed_s = time.perf_counter() - started
        return stats

    def _loop(self, progress: Callable[[int], None] | None) -> None:
        """The merge.  The kernel's next timer is asked for only after the kernel has run
        (nothing else can change its timers)."""
        feeds = self.feeds
        kernel, clock = self.kernel, self.clock
        deliveries, commands = self.deliveries, self.commands
        route = self.router.send
        send = self._send
        handle = kernel.handle
        next_timer = kernel.next_timer_ns
        due = next_timer()
        events = timer_calls = turns = stuck = 0
        last_fire = -1
        while True:
            feed = None
            ts, cls = END, BOT_TIMER + 99
            for f in feeds:
                t = f.next_ts
                if t < ts or (t == ts and f.next_class < cls):
                    ts, cls, feed = t, f.next_class, f
            if ts == END:
                break  # end of data
            if commands:
                t = commands[0][0]
                if t < ts or (t == ts and cls > VENUE_COMMAND):
                    ts, cls = t, VENUE_COMMAND
            if deliveries:
                t = deliveries[0].ts_ns
                if t < ts or (t == ts and cls > BOT_DELIVERY):
                    ts, cls = t, BOT_DELIVERY
            if due is not None and (due < ts or (due == ts and cls > BOT_TIMER)):
                ts, cls = max(due, clock.now_ns()), BOT_TIMER
                stuck = stuck + 1 if ts == last_fire else 0
                if stuck > MAX_FIRES_AT_ONE_TIME:
                    raise LoopError(f"the kernel's timer at {ts} fires without end")
                last_fire = ts
            if cls == BOT_DELIVERY:
                event = deliveries.popleft()
                clock.advance_to(ts)
                events += 1
                send(handle(event), ts)
                due = next_timer()
            elif cls == VENUE_COMMAND:
                route(commands.popleft()[1], ts)
            elif cls == BOT_TIMER:
                clock.advance_to(ts)
                timer_calls += 1
                send(kernel.fire_timers(ts), ts)
                due = next_timer()
            else:
                if feed is None:
                    raise RuntimeError("invariant broken: feed is None")
                feed.step()
            if progress is not None:
                turns += 1
                if not turns % PROGRESS_EVERY:
                    progress(sum(f.records for f in feeds))
        self.stats.events += events
        self.stats.timer_calls += timer_calls

    def _drain(self) -> None:
        """Deliver what is in flight (no data, no timers): commands and events by time."""
        clock, kernel = self.clock, self.kernel
        deliveries, commands = self.deliveries, self.commands
        while commands or deliveries:
            if commands and (not deliveries or commands[0][0] <= deliveries[0].ts_ns):
                at, command = commands.popleft()
                self.router.send(command, at)
            else:
                event = deliveries.popleft()
                clock.advance_to(event.ts_ns)
                self.stats.events += 1
                self._send(kernel.handle(event), clock.now_ns())


def build_result(
    kernel: Kernel,
    stats: RunStats,
    sleeves: list[str],
    data_files: list[DataFile],
    seed: int,
    counters: Mapping[str, object] | None = None,
) -> BacktestResult:
    """The loop's and the kernel's numbers as the one result type the writers read."""
    counters = counters or {}
    orders = counters.get("orders", getattr(kernel, "orders_sent", stats.commands))
    refusals = counters.get("refusals", getattr(kernel, "refusals", {}))
    risk_events = counters.get("risk_events", getattr(kernel, "risk_event_counts", {}))
    failed = counters.get("account_failed", False)
    return BacktestResult(
        sleeves=list(sleeves),
        days=list(kernel.days),
        fills=list(kernel.fills),
        data_files=list(data_files),
        events=stats.events,
        elapsed_s=stats.elapsed_s,
        orders=int(orders) if isinstance(orders, int) else stats.commands,
        refusals=dict(refusals) if isinstance(refusals, dict) else {},
        risk_events=dict(risk_events) if isinstance(risk_events, dict) else {},
        seed=seed,
        account_failed=bool(failed),
    )
