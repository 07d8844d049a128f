"""The trading kernel: one synchronous core, event in, commands out.

    market data -> books and marks -> risk -> sleeves -> portfolio -> execution -> commands
    venue events -> execution -> portfolio and risk -> sleeves -> commands

The backtester and the live process both drive this object; neither holds trading logic.  It
reads time only from its injected clock, keeps timers as data (the driver asks `next_timer_ns`
and calls `fire_timers`), and does no I/O: log lines and risk events are handed to a sink.

Trading days follow Topstep's 17:00 Chicago boundary.  At each new day the account rules engine
closes the previous day (balance, floor, winning days, next day's scaling tier) and the risk
engine starts the new one; the session's open, cutoff and close arrive as timers, so they happen
even when no data does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.book.l2 import PriceBook
from bot.engine.context import KernelContext
from bot.engine.results import DayResult, FillRow
from bot.engine.sessions import SessionSchedule
from bot.execution.engine import ExecutionEngine, ExecutionOutput
from bot.instruments.specs import Instrument
from bot.model.clock import Clock, TimerQueue
from bot.model.commands import Command
from bot.model.events import (
    BarEvent,
    BookDelta,
    Event,
    MarketDataStatus,
    RiskStateChanged,
    SessionEvent,
    SessionKind,
    TimerFired,
    TradeEvent,
)
from bot.model.fills import Fill
from bot.model.units import to_datetime
from bot.portfolio.portfolio import Portfolio
from bot.risk.engine import RiskAction, RiskEngine, RiskEvent
from bot.rules.account import AccountState, DayPnl, apply_day
from bot.rules.profiles import AccountRules
from bot.strategy.base import Sleeve
from bot.strategy.intents import Quotes, ReleaseTarget, TargetPosition

KERNEL = "kernel"
LogSink = Callable[[str, str, Mapping[str, Any]], None]  # (source, message, fields)
RiskSink = Callable[[RiskEvent], None]


def drop_log(source: str, message: str, fields: Mapping[str, Any]) -> None:
    """The default log sink: nothing (a backtest counts; the live process logs)."""


@dataclass(slots=True)
class _DayTally:
    """What the kernel measures of the day in progress."""

    day: date
    start_ns: int = 0  # the day's span by the 17:00 Chicago rule: [start_ns, end_ns)
    end_ns: int = 0
    low_cents: int = 0
    max_contracts: int = 0
    halted: bool = False
    sleeve_start_cents: dict[str, int] = field(default_factory=dict)


class TradingKernel:
    """Sleeves, portfolio, risk and execution wired in one direction."""

    def __init__(
        self,
        *,
        clock: Clock,
        instruments: Mapping[str, Instrument],
        schedule: SessionSchedule,
        risk: RiskEngine,
        rules: AccountRules,
        account: AccountState,
        sleeves: list[Sleeve],
        portfolio: Portfolio,
        execution: ExecutionEngine,
        log_sink: LogSink = drop_log,
        risk_sink: RiskSink | None = None,
    ) -> None:
        self.clock = clock
        self.instruments = instruments
        self.schedule = schedule
        self.risk = risk
        self.rules = rules
        self.account = account
        self.sleeves = sleeves
        self.portfolio = portfolio
        self.execution = execution
        self.books: dict[str, PriceBook] = {}
        self.timers = TimerQueue()
        self.days: list[DayResult] = []
        self.fills: list[FillRow] = []
        self.orders_sent = 0
        self.refusals: dict[str, int] = {}
        self.risk_event_counts: dict[str, int] = {}
        self.signals: dict[str, str] = {}  # published by sleeves (`SleeveContext.publish`)
        self.fast_paths = True  # False: every event takes the full path (the reference)
        self._log_sink = log_sink
        self._risk_sink = risk_sink
        self._named = {s.name: s for s in sleeves}  # fills and timers name their sleeve
        self._contexts = {s.name: KernelContext(self, s.name) for s in sleeves}
        self._by_symbol: dict[str, list[Sleeve]] = {}
        for sleeve in sleeves:
            for symbol in sleeve.symbols:
                self._by_symbol.setdefault(symbol, []).append(sleeve)
        # per market-data callback and symbol: the sleeves that override it (the base class's
        # callbacks do nothing, so calling them changes nothing)
        self._listeners: dict[str, dict[str, list[Sleeve]]] = {
            name: {
                symbol: [s for s in subscribed if _overrides(s, name)]
                for symbol, subscribed in self._by_symbol.items()
            }
            for name in ("on_book", "on_trade", "on_bar")
        }
        self._tally: _DayTally | None = None
        self._traded: set[str] = set()  # symbols with a trade print: marks from trades
        self._pending_actions: list[RiskAction] = []  # the risk engine's asks, acted on in order
        self._last_state = str(risk.state)
        self._dispatch: dict[type, Callable[[Any], list[Command]]] = {
            BookDelta: self._on_book,
            TradeEvent: self._on_trade,
            BarEvent: self._on_bar,
            MarketDataStatus: self._on_data_status,
            TimerFired: self._on_timer,
        }

    # ---- driving ----------------------------------------------------------------------------

    def start(self) -> list[Command]:
        """Before any data: sleeves start, the trading day in progress begins."""
        for sleeve in self.sleeves:
            self._call(sleeve, sleeve.on_start)
        return self._roll_day(self.clock.now_ns())

    def resume(self, day: date, low_cents: int) -> list[Command]:
        """`start` after a restart, with the risk engine restored to trading day `day` (the
        journal's).  A `day` already over (the process was down at 17:00 CT) becomes the day in
        progress again, so the first roll closes it through the account rules as any day ends
        (its P&L: the restored risk day; its low: `low_cents` at most) before the new day
        starts from the resulting balance, floor, winning days and tier.  The same day is
        resumed by the risk engine, keeping its low."""
        if day < self.schedule.day_of_ns(self.clock.now_ns()):
            self._tally = _DayTally(day, low_cents=min(low_cents, 0))
        commands = self.start()
        tally = self._tally
        if tally is not None and tally.day == day:
            tally.low_cents = min(tally.low_cents, low_cents)
        return commands

    def day_low(self) -> tuple[date, int] | None:
        """The trading day in progress and its lowest net P&L so far (journalled by the live
        process, for a day whose end it misses)."""
        tally = self._tally
        return None if tally is None else (tally.day, tally.low_cents)

    def handle(self, event: Event) -> list[Command]:
        """One event at the clock's current time; the commands it causes, in order."""
        now = self.clock.now_ns()
        commands = self._roll_day(now)
        handler = self._dispatch.get(type(event))
        if handler is not None:
            commands += handler(event)
        else:
            commands += self._apply(self.execution.on_event(event, now))
        return commands + self._after_event(now)

    def next_timer_ns(self) -> int | None:
        """When the driver must call `fire_timers` next: a session or sleeve timer, or an
        execution deadline (a stop's acknowledgement, a quote held back by the rate cap)."""
        due = self.timers.next_due()
        deadline = self.execution.next_deadline_ns(self.clock.now_ns())
        if deadline is None:
            return due
        return deadline if due is None else min(due, deadline)

    def fire_timers(self, now_ns: int) -> list[Command]:
        """Every timer due by `now_ns` (the clock already reads `now_ns`)."""
        commands = self._roll_day(now_ns)
        for fired in self.timers.pop_due(now_ns):
            commands += self._on_timer(fired)
        commands += self._apply(self.execution.check_timeouts(now_ns))
        return commands + self._after_event(now_ns)

    def finish(self) -> list[Command]:
        """End of data: cancel and flatten everything (the driver delivers the fills)."""
        now = self.clock.now_ns()
        commands = self._apply(self.execution.cancel_all("end of data", now))
        commands += self._apply(self.execution.flatten_all("end of data", now))
        return commands

    def close_books(self) -> None:
        """After the last fills of `finish` are in: record the day in progress."""
        self._close_day(self.clock.now_ns())

    # ---- market data ------------------------------------------------------------------------

    def _on_book(self, event: BookDelta) -> list[Command]:
        symbol = event.symbol
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = PriceBook()
        if event.snapshot:
            book.clear()
        execution = self.execution
        for level in event.levels:
            book.set_level(level.side_index, level.price_ticks, level.size, level.count)
            execution.on_book_level(symbol, level.side_index, level.price_ticks, level.size)
        if symbol not in self.risk.marks or not self._has_trades(symbol):
            mid = _mid(book)
            if mid is not None:
                self._mark(symbol, mid, mid, mid)
        for sleeve in self._subscribed("on_book", symbol):
            self._call(sleeve, sleeve.on_book, symbol, book)
        return self._sync()

    def _on_trade(self, event: TradeEvent) -> list[Command]:
        trade = event.trade
        self._traded.add(trade.symbol)
        self.execution.on_trade(trade.symbol, trade.price_ticks, trade.size)
        self._mark(trade.symbol, trade.price_ticks, trade.price_ticks, trade.price_ticks)
        for sleeve in self._subscribed("on_trade", trade.symbol):
            self._call(sleeve, sleeve.on_trade, trade)
        return self._sync()

    def _on_bar(self, event: BarEvent) -> list[Command]:
        bar = event.bar
        self._mark(bar.symbol, bar.close, bar.low, bar.high)
        for sleeve in self._subscribed("on_bar", bar.symbol):
            self._call(sleeve, sleeve.on_bar, bar)
        return self._sync()

    def _on_data_status(self, event: MarketDataStatus) -> list[Command]:
        key = f"market_data:{event.symbol}"
        now = to_datetime(event.ts_ns)
        reason = event.reason or "market data unusable"
        if event.ok:
            self.risk.unblock(key, now)
        else:
            self.risk.block(key, reason, now)
        return self._apply(
            self.execution.set_market_data(event.symbol, event.ok, reason, event.ts_ns)
        )

    def _subscribed(self, callback: str, symbol: str) -> list[Sleeve]:
        """The sleeves on `symbol` to call `callback` of (every one on the reference path)."""
        if self.fast_paths:
            return self._listeners[callback].get(symbol, [])
        return self._by_symbol.get(symbol, [])

    def _has_trades(self, symbol: str) -> bool:
        return symbol in self._traded

    def _mark(self, symbol: str, price: int, low: int, high: int) -> None:
        """New mark for risk and portfolio; the day's low counts the bar's adverse extreme."""
        now = self.clock.now_ns()
        for name, reason in self.portfolio.mark(symbol, price, now):
            self.log(name, "sleeve switched off", {"reason": reason})
        self._pending_actions.extend(self.risk.on_mark(symbol, price, to_datetime(now)))
        tally = self._tally
        if tally is None:
            return
        position = self.risk.positions.get(symbol)
        net = self.risk.day_net_cents()
        if position is not None and position.lots:
            worst = low if position.sign > 0 else high
            net += position.unrealized_cents(worst) - position.unrealized_cents(price)
        tally.low_cents = min(tally.low_cents, net)

    # ---- timers and sessions ----------------------------------------------------------------

    def _on_timer(self, fired: TimerFired) -> list[Command]:
        if fired.owner == KERNEL:
            return self._on_session_timer(fired)
        sleeve = self._sleeve(fired.owner)
        if sleeve is not None:
            self._call(sleeve, sleeve.on_timer, fired.name)
        return self._sync()

    def _on_session_timer(self, fired: TimerFired) -> list[Command]:
        kind = SessionKind(fired.name)
        tally = self._tally
        day = tally.day if tally is not None else self.schedule.day_of_ns(fired.ts_ns)
        event = SessionEvent(fired.ts_ns, kind, day)
        self.log(KERNEL, f"session {kind}", {"day": day.isoformat()})
        for sleeve in self.sleeves:
            self._call(sleeve, sleeve.on_session, event)
        commands = self._sync()
        if kind in (SessionKind.CUTOFF, SessionKind.CLOSE):
            self._pending_actions.extend(self.risk.on_clock(to_datetime(fired.ts_ns)))
        return commands

    def _roll_day(self, now_ns: int) -> list[Command]:
        """Close the previous trading day and start the one `now_ns` falls in, if it changed."""
        tally = self._tally
        if tally is not None and tally.start_ns <= now_ns < tally.end_ns and self.fast_paths:
            return []  # within the day in progress (its span is the day's by `day_of_ns`)
        day = self.schedule.day_of_ns(now_ns)
        if tally is not None and tally.day == day:
            return []
        if tally is not None:
            self._close_day(now_ns)
        window = self.schedule.window(day)
        for name in self.portfolio.new_day(now_ns):
            self.log(name, "sleeve switched on", {"reason": "new trading day"})
        start = {s.name: self.portfolio.net_cents(s.name) for s in self.sleeves}
        start_ns, end_ns = self.schedule.day_span_ns(now_ns)
        self._tally = _DayTally(day, start_ns, end_ns, sleeve_start_cents=start)
        if self.account.failed:
            return []
        commands: list[Command] = []
        if window.tradable:
            self._pending_actions.extend(
                self.risk.start_day(day, self.account, to_datetime(now_ns))
            )
            if str(self.risk.state) == "ACTIVE":  # yesterday's cutoff flatten is over
                commands += self._apply(self.execution.resume(now_ns))
            for kind, at in (
                (SessionKind.OPEN, window.open_ns),
                (SessionKind.CUTOFF, window.cutoff_ns),
                (SessionKind.CLOSE, window.close_ns),
            ):
                if at > now_ns:
                    self.timers.set(KERNEL, str(kind), at)
                elif kind is SessionKind.OPEN and now_ns < window.cutoff_ns:
                    # the day began inside its session (data from after the open): the sleeves
                    # still hear the open, at once, so "pre-open" never outlasts the open
                    self.timers.set(KERNEL, str(kind), now_ns)
        new_day = SessionEvent(now_ns, SessionKind.NEW_DAY, day)
        for sleeve in self.sleeves:
            self._call(sleeve, sleeve.on_session, new_day)
        return commands + self._sync()

    def _close_day(self, now_ns: int) -> None:
        tally = self._tally
        if tally is None or not self.schedule.window(tally.day).tradable:
            return
        self._tally = None
        net = self.risk.day_net_cents()
        low = min(tally.low_cents, net, 0)
        if self.account.failed:
            return
        self.account, outcome = apply_day(self.rules, self.account, DayPnl(tally.day, net, low))
        sleeves = {
            s.name: self.portfolio.net_cents(s.name) - tally.sleeve_start_cents.get(s.name, 0)
            for s in self.sleeves
        }
        self.days.append(
            DayResult(
                day=tally.day,
                net_cents=net,
                low_cents=low,
                sleeve_net_cents=sleeves,
                max_contracts=tally.max_contracts,
                halted=tally.halted,
                dll_hit=outcome.dll_hit,
            )
        )
        self.log(
            KERNEL,
            "day closed",
            {
                "day": tally.day.isoformat(),
                "net_cents": net,
                "low_cents": low,
                "balance_cents": outcome.balance_cents,
                "floor_cents": outcome.mll_floor_cents,
                "account_failed": outcome.account_failed,
            },
        )

    # ---- sleeves -----------------------------------------------------------------------------

    def _sleeve(self, name: str) -> Sleeve | None:
        return self._named.get(name)

    def _call(self, sleeve: Sleeve, method: Callable[..., None], *args: Any) -> None:
        """Run one callback, isolated: a sleeve that raises is switched off, the rest go on."""
        if self.portfolio.off_reason(sleeve.name) is not None:
            return
        ctx = self._contexts[sleeve.name]
        try:
            method(ctx, *args)
        except Exception as exc:  # a strategy bug must not stop the account
            ctx.intents.clear()
            ctx.timers.clear()
            self._switch_off(sleeve.name, f"{type(exc).__name__} in {method.__name__}: {exc}")

    def _switch_off(self, name: str, reason: str) -> None:
        if self.portfolio.switch_off(name, reason, self.clock.now_ns()):
            self.log(name, "sleeve switched off", {"reason": reason})

    @property
    def switched_off(self) -> dict[str, str]:
        """Sleeves switched off (a callback raised, or their drawdown limit), with why."""
        found = ((s.name, self.portfolio.off_reason(s.name)) for s in self.sleeves)
        return {name: why for name, why in found if why is not None}

    def _take_intents(self) -> bool:
        """Move every sleeve's buffered intents and timers into the portfolio and timer queue."""
        changed = False
        now = self.clock.now_ns()
        for name, ctx in self._contexts.items():
            if ctx.timers:
                for timer_name, at in ctx.timers:
                    if at is None:
                        self.timers.cancel(name, timer_name)
                    else:
                        self.timers.set(name, timer_name, at)
                ctx.timers.clear()
            if not ctx.intents:
                continue
            changed = True
            for intent in ctx.intents:
                if isinstance(intent, TargetPosition):
                    self.portfolio.set_target(name, intent, now)
                elif isinstance(intent, Quotes):
                    self.portfolio.set_quotes(name, intent, now)
                elif isinstance(intent, ReleaseTarget):
                    self.portfolio.release_target(name, intent.symbol)
            ctx.intents.clear()
        return changed

    def _sync(self) -> list[Command]:
        if not self._take_intents():
            return []
        self.portfolio.set_buffer(self.risk.buffer_cents())
        return self._apply(self.execution.sync(self.clock.now_ns()))

    # ---- execution results -----------------------------------------------------------------

    def _apply(self, out: ExecutionOutput) -> list[Command]:
        """Deliver fills and updates to sleeves, count what happened; the commands owed."""
        commands = list(out.commands)
        self.orders_sent += out.orders_sent
        self._pending_actions.extend(out.risk_actions)  # acted on in `_after_event`
        for name, reason in out.switched_off:
            self.log(name, "sleeve switched off", {"reason": reason})
        for sleeve_name, fill in out.fills:
            self._record_fill(sleeve_name, fill)
            sleeve = self._sleeve(sleeve_name)
            if sleeve is not None:
                self._call(sleeve, sleeve.on_fill, fill)
        for sleeve_name, update in out.updates:
            if update.status == "refused":
                key = update.reason.split(":")[0][:80]
                self.refusals[key] = self.refusals.get(key, 0) + 1
            sleeve = self._sleeve(sleeve_name)
            if sleeve is not None:
                self._call(sleeve, sleeve.on_order_update, update)
        if out.fills:
            tally = self._tally
            if tally is not None:
                held = sum(abs(p.qty) for p in self.risk.positions.values())
                tally.max_contracts = max(tally.max_contracts, held)
        if out.fills or out.updates:
            commands += self._sync()
        return commands

    def _record_fill(self, sleeve: str, fill: Fill) -> None:
        self.fills.append(
            FillRow(
                fill.ts_ns,
                sleeve,
                fill.symbol,
                int(fill.side),
                fill.qty,
                fill.price_ticks,
                fill.fee_cents,
                fill.order_id,
                str(fill.liquidity),
            )
        )

    def _after_event(self, now_ns: int) -> list[Command]:
        """Risk actions owed (flatten, cancel), risk-state changes to sleeves, events counted."""
        commands: list[Command] = []
        while self._pending_actions:
            actions, self._pending_actions = self._pending_actions, []
            commands += self._apply(self.execution.apply_risk_actions(actions, now_ns))
        state = str(self.risk.state)
        if state != self._last_state:
            self._last_state = state
            if self._tally is not None and state.startswith("HALTED"):
                self._tally.halted = True
            if state == "ACTIVE":  # a new day or an operator's clear: trade again
                commands += self._apply(self.execution.resume(now_ns))
            change = RiskStateChanged(now_ns, state, self.risk.state_reason)
            for sleeve in self.sleeves:
                self._call(sleeve, sleeve.on_risk_state, change)
            commands += self._sync()
        fast = self.fast_paths  # draining an empty list hands over nothing
        if self.risk.events or not fast:
            for event in self.risk.drain_events():
                counts = self.risk_event_counts
                counts[event.event] = counts.get(event.event, 0) + 1
                if self._risk_sink is not None:
                    self._risk_sink(event)
        if self.execution.events or not fast:
            for log in self.execution.drain_events():
                self.log("execution", log.event, log.fields)
        if self.portfolio.events or not fast:
            for pevent in self.portfolio.drain_events():
                self.log("portfolio", pevent.event, pevent.fields)
        return commands

    def log(self, source: str, message: str, fields: Mapping[str, Any]) -> None:
        self._log_sink(source, message, fields)


def _overrides(sleeve: Sleeve, callback: str) -> bool:
    """Does `sleeve` do anything on `callback` (not the base class's empty method)?"""
    method = getattr(sleeve, callback)
    return getattr(method, "__func__", None) is not getattr(Sleeve, callback)


def _mid(book: PriceBook) -> int | None:
    bid, ask = book.best_price(0), book.best_price(1)
    if bid is None or ask is None:
        return None
    return (bid + ask) // 2
