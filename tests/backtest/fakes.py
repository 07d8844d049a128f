"""A stand-in kernel for driving the loop in tests: it checks on every call that nothing it is
handed lies in the clock's future, records what it saw, and acts through a small script."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from bot.engine.results import DayResult, FillRow
from bot.model.clock import SimulatedClock, TimerQueue
from bot.model.commands import Command, SubmitOrder
from bot.model.events import BarEvent, BookDelta, Event, OrderFilled, TradeEvent
from bot.model.ids import OrderIdFactory
from bot.model.orders import Order, OrderType
from bot.model.side import Side

E = TypeVar("E")
Script = Callable[["FakeKernel", Event], list[Command]]


def data_time(event: Event) -> int:
    """The newest market time an event reveals."""
    if isinstance(event, BarEvent):
        return event.bar.end_ns
    if isinstance(event, TradeEvent):
        return event.trade.ts_ns
    if isinstance(event, OrderFilled):
        return event.fill.ts_ns
    return event.ts_ns


class FakeKernel:
    def __init__(self, clock: SimulatedClock, script: Script | None = None) -> None:
        self.clock = clock
        self.script = script
        self.days: list[DayResult] = []
        self.fills: list[FillRow] = []
        self.events: list[Event] = []
        self.timers = TimerQueue()
        self.timer_log: list[tuple[int, str, int | None]] = []  # (now, name, last bar end seen)
        self.max_seen = 0
        self.last_bar_end: int | None = None
        self.ids = OrderIdFactory("t")
        self.finish_commands: list[Command] = []
        self.closed = False
        self.flags: set[str] = set()  # for scripts: "sent", "armed"...
        self.backtest: Any = None  # the Backtest that ran this kernel (set by the fixture)

    # ---- the kernel protocol
    def start(self) -> list[Command]:
        return []

    def handle(self, event: Event) -> list[Command]:
        now = self.clock.now_ns()
        seen = data_time(event)
        assert event.ts_ns == now, (event, now)
        assert seen <= now, f"look-ahead: {event} at clock {now}"
        self.max_seen = max(self.max_seen, seen)
        self.events.append(event)
        if isinstance(event, BarEvent):
            self.last_bar_end = event.bar.end_ns
        if isinstance(event, OrderFilled):
            f = event.fill
            self.fills.append(
                FillRow(f.ts_ns, "test", f.symbol, int(f.side), f.qty, f.price_ticks,
                        f.fee_cents, f.order_id, str(f.liquidity))
            )  # fmt: skip
        return self.script(self, event) if self.script else []

    def next_timer_ns(self) -> int | None:
        return self.timers.next_due()

    def fire_timers(self, now_ns: int) -> list[Command]:
        assert self.clock.now_ns() == now_ns
        for fired in self.timers.pop_due(now_ns):
            self.timer_log.append((now_ns, fired.name, self.last_bar_end))
        return []

    def finish(self) -> list[Command]:
        return self.finish_commands

    def close_books(self) -> None:
        self.closed = True

    # ---- helpers for scripts
    def order(
        self, side: Side, qty: int = 1, kind: OrderType = OrderType.MARKET,
        price: int | None = None, trigger: int | None = None, symbol: str = "MES",
    ) -> SubmitOrder:  # fmt: skip
        oid = self.ids.next()
        return SubmitOrder(
            Order(oid, symbol, side, qty, kind, price, trigger, created_ns=self.clock.now_ns())
        )

    def of_type(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    def books(self) -> list[BookDelta]:
        return [e for e in self.events if isinstance(e, BookDelta)]
