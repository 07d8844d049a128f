"""Misbehaviour on request, for tests: disconnects, slow acks, rejects, dropped messages, gaps.

All counters are touched only on the exchange's worker thread (control calls are queued to it),
so no locking is needed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class FaultPlan:
    """What to break next; the CLI flags set the initial values, the control API changes them."""

    disconnect_after: int | None = None  # drop the connection after N more outgoing app msgs
    ack_delay_s: float = 0.0  # hold every outgoing app message this long (order preserved)
    reject_next: int = 0  # reject the next N new orders with 150=8
    drop_next: int = 0  # lose the next N outgoing app messages on the wire (stored: resent)
    jump_ticks: int = 0  # pending price jump for the synthetic market (applied once)

    def take_reject(self) -> bool:
        if self.reject_next > 0:
            self.reject_next -= 1
            return True
        return False

    def take_drop(self) -> bool:
        if self.drop_next > 0:
            self.drop_next -= 1
            return True
        return False

    def count_disconnect(self) -> bool:
        """True when this outgoing message is the last before the planned disconnect."""
        if self.disconnect_after is None:
            return False
        self.disconnect_after -= 1
        if self.disconnect_after <= 0:
            self.disconnect_after = None
            return True
        return False
