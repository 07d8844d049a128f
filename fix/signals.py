"""The bot's own SIGINT/SIGTERM handling.

Importing quickfix resets the C-level SIGINT handler to SIG_DFL (Ctrl-C would kill the process
without a logout), so every entry point installs its handlers after the import.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from types import FrameType

import quickfix  # noqa: F401  (imported first on purpose: its import resets SIGINT)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def install_loop_stop_signals(loop: asyncio.AbstractEventLoop, on_stop: Callable[[], None]) -> None:
    """Call `on_stop` on the loop for SIGINT and SIGTERM (instead of dying or raising)."""
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, on_stop)


def install_thread_stop_signals(on_stop: Callable[[int], None]) -> None:
    """For a program without a loop: `on_stop(signum)` runs in the main thread."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        on_stop(signum)

    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)
