"""One clock protocol for both worlds, and timers as data.

Pure code reads time only from a `Clock`.  Timers are kept in a `TimerQueue` that the driving loop
consults: the backtest merges `next_due()` with its data, the live loop sleeps until it.  Neither
the kernel nor a sleeve ever sleeps or reads the wall clock.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Protocol

from bot.model.events import TimerFired
from bot.model.units import to_datetime


class Clock(Protocol):
    def now_ns(self) -> int: ...


class SimulatedClock:
    """Time moves only when the backtest (or a test) says so, and never backwards."""

    __slots__ = ("_now",)

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        return self._now

    def now(self) -> datetime:
        return to_datetime(self._now)

    def advance_to(self, ts_ns: int) -> None:
        self._now = max(self._now, ts_ns)


class TimerQueue:
    """One-shot timers by (owner, name); setting a name again replaces the earlier time."""

    __slots__ = ("_heap", "_live", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, str, str]] = []
        self._live: dict[tuple[str, str], int] = {}  # (owner, name) -> seq of the live entry
        self._seq = 0

    def set(self, owner: str, name: str, at_ns: int) -> None:
        self._seq += 1
        self._live[(owner, name)] = self._seq
        heapq.heappush(self._heap, (at_ns, self._seq, owner, name))

    def cancel(self, owner: str, name: str) -> None:
        self._live.pop((owner, name), None)

    def next_due(self) -> int | None:
        heap = self._heap
        while heap and self._live.get((heap[0][2], heap[0][3])) != heap[0][1]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop_due(self, now_ns: int) -> list[TimerFired]:
        """Every live timer due at or before `now_ns`, in time order (ties: set order)."""
        fired: list[TimerFired] = []
        while (due := self.next_due()) is not None and due <= now_ns:
            at, _, owner, name = heapq.heappop(self._heap)
            del self._live[(owner, name)]
            fired.append(TimerFired(at, name, owner))
        return fired

    def __len__(self) -> int:
        return len(self._live)
