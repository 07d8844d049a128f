"""The one error market-data readers raise: bad or unreadable input, with a one-line message."""

from __future__ import annotations


class MarketDataError(ValueError):
    """A data file is missing, damaged or of the wrong kind; the message says which and why."""
