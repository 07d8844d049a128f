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
    # For an approved entry: the worst price it was approved to fill at.  A MARKET entry (or a
    # STOP entry already through the market) must go to the venue with this as its protection
    # limit (a marketable limit / stop-limit), so the fill cannot be worse than the reservation.
    entry_bound_ticks: int | None = None


__all__ = ["Decision", "Order", "OrderRequest", "OrderType", "Side"]
