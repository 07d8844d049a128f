"""A one-line progress bar on stderr, for a person watching a long backtest on a terminal.

Silent unless the stream is a terminal and the run has lasted `delay_s` (so tests, CI, pipes
and short runs print nothing), and redrawn at most every `interval_s`.  `update` is cheap but
reads the clock: call it every few thousand events, not every event.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

BAR_WIDTH = 30


class Progress:
    """`with Progress(total) as bar: ... bar.update(done)`; `total` 0 or None if unknown."""

    def __init__(
        self,
        total: int | None = None,
        unit: str = "events",
        stream: TextIO | None = None,
        delay_s: float = 3.0,
        interval_s: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.total = total or 0
        self.unit = unit
        self.interval_s = interval_s
        self._clock = clock
        self._start = clock()
        self._next = self._start + delay_s
        self._enabled = _is_terminal(self.stream)
        self._shown = False

    def update(self, done: int) -> None:
        if not self._enabled:
            return
        now = self._clock()
        if now < self._next:
            return
        self._next = now + self.interval_s
        self._write("\r" + self.line(done, now - self._start) + "\x1b[K")
        self._shown = self._enabled

    def line(self, done: int, elapsed_s: float) -> str:
        """The bar's text: fraction, count, rate and, when the total is known, time left."""
        rate = done / elapsed_s if elapsed_s > 0 else 0.0
        text = f"{done:,} {self.unit}  {rate:,.0f}/s  {elapsed_s:.0f} s"
        if self.total <= 0:
            return text
        share = min(1.0, done / self.total)
        filled = int(share * BAR_WIDTH)
        left = (self.total - done) / rate if rate > 0 else 0.0
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"[{bar}] {share:6.1%}  {text}  ~{max(0.0, left):.0f} s left"

    def close(self) -> None:
        """End the line if anything was drawn, so later output starts on a fresh line."""
        if self._shown:
            self._write("\n")
            self._shown = False

    def _write(self, text: str) -> None:
        """A terminal that went away ends the bar, never the backtest."""
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self._enabled = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or file-less stream is no terminal
        return False
