"""Events flow up (venue -> execution -> portfolio and risk -> sleeves); every layer names them
with these types.  Each carries `ts_ns`, the time the bot learned of it (its clock's time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.model.fills import Fill
from bot.model.market import Bar, TradeTick

# ---- market data -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookLevel:
    """One L2 price level change: `size` 0 removes the level.  `side_index` 0 bid, 1 ask."""

    side_index: int
    price_ticks: int
    size: int
    count: int = 0


@dataclass(frozen=True, slots=True)
class BookDelta:
    """Changes to one instrument's L2 book; `snapshot` replaces the whole book first."""

    ts_ns: int
    symbol: str
    levels: tuple[BookLevel, ...]
    snapshot: bool = False


@dataclass(frozen=True, slots=True)
class TradeEvent:
    ts_ns: int
    trade: TradeTick


@dataclass(frozen=True, slots=True)
class BarEvent:
    ts_ns: int  # >= bar.end_ns: a bar is an event only once it has closed
    bar: Bar


@dataclass(frozen=True, slots=True)
class MarketDataStatus:
    """The feed for `symbol` became usable (`ok`) or not (stale, gap, crossed book)."""

    ts_ns: int
    symbol: str
    ok: bool
    reason: str = ""


# ---- execution reports (built once, by the venue's adapter) ---------------------------------


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    ts_ns: int
    order_id: str
    venue_order_id: str = ""


@dataclass(frozen=True, slots=True)
class OrderRejected:
    ts_ns: int
    order_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class OrderCanceled:
    ts_ns: int
    order_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OrderReplaced:
    """A replace took effect; the order keeps its `order_id` (adapters map FIX ClOrdID chains)."""

    ts_ns: int
    order_id: str
    qty: int
    price_ticks: int | None
    trigger_ticks: int | None


@dataclass(frozen=True, slots=True)
class CancelRejected:
    """A cancel or replace was refused; the order is as it was (unless `order_gone`)."""

    ts_ns: int
    order_id: str
    reason: str
    order_gone: bool = False


@dataclass(frozen=True, slots=True)
class OrderFilled:
    ts_ns: int
    fill: Fill


@dataclass(frozen=True, slots=True)
class VenueStatus:
    """The execution session went up or down."""

    ts_ns: int
    up: bool
    reason: str = ""


# ---- time ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimerFired:
    ts_ns: int
    name: str
    owner: str  # the sleeve (or "kernel") that asked for it


class SessionKind(StrEnum):
    NEW_DAY = "new_day"  # a trading day begins (17:00 CT the evening before)
    OPEN = "open"  # new risk allowed
    CUTOFF = "cutoff"  # flat-by: no new risk, positions closed
    CLOSE = "close"  # the product's session closed (or a holiday halt began)


@dataclass(frozen=True, slots=True)
class SessionEvent:
    ts_ns: int
    kind: SessionKind
    day: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RiskStateChanged:
    ts_ns: int
    state: str
    reason: str


MarketEvent = BookDelta | TradeEvent | BarEvent | MarketDataStatus
ExecutionEvent = (
    OrderAccepted
    | OrderRejected
    | OrderCanceled
    | OrderReplaced
    | CancelRejected
    | OrderFilled
    | VenueStatus
)
Event = MarketEvent | ExecutionEvent | TimerFired
