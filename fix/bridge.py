"""Hand events from QuickFIX's engine threads to the asyncio loop without blocking either side.

`call_soon_threadsafe` is the only loop method that is safe from another thread, and each call
writes to the loop's self-pipe.  So the engine thread appends to a deque and wakes the loop only
when no wake-up is pending; the loop then hands every queued event to `handler`, in arrival
order, in that one callback (no queue, no task switch), and calls `done` once after the batch.
The deque is unbounded so the engine thread never waits; a closed loop (shutdown) drops the
event quietly.

`Changed` lets coroutines wait for a predicate that synchronous code on the loop thread makes
true (an `asyncio.Condition` needs its lock, i.e. a coroutine, to notify).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_BATCH = 1_000  # events handed over per loop turn


class LoopBridge(Generic[T]):
    """A one-way mailbox from any thread into one asyncio loop."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        handler: Callable[[T], None],
        done: Callable[[], None] | None = None,
    ) -> None:
        self.loop = loop
        self.handler = handler
        self.done = done
        self.dropped = 0
        self.wakeups = 0
        self._items: deque[T] = deque()
        self._scheduled = False

    def post(self, item: T) -> None:
        """Safe from any thread, never blocks; counts the events lost to a closed loop."""
        self._items.append(item)
        if self._scheduled:  # the pending wake-up clears the flag before it drains: it sees this
            return
        self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop is closed: shutting down
            self._scheduled = False
            self.dropped += len(self._items)
            self._items.clear()

    def _drain(self) -> None:
        """Loop thread: the queued events to the handler (at most `MAX_BATCH`, so a burst never
        starves timers and signals), then `done` once."""
        self.wakeups += 1
        self._scheduled = False  # first: an event posted from now on schedules a new wake-up
        items, handler = self._items, self.handler
        try:
            for _ in range(MAX_BATCH):
                if not items:
                    break
                handler(items.popleft())
            if self.done is not None:
                self.done()
        finally:
            if items and not self._scheduled:  # the rest in a later turn of the loop
                self._scheduled = True
                self.loop.call_soon(self._drain)


class Changed:
    """Coroutines wait for a predicate; synchronous code on the loop thread calls `notify`."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        """Wake every waiter to re-check its predicate (cheap when nobody waits)."""
        if not self._waiters:
            return
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        """Return once `predicate()` holds (checked now and after each notify); TimeoutError."""
        if predicate():
            return
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            while not predicate():
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append(waiter)
                await waiter
