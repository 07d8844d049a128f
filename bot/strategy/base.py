"""The strategy API: a `Sleeve` reacts to callbacks and answers through its `SleeveContext`.

A sleeve never talks to FIX, files, the wall clock or another sleeve: everything it may read or
do is on the context, which the kernel builds.  The same sleeve object runs in backtests and
live.  Callbacks it does not need stay as the no-op defaults here.  A callback that raises
switches the sleeve off (its targets go to zero); the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from bot.book.l2 import PriceBook
from bot.instruments.specs import Instrument
from bot.model.events import RiskStateChanged, SessionEvent
from bot.model.fills import Fill
from bot.model.market import Bar, TradeTick
from bot.model.side import Side
from bot.strategy.intents import QuoteSide


@dataclass(frozen=True, slots=True)
class RestingOrder:
    """One of the sleeve's own resting quotes, with the estimate of the lots ahead of it in the
    queue at its price (the same estimator live and in backtests)."""

    order_id: str
    side: Side
    price_ticks: int
    qty: int
    queue_ahead: int


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """Something happened to an order that served this sleeve: accepted, refused by the risk
    engine or the venue (with the reason), cancelled, or done."""

    ts_ns: int
    order_id: str
    symbol: str
    status: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SleevePnl:
    """The sleeve's virtual book for one instrument: position, average entry, money in cents."""

    position: int
    avg_price_ticks: float
    realized_cents: int
    unrealized_cents: int
    fees_cents: int
    trades: int

    @property
    def net_cents(self) -> int:
        return self.realized_cents + self.unrealized_cents - self.fees_cents


class SleeveContext(Protocol):
    """What a sleeve can read and do.  Reads are of the state after the current event."""

    @property
    def sleeve(self) -> str: ...

    def now_ns(self) -> int: ...

    def instrument(self, symbol: str) -> Instrument: ...

    def book(self, symbol: str) -> PriceBook | None:
        """The L2 view (the same in backtests as live over FIX), None before any data."""

    def position(self, symbol: str) -> int:
        """This sleeve's virtual position (signed lots)."""

    def pnl(self, symbol: str | None = None) -> SleevePnl:
        """This sleeve's virtual P&L for one instrument, or summed over all when None."""

    def resting(self, symbol: str) -> list[RestingOrder]:
        """This sleeve's resting quotes, with queue-position estimates."""

    def risk_state(self) -> str: ...

    def risk_budget_cents(self) -> int:
        """This sleeve's share of the risk engine's remaining buffer (its allocation)."""

    def account_position(self, symbol: str) -> int:
        """The whole account's net position in `symbol` (all sleeves), e.g. for a hedge."""

    def signal(self, name: str) -> str | None:
        """The latest value another sleeve published under `name` (None if never published).

        The one channel between sleeves: e.g. the tail hedge publishes `regime` ("calm" or
        "shock") and the market maker stands aside in a shock."""

    def publish(self, name: str, value: str) -> None:
        """Publish a signal; every sleeve reads the latest value from its next callback on."""

    # ---- intents: the sleeve's answer -------------------------------------------------------

    def target(
        self,
        symbol: str,
        qty: int,
        stop_ticks: int | None = None,
        take_profit_ticks: int | None = None,
        time_stop_ns: int | None = None,
    ) -> None:
        """Hold `qty` (signed) with a protective stop; replaces this sleeve's earlier target."""

    def quote(
        self, symbol: str, bid: QuoteSide | None, ask: QuoteSide | None, stop_offset_ticks: int
    ) -> None:
        """Rest these quotes (None pulls a side); replaces this sleeve's earlier quotes."""

    def release(self, symbol: str) -> None:
        """Drop this sleeve's target in `symbol` (its fills alone decide its position again)."""

    def set_timer(self, name: str, at_ns: int) -> None: ...

    def cancel_timer(self, name: str) -> None: ...

    def log(self, message: str, **fields: Any) -> None:
        """A structured log line tagged with the sleeve (the kernel's caller writes it)."""


class Sleeve:
    """Base class: override the callbacks the strategy needs.

    `kind` names the sleeve class in `sleeves.toml`; `symbols` are the instruments it trades
    (set from its configuration).  Bar callbacks see a bar only once it has closed.
    """

    kind: ClassVar[str] = "base"

    def __init__(self, name: str, symbols: tuple[str, ...]) -> None:
        self.name = name
        self.symbols = symbols

    def on_start(self, ctx: SleeveContext) -> None:
        """Called once before any data."""

    def on_book(self, ctx: SleeveContext, symbol: str, book: PriceBook) -> None:
        """The L2 book of `symbol` changed (after a whole exchange event, never mid-update)."""

    def on_trade(self, ctx: SleeveContext, trade: TradeTick) -> None: ...

    def on_bar(self, ctx: SleeveContext, bar: Bar) -> None: ...

    def on_fill(self, ctx: SleeveContext, fill: Fill) -> None:
        """A fill attributed to this sleeve (its share of the account's fill)."""

    def on_order_update(self, ctx: SleeveContext, update: OrderUpdate) -> None: ...

    def on_timer(self, ctx: SleeveContext, name: str) -> None: ...

    def on_session(self, ctx: SleeveContext, event: SessionEvent) -> None: ...

    def on_risk_state(self, ctx: SleeveContext, event: RiskStateChanged) -> None: ...


class EntrySleeve(Sleeve):
    """A sleeve that trades through targets with a stop decided on its signal."""

    def on_order_update(self, ctx: SleeveContext, update: OrderUpdate) -> None:
        """An entry refused (risk engine) or rejected (venue) while flat is dropped, not asked
        again every second with a stop the market may have left behind: the next signal
        decides afresh."""
        if update.status in ("refused", "rejected") and ctx.position(update.symbol) == 0:
            ctx.target(update.symbol, 0)
