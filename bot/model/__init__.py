"""The domain's vocabulary, imported by every layer: side, units, ids, orders, fills, market data,
events, commands and the clock.  Standard library only; no layer keeps its own encoding."""

from bot.model.clock import Clock, SimulatedClock, TimerQueue
from bot.model.commands import CancelOrder, Command, ReplaceOrder, SubmitOrder
from bot.model.events import (
    BarEvent,
    BookDelta,
    BookLevel,
    CancelRejected,
    Event,
    ExecutionEvent,
    MarketDataStatus,
    MarketEvent,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    RiskStateChanged,
    SessionEvent,
    SessionKind,
    TimerFired,
    TradeEvent,
    VenueStatus,
)
from bot.model.fills import Fill, Liquidity
from bot.model.ids import OrderId, OrderIdFactory
from bot.model.market import Bar, TradeTick
from bot.model.orders import Order, OrderStatus, OrderType, Purpose, TimeInForce
from bot.model.side import Side
from bot.model.units import NS_PER_MS, NS_PER_SECOND, Cents, Lots, Nanos, Ticks

__all__ = [
    "NS_PER_MS",
    "NS_PER_SECOND",
    "Bar",
    "BarEvent",
    "BookDelta",
    "BookLevel",
    "CancelOrder",
    "CancelRejected",
    "Cents",
    "Clock",
    "Command",
    "Event",
    "ExecutionEvent",
    "Fill",
    "Liquidity",
    "Lots",
    "MarketDataStatus",
    "MarketEvent",
    "Nanos",
    "Order",
    "OrderAccepted",
    "OrderCanceled",
    "OrderFilled",
    "OrderId",
    "OrderIdFactory",
    "OrderRejected",
    "OrderReplaced",
    "OrderStatus",
    "OrderType",
    "Purpose",
    "ReplaceOrder",
    "RiskStateChanged",
    "SessionEvent",
    "SessionKind",
    "Side",
    "SimulatedClock",
    "SubmitOrder",
    "Ticks",
    "TimeInForce",
    "TimerFired",
    "TimerQueue",
    "TradeEvent",
    "TradeTick",
    "VenueStatus",
]
