"""The backtest's result types live with the kernel that records them (the engine must never
import the backtester); re-exported here for the backtest's writers."""

from bot.engine.results import BacktestResult, DataFile, DayResult, FillRow

__all__ = ["BacktestResult", "DataFile", "DayResult", "FillRow"]
