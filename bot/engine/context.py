"""The `SleeveContext` the kernel hands each sleeve: reads of kernel state, intents collected.

Intents are buffered here and taken by the kernel after the callback returns, so a sleeve that
raises half-way leaves no half-applied intent behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.book.l2 import PriceBook
from bot.instruments.specs import Instrument
from bot.strategy.base import RestingOrder, SleevePnl
from bot.strategy.intents import Intent, Quotes, QuoteSide, ReleaseTarget, TargetPosition

if TYPE_CHECKING:
    from bot.engine.kernel import TradingKernel


class KernelContext:
    """One per sleeve; cheap to call on the hot path (no copies, no allocation on reads)."""

    __slots__ = ("_k", "intents", "sleeve", "timers")

    def __init__(self, kernel: TradingKernel, sleeve: str) -> None:
        self._k = kernel
        self.sleeve = sleeve
        self.intents: list[Intent] = []
        self.timers: list[tuple[str, int | None]] = []  # (name, at_ns) or (name, None) to cancel

    def now_ns(self) -> int:
        return self._k.clock.now_ns()

    def instrument(self, symbol: str) -> Instrument:
        return self._k.instruments[symbol]

    def book(self, symbol: str) -> PriceBook | None:
        return self._k.books.get(symbol)

    def position(self, symbol: str) -> int:
        return self._k.portfolio.position(self.sleeve, symbol)

    def pnl(self, symbol: str | None = None) -> SleevePnl:
        return self._k.portfolio.pnl(self.sleeve, symbol)

    def resting(self, symbol: str) -> list[RestingOrder]:
        return self._k.execution.resting(self.sleeve, symbol)

    def risk_state(self) -> str:
        return str(self._k.risk.state)

    def risk_budget_cents(self) -> int:
        return self._k.portfolio.budget_cents(self.sleeve, self._k.risk.buffer_cents())

    def account_position(self, symbol: str) -> int:
        return self._k.portfolio.net_position(symbol)

    def signal(self, name: str) -> str | None:
        return self._k.signals.get(name)

    def publish(self, name: str, value: str) -> None:
        self._k.signals[name] = value

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

    def set_timer(self, name: str, at_ns: int) -> None:
        self.timers.append((name, at_ns))

    def cancel_timer(self, name: str) -> None:
        self.timers.append((name, None))

    def log(self, message: str, **fields: Any) -> None:
        self._k.log(self.sleeve, message, fields)
