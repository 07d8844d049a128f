"""Per-sleeve virtual books, netting of the sleeves' intents, and fill attribution."""

from bot.portfolio.book import SleeveBook
from bot.portfolio.portfolio import UNATTRIBUTED, Allocation, LogRecord, Portfolio

__all__ = ["UNATTRIBUTED", "Allocation", "LogRecord", "Portfolio", "SleeveBook"]
