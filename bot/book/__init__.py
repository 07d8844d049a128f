"""Order books for one instrument: L3 (market by order), L2 (market by price), tape and bars.

Pure domain code: no I/O, prices in integer ticks, sizes in lots.  Shared by the live bot, the
backtester and the exchange simulator, so the L3 API in `bot.book.l3` is kept stable.
"""

from bot.book.bars import Bar, BarBuilder
from bot.book.l2 import PriceBook
from bot.book.l3 import OrderBook
from bot.book.mbo import MboBook, MboRecord, Phase
from bot.book.tape import Trade, TradeTape
from bot.book.types import Level, Order, Side

__all__ = [
    "Bar",
    "BarBuilder",
    "Level",
    "MboBook",
    "MboRecord",
    "Order",
    "OrderBook",
    "Phase",
    "PriceBook",
    "Side",
    "Trade",
    "TradeTape",
]
