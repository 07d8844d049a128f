"""What a run of the trading core produces, as plain data: the writers (CSV, JSON, HTML) read
only this.  Recorded by the kernel, so it lives beside it; the backtest re-exports it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class DayResult:
    """One trading day of the account, as the account rules see it (money in cents)."""

    day: date
    net_cents: int  # the day's closing net P&L after fees (the DLL day's low if it was hit)
    low_cents: int  # the lowest net P&L reached during the day (<= 0 and <= net)
    sleeve_net_cents: dict[str, int]  # per sleeve; sums to net_cents
    max_contracts: int  # the day's peak absolute position, summed over instruments
    halted: bool  # the risk engine halted (HALTED or HALTED_DAY) during the day
    dll_hit: bool  # the day reached the daily loss limit


@dataclass(frozen=True, slots=True)
class FillRow:
    """One fill as attributed to a sleeve (an account fill may split into several rows)."""

    ts_ns: int
    sleeve: str
    symbol: str
    side: int  # +1 buy, -1 sell
    qty: int
    price_ticks: int
    fee_cents: int
    order_id: str
    liquidity: str


@dataclass(frozen=True, slots=True)
class DataFile:
    path: str
    sha256: str
    kind: str  # "mbo", "mbp-1", "lean", "bar-csv", "synthetic"
    proxy_label: str = ""  # e.g. "SPY x 10 as an MES proxy"


@dataclass(slots=True)
class BacktestResult:
    sleeves: list[str]
    days: list[DayResult] = field(default_factory=list)
    fills: list[FillRow] = field(default_factory=list)
    data_files: list[DataFile] = field(default_factory=list)
    events: int = 0
    elapsed_s: float = 0.0
    orders: int = 0
    refusals: dict[str, int] = field(default_factory=dict)  # reason -> count
    risk_events: dict[str, int] = field(default_factory=dict)  # event kind -> count
    seed: int = 0
    account_failed: bool = False

    @property
    def events_per_s(self) -> float:
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0
