"""Market-data readers (Databento DBN, LEAN bar zips): files in, plain ints and tuples out."""

from bot.marketdata.errors import MarketDataError

__all__ = ["MarketDataError"]
