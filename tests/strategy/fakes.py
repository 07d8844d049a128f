"""A recording `SleeveContext` for unit tests of one sleeve's decisions (the kernel's real
context is exercised by the kernel and backtest tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.book.l2 import PriceBook
from bot.instruments.specs import MICROS, Instrument
from bot.strategy.base import RestingOrder, SleevePnl
from bot.strategy.intents import Intent, Quotes, QuoteSide, ReleaseTarget, TargetPosition


@dataclass
class RecordingContext:
    sleeve: str = "test"
    now: int = 0
    positions: dict[str, int] = field(default_factory=dict)
    state: str = "ACTIVE"
    books: dict[str, PriceBook] = field(default_factory=dict)
    intents: list[Intent] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    account: dict[str, int] = field(default_factory=dict)
    signals: dict[str, str] = field(default_factory=dict)
    rest: dict[str, list[RestingOrder]] = field(default_factory=dict)  # resting quotes
    avg_price: dict[str, float] = field(default_factory=dict)  # average entry, ticks

    def now_ns(self) -> int:
        return self.now

    def instrument(self, symbol: str) -> Instrument:
        return MICROS[symbol]

    def book(self, symbol: str) -> PriceBook | None:
        return self.books.get(symbol)

    def position(self, symbol: str) -> int:
        return self.positions.get(symbol, 0)

    def pnl(self, symbol: str | None = None) -> SleevePnl:
        if symbol is None:
            return SleevePnl(0, 0.0, 0, 0, 0, 0)
        return SleevePnl(self.position(symbol), self.avg_price.get(symbol, 0.0), 0, 0, 0, 0)

    def resting(self, symbol: str) -> list[RestingOrder]:
        return list(self.rest.get(symbol, []))

    def risk_state(self) -> str:
        return self.state

    def risk_budget_cents(self) -> int:
        return 50_000

    def account_position(self, symbol: str) -> int:
        return self.account.get(symbol, self.positions.get(symbol, 0))

    def signal(self, name: str) -> str | None:
        return self.signals.get(name)

    def publish(self, name: str, value: str) -> None:
        self.signals[name] = value

    def target(
        self,
        symbol: str,
        qty: int,
        stop_ticks: int | None = None,
        take_profit_ticks: int | None = None,
        time_stop_ns: int | None = None,
    ) -> None:
        self.intents.append(
            TargetPosition(symbol, qty, stop_ticks, take_profit_ticks, time_stop_ns)
        )

    def quote(
        self, symbol: str, bid: QuoteSide | None, ask: QuoteSide | None, stop_offset_ticks: int
    ) -> None:
        self.intents.append(Quotes(symbol, bid, ask, stop_offset_ticks))

    def release(self, symbol: str) -> None:
        self.intents.append(ReleaseTarget(symbol))

    def set_timer(self, name: str, at_ns: int) -> None: ...

    def cancel_timer(self, name: str) -> None: ...

    def log(self, message: str, **fields: Any) -> None:
        self.logs.append(message)

    def targets(self) -> list[TargetPosition]:
        return [i for i in self.intents if isinstance(i, TargetPosition)]

    def quotes(self) -> list[Quotes]:
        return [i for i in self.intents if isinstance(i, Quotes)]

    def releases(self) -> list[ReleaseTarget]:
        return [i for i in self.intents if isinstance(i, ReleaseTarget)]
