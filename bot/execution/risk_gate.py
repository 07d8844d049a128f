"""Every call execution makes to the risk engine, in one module, so the engine's API can change
(issue 8: working stops learnt from approved STOP orders, a replace check, overfill flags)
without touching the order logic."""

from __future__ import annotations

from bot.model.orders import Order
from bot.model.side import Side
from bot.model.units import to_datetime
from bot.risk.engine import RiskAction, RiskEngine, WorkingOrder
from bot.risk.orders import Decision


class RiskGate:
    __slots__ = ("engine",)

    def __init__(self, engine: RiskEngine) -> None:
        self.engine = engine

    def check(self, order: Order, now_ns: int) -> Decision:
        return self.engine.check(order, to_datetime(now_ns))

    def check_replace(self, before: Order, after: Order, now_ns: int) -> Decision:
        """The engine's replace check: `after` judged as if `before` were gone (a stop may move
        closer freely, never widen the worst case past the buffer); refused, `before` stays."""
        return self.engine.check_replace(before.order_id, after, to_datetime(now_ns))

    def undo_replace(self, before: Order, remaining: int, reducing: bool) -> None:
        """The venue refused a replace: the order reserves risk as it was."""
        if remaining > 0:
            self.engine.working[before.order_id] = WorkingOrder(before, remaining, reducing)

    def on_fill(
        self, order_id: str, symbol: str, side: int, qty: int, price: int, now_ns: int
    ) -> list[RiskAction]:
        """A fill of any order (one the engine never approved is applied with its symbol and
        side, and the engine blocks and asks to flatten)."""
        return self.engine.on_fill(
            order_id, qty, price, to_datetime(now_ns), symbol=symbol, side=Side(side)
        )

    def on_done(self, order_id: str, now_ns: int, why: str) -> list[RiskAction]:
        """The order can fill no more; the engine's asks (a stop gone: protect) come back."""
        return self.engine.on_order_done(order_id, to_datetime(now_ns), why)

    def block(self, key: str, reason: str, now_ns: int) -> None:
        self.engine.block(key, reason, to_datetime(now_ns))

    def unblock(self, key: str, now_ns: int) -> None:
        self.engine.unblock(key, to_datetime(now_ns))

    def approved_stops(self, symbol: str) -> list[int]:
        """One stop per open contract as the engine approved it (its lots)."""
        position = self.engine.positions.get(symbol)
        if position is None:
            return []
        return [lot.stop_ticks for lot in position.lots for _ in range(lot.qty)]

    def position(self, symbol: str) -> int:
        position = self.engine.positions.get(symbol)
        return position.qty if position is not None else 0

    def buffer_cents(self) -> int:
        return self.engine.buffer_cents()

    @property
    def gap_ticks(self) -> int:
        return self.engine.limits.gap_allowance_ticks
