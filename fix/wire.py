"""Raw FIX text as plain Python data, so no borrowed SWIG object outlives its callback.

QuickFIX hands callbacks a `Message` that is only valid during the call; the callback copies
`toString()` and everything after that works on these tuples, on any thread.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

SOH = "\x01"


class FixFields:
    """The (tag, value) pairs of one message in wire order; repeating groups stay flat."""

    __slots__ = ("_first", "pairs")

    def __init__(self, pairs: list[tuple[int, str]]) -> None:
        self.pairs = pairs
        first: dict[int, str] = {}
        for tag, value in pairs:
            first.setdefault(tag, value)
        self._first = first

    @classmethod
    def parse(cls, raw: str) -> FixFields:
        """Split `8=FIX.4.4<SOH>9=...`; a malformed pair raises ValueError."""
        pairs: list[tuple[int, str]] = []
        for item in raw.split(SOH):
            if not item:
                continue
            tag, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"malformed FIX field {item[:20]!r}")
            pairs.append((int(tag), value))
        return cls(pairs)

    def get(self, tag: int, default: str | None = None) -> str | None:
        return self._first.get(tag, default)

    def require(self, tag: int) -> str:
        value = self._first.get(tag)
        if value is None:
            raise KeyError(tag)
        return value

    def get_all(self, tag: int) -> list[str]:
        return [v for t, v in self.pairs if t == tag]

    def has(self, tag: int) -> bool:
        return tag in self._first

    @property
    def msg_type(self) -> str:
        return self._first.get(35, "")

    def groups(self, count_tag: int, delimiter: int) -> list[dict[int, str]]:
        """Entries of a repeating group: each starts at its delimiter tag."""
        out: list[dict[int, str]] = []
        inside = False
        current: dict[int, str] = {}
        for tag, value in self.pairs:
            if tag == count_tag:
                inside = True
                continue
            if not inside:
                continue
            if tag == 10:  # the trailer ends every group
                break
            if tag == delimiter:
                current = {tag: value}
                out.append(current)
            elif out and tag not in current:
                current[tag] = value
            elif out:
                break
        return out

    def __repr__(self) -> str:
        return "|".join(f"{t}={v}" for t, v in self.pairs)


_second: tuple[int, str] = (-1, "")  # (epoch second, its "YYYYMMDD-HH:MM:SS." text)


def utc_timestamp_ms(now: datetime | None = None) -> str:
    """FIX UTCTimestamp with explicit milliseconds (QuickFIX's TransactTime() defaults to s).

    For the current time the date and seconds are formatted once per second (strftime took
    ~10 us of every order's send path); any thread may call it (the cache is one tuple)."""
    if now is not None:
        return now.strftime("%Y%m%d-%H:%M:%S.") + f"{now.microsecond // 1000:03d}"
    global _second
    second, millis = divmod(time.time_ns() // 1_000_000, 1000)
    cached = _second
    if cached[0] != second:
        cached = _second = (
            second,
            datetime.fromtimestamp(second, UTC).strftime("%Y%m%d-%H:%M:%S."),
        )
    return f"{cached[1]}{millis:03d}"


def format_decimal(value: Decimal) -> str:
    """A price for the wire: plain notation, no exponent, no trailing zeros beyond the tick."""
    text = format(value.normalize(), "f")
    return text


def price_text(ticks: int, tick_size: Decimal) -> str:
    """Ticks to the exact decimal text on the wire (never through a C++ double)."""
    return format_decimal(ticks * tick_size)
