"""Build the trading kernel from the validated settings: the one place where settings, account
rules, risk limits, sleeves, portfolio and execution meet.  The backtester and the live process
both call `build_kernel`; they differ only in the clock and the venue they drive it with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app.sleeves import build_sleeves, load_sleeve_specs
from bot.config import Settings
from bot.engine.kernel import LogSink, RiskSink, TradingKernel, drop_log
from bot.engine.sessions import SessionSchedule
from bot.execution.engine import ExecutionConfig, ExecutionEngine
from bot.execution.risk_gate import RiskGate
from bot.instruments.calendar import TradingCalendar
from bot.instruments.specs import Instrument, instrument_table
from bot.model.clock import Clock
from bot.model.ids import OrderIdFactory
from bot.portfolio.portfolio import Allocation, Portfolio
from bot.risk.engine import RiskEngine
from bot.risk.limits import RiskLimits
from bot.rules.account import AccountState
from bot.rules.profiles import AccountRules
from bot.strategy.base import Sleeve
from bot.strategy.config import SleeveSpec


@dataclass(frozen=True, slots=True)
class CoreParts:
    """What a driver needs besides the kernel itself."""

    instruments: dict[str, Instrument]
    schedule: SessionSchedule
    rules: AccountRules


def core_parts(settings: Settings) -> CoreParts:
    calendar = TradingCalendar(flat_by_cutoff=settings.flat_by_cutoff, tz=settings.timezone)
    instruments = instrument_table(settings.fee_equity_micro, settings.fee_metal_energy_micro)
    limits = RiskLimits.from_settings(settings)
    return CoreParts(instruments, SessionSchedule(calendar), limits.rules)


def build_kernel(
    settings: Settings,
    clock: Clock,
    specs: list[SleeveSpec],
    ids: OrderIdFactory,
    *,
    account: AccountState | None = None,
    execution_config: ExecutionConfig | None = None,
    log_sink: LogSink = drop_log,
    risk_sink: RiskSink | None = None,
    sleeves: list[Sleeve] | None = None,
) -> TradingKernel:
    """A kernel with the configured account, limits, calendar, fees and sleeves.  `account` is
    the state at the start (default: a new account of the configured profile).  `sleeves`, when
    given, are sleeve objects built elsewhere (tests, research), one per spec, in spec order;
    the specs still give their names and allocations."""
    if sleeves is not None and [s.name for s in sleeves] != [s.name for s in specs]:
        raise ValueError("prebuilt sleeves must match the specs one to one, in order")
    parts = core_parts(settings)
    limits = RiskLimits.from_settings(settings)
    risk = RiskEngine(limits, parts.instruments, parts.schedule)
    allocations = {
        spec.name: Allocation(
            share=spec.allocation.risk_share,
            max_contracts=spec.allocation.max_contracts,
            max_drawdown_cents=spec.allocation.max_drawdown_cents,
        )
        for spec in specs
    }
    portfolio = Portfolio(parts.instruments, allocations, gap_ticks=limits.gap_allowance_ticks)
    execution = ExecutionEngine(portfolio, RiskGate(risk), ids, execution_config)
    return TradingKernel(
        clock=clock,
        instruments=parts.instruments,
        schedule=parts.schedule,
        risk=risk,
        rules=parts.rules,
        account=account if account is not None else AccountState.initial(parts.rules),
        sleeves=sleeves if sleeves is not None else build_sleeves(specs),
        portfolio=portfolio,
        execution=execution,
        log_sink=log_sink,
        risk_sink=risk_sink,
    )


def build_kernel_from_config(
    settings: Settings,
    clock: Clock,
    sleeves_path: Path | None,
    sleeve_names: list[str] | None,
    ids: OrderIdFactory,
    **kwargs: Any,
) -> TradingKernel:
    """`build_kernel` with the sleeves read from `sleeves_path` (None: the built-in four),
    narrowed to `sleeve_names` (None: all enabled).  Raises `SleeveConfigError`."""
    symbols = frozenset(core_parts(settings).instruments)
    specs = load_sleeve_specs(sleeves_path, sleeve_names, symbols)
    return build_kernel(settings, clock, specs, ids, **kwargs)
