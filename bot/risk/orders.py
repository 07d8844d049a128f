"""What the risk engine is asked to approve (the shared `Order`), and what it answers."""

from __future__ import annotations

from dataclasses import dataclass

from bot.model.orders import Order, OrderType
from bot.model.side import Side

# One vocabulary: the risk engine approves the same `Order` every layer uses.
OrderRequest = Order


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one pre-trade check; `reason` says why, approved or not."""

    approved: bool
    reason: str
    reducing: bool = False
    worst_case_cents: int = 0
    buffer_cents: int = 0


__all__ = ["Decision", "Order", "OrderRequest", "OrderType", "Side"]
