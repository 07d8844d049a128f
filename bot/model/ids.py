"""Order ids: the ClOrdID is made once, when the order is created, and is the same string in the
risk engine, the journal, the portfolio and at the venue."""

from __future__ import annotations

from typing import NewType

OrderId = NewType("OrderId", str)


class OrderIdFactory:
    """Deterministic ids `<prefix>-<n>`.  The prefix names the run (a backtest seed, or the live
    process's start stamp), so ids never repeat across restarts that use a new prefix."""

    __slots__ = ("_next", "prefix")

    def __init__(self, prefix: str, start: int = 1) -> None:
        if not prefix or any(c in prefix for c in "\x01|= "):
            raise ValueError(f"order id prefix {prefix!r} must be non-empty printable text")
        self.prefix = prefix
        self._next = start

    def next(self) -> OrderId:
        n = self._next
        self._next += 1
        return OrderId(f"{self.prefix}-{n}")

    @property
    def issued(self) -> int:
        """How many ids this factory has made (its counter, for persistence)."""
        return self._next - 1
