"""Build the risk engine from the validated configuration (the one place settings meet it)."""

from __future__ import annotations

from bot.config import Settings
from bot.instruments.calendar import TradingCalendar
from bot.instruments.specs import instrument_table
from bot.risk.engine import RiskEngine
from bot.risk.limits import RiskLimits


def build_risk_engine(settings: Settings) -> RiskEngine:
    """A risk engine with the configured limits, fees and cutoff, on Chicago's clock.  It starts
    HALTED ("no trading day started") until `start_day` gives it the account's EOD state."""
    calendar = TradingCalendar(flat_by_cutoff=settings.flat_by_cutoff)
    instruments = instrument_table(settings.fee_equity_micro, settings.fee_metal_energy_micro)
    return RiskEngine(RiskLimits.from_settings(settings), instruments, calendar)
