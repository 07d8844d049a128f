"""The execution-client interface: one adapter per venue (the in-process simulator for backtests,
the FIX gateway live, later a TopstepX/ProjectX REST+SignalR adapter) sits behind it.

`send` returns at once; whatever the venue does comes back as `ExecutionEvent`s, in order, through
the sink the adapter was built with.  Adapters convert the venue's encodings to the shared model
exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.model.commands import Command
from bot.model.events import Event

EventSink = Callable[[Event], None]


class ExecutionClient(Protocol):
    def send(self, command: Command, now_ns: int) -> None:
        """Hand one command to the venue; never blocks, never raises for venue-side refusals
        (those come back as OrderRejected / CancelRejected events)."""


class MarketDataClient(Protocol):
    def subscribe(self, symbol: str) -> None:
        """Start the instrument's L2 book and trades; data comes back as market events."""
