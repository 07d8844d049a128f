"""A cap on order messages per instrument per sliding window: a market maker can storm the venue.

Every message sent counts; only quote placements and moves are held back when the window is full
(the execution engine keeps the latest wanted quote and sends it when there is room: coalescing).
Cancels, stops, exits and flattens are never held back.
"""

from __future__ import annotations

from collections import deque

from bot.model.units import NS_PER_SECOND


class RateCap:
    __slots__ = ("_sent", "max_messages", "window_ns")

    def __init__(self, max_messages: int, window_ns: int = NS_PER_SECOND) -> None:
        if max_messages <= 0 or window_ns <= 0:
            raise ValueError("the message cap and its window must be positive")
        self.max_messages = max_messages
        self.window_ns = window_ns
        self._sent: dict[str, deque[int]] = {}

    def _window(self, symbol: str, now_ns: int) -> deque[int]:
        sent = self._sent.setdefault(symbol, deque())
        while sent and sent[0] <= now_ns - self.window_ns:
            sent.popleft()
        return sent

    def allows(self, symbol: str, now_ns: int) -> bool:
        """Room for one more non-urgent message now."""
        return len(self._window(symbol, now_ns)) < self.max_messages

    def record(self, symbol: str, now_ns: int) -> None:
        self._window(symbol, now_ns).append(now_ns)

    def count(self, symbol: str, now_ns: int) -> int:
        return len(self._window(symbol, now_ns))

    def next_room_ns(self, symbol: str, now_ns: int) -> int:
        """When a held-back message may go (now if there is room)."""
        sent = self._window(symbol, now_ns)
        if len(sent) < self.max_messages:
            return now_ns
        return sent[len(sent) - self.max_messages] + self.window_ns
