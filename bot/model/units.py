"""Units of the domain, as named integers: prices in ticks, sizes in lots, money in cents, time
in nanoseconds since the Unix epoch (UTC).  Plain aliases: they document what an int holds at no
cost on the hot paths; conversion to decimal prices, dollars and datetimes happens at the edges.
"""

from __future__ import annotations

from datetime import UTC, datetime

Ticks = int  # a price as a whole number of the instrument's tick size
Lots = int  # contracts; signed where it is a position (+ long, - short)
Cents = int  # money, integer cents
Nanos = int  # a time: nanoseconds since 1970-01-01T00:00:00Z

NS_PER_SECOND: Nanos = 1_000_000_000
NS_PER_MS: Nanos = 1_000_000


def to_datetime(ts_ns: Nanos) -> datetime:
    """A UTC datetime for a nanosecond timestamp (microsecond resolution)."""
    return datetime.fromtimestamp(ts_ns // 1000 / 1_000_000, tz=UTC)


def to_nanos(ts: datetime) -> Nanos:
    """Nanoseconds since the epoch for an aware datetime."""
    if ts.tzinfo is None:
        raise ValueError("a naive datetime has no defined instant")
    delta = ts - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_SECOND + delta.microseconds * 1000
