"""Commands flow down (kernel -> execution client -> venue).  Submit, replace and cancel return at
once in every adapter; what happened comes back as events."""

from __future__ import annotations

from dataclasses import dataclass

from bot.model.orders import Order


@dataclass(frozen=True, slots=True)
class SubmitOrder:
    order: Order


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    symbol: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReplaceOrder:
    """Change a working order's size or prices; side, type and symbol never change."""

    order_id: str
    symbol: str
    qty: int
    price_ticks: int | None = None
    trigger_ticks: int | None = None


Command = SubmitOrder | CancelOrder | ReplaceOrder
