"""Per-sleeve virtual books, netting of the sleeves' intents, and fill attribution."""

from bot.portfolio.book import SleeveBook
from bot.portfolio.portfolio import UNATTRIBUTED, Allocation, Portfolio, PortfolioEvent

__all__ = ["UNATTRIBUTED", "Allocation", "Portfolio", "PortfolioEvent", "SleeveBook"]
