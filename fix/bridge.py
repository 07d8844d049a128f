"""Hand events from QuickFIX's engine threads to the asyncio loop without blocking either side.

`call_soon_threadsafe` is the only loop method that is safe from another thread; the queue is
unbounded so the engine thread never waits, and a closed loop (shutdown) drops the event quietly.
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class LoopBridge(Generic[T]):
    """A one-way mailbox from any thread into one asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[T] = asyncio.Queue()
        self.dropped = 0

    def post(self, item: T) -> None:
        """Safe from any thread, never blocks; counts the events lost to a closed loop."""
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: shutting down
            self.dropped += 1

    async def get(self) -> T:
        return await self.queue.get()
