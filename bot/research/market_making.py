"""Market-making research: the sleeve through the real kernel, risk engine and the simulator's
queue model, on seeded synthetic sessions (MES and MNQ) and on real ES MBO days (as MES).

Method (no look at the data the choice is reported on):
1. every combination of `GRID` runs on the training seeds of the synthetic market; the one with
   the best mean net P&L per session is chosen (ties: the first in grid order);
2. the chosen parameters run on other seeds (test) and on the real days, which took no part in
   the choice, and those are the numbers to quote.

Each run is one `Backtest` with only the market maker, its allocation as in the built-in
configuration, `latency_ms` each way.  Deterministic for the same inputs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app.factory import build_kernel, core_parts
from bot.backtest.feeds import SyntheticFeed
from bot.backtest.market import SYNTHETIC_START, MarketOptions, open_market, synthetic_windows
from bot.backtest.models import FeeModel, LatencyModel
from bot.backtest.runner import Backtest
from bot.backtest.sim_client import SimVenueClient
from bot.config import Settings
from bot.engine.kernel import TradingKernel
from bot.exchange.flow import SyntheticFlow
from bot.exchange.venue import Venue
from bot.model.clock import SimulatedClock
from bot.model.events import Event
from bot.model.ids import OrderIdFactory
from bot.research.mm_metrics import MidTape, SymbolStats, measure
from bot.strategy.config import Allocation, SleeveSpec
from bot.strategy.sleeves import DEFAULT_SLEEVES
from bot.strategy.sleeves.market_making import MarketMakingParams

SLEEVE = "mm"
SYMBOLS = ("MES", "MNQ")
EVENTS_PER_S_PER_SYMBOL = 2.0  # the backtest's synthetic rate (`--synthetic-days`), per symbol
NS_PER_S = 1_000_000_000
# The parameters searched on the training seeds (the rest stay at the defaults).
GRID: Mapping[str, tuple[Any, ...]] = {
    "queue_horizon_s": (5.0, 30.0),
    "take_profit_ticks": (1, 2),
    "stop_ticks": (4, 8),
    "trend_pull_ticks": (0, 2),
}


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run: a synthetic session (by seed) or a real file, per instrument traded."""

    split: str  # "train", "test" or "real"
    source: str  # "synthetic" or the file's name
    seed: int | None
    stats: list[SymbolStats]

    def net_cents(self) -> int:
        return sum(s.net_cents for s in self.stats)


class _TapedBacktest(Backtest):
    """A backtest that also records the mid path the bot receives."""

    def __init__(self, kernel: TradingKernel, clock: SimulatedClock, latency: LatencyModel):
        super().__init__(kernel, clock, latency)
        self.tape = MidTape()

    def deliver(self, event: Event) -> None:
        self.tape.see(event)
        super().deliver(event)


class _QuoteCounter:
    """The kernel's log sink: counts the quote orders placed per instrument."""

    def __init__(self) -> None:
        self.quotes: dict[str, int] = {}

    def __call__(self, source: str, message: str, fields: Mapping[str, Any]) -> None:
        if message == "execution.submit" and fields.get("purpose") == "quote":
            symbol = str(fields.get("symbol"))
            self.quotes[symbol] = self.quotes.get(symbol, 0) + 1


def grid(base: MarketMakingParams) -> list[MarketMakingParams]:
    """Every combination of `GRID` over `base`, in a fixed order."""
    names = list(GRID)
    return [
        base.model_copy(update=dict(zip(names, values, strict=True)))
        for values in itertools.product(*(GRID[n] for n in names))
    ]


def _kernel(
    settings: Settings, clock: SimulatedClock, params: MarketMakingParams, counter: _QuoteCounter
) -> TradingKernel:
    configured = dict(DEFAULT_SLEEVES["sleeves"][SLEEVE]["allocation"])
    # the execution engine caps quotes by the allocation's max_contracts, also against quotes
    # re-placed before the sleeve has heard of a fill: that is what makes the cap hard
    configured["max_contracts"] = params.max_inventory
    allocation = Allocation.model_validate(configured)
    spec = SleeveSpec(SLEEVE, "market_making", SYMBOLS, allocation, params)
    return build_kernel(settings, clock, [spec], OrderIdFactory(SLEEVE), log_sink=counter)


def _stats(
    kernel: TradingKernel, tape: MidTape, counter: _QuoteCounter, hours: float
) -> list[SymbolStats]:
    out: list[SymbolStats] = []
    for symbol in SYMBOLS:
        if not tape.times.get(symbol):
            continue  # no book of this instrument in the run
        fills = [f for f in kernel.fills if f.sleeve == SLEEVE and f.symbol == symbol]
        net = kernel.portfolio.pnl(SLEEVE, symbol).net_cents
        quotes = counter.quotes.get(symbol, 0)
        spec = kernel.instruments[symbol]
        out.append(measure(symbol, spec, fills, tape, quotes, hours, net))
    return out


def run_synthetic(
    settings: Settings, seed: int, params: MarketMakingParams, minutes: int, latency_ms: float
) -> list[SymbolStats]:
    """One synthetic session of `minutes` from 08:30 Chicago, MES and MNQ on one venue."""
    clock = SimulatedClock()
    counter = _QuoteCounter()
    kernel = _kernel(settings, clock, params, counter)
    backtest = _TapedBacktest(kernel, clock, LatencyModel.fixed_ms(latency_ms))
    opens, _ = synthetic_windows(SYNTHETIC_START, 1)[0]
    window = (opens, opens + minutes * 60 * NS_PER_S)
    instruments = core_parts(settings).instruments
    venue = Venue(instruments, SYNTHETIC_START)
    eps = EVENTS_PER_S_PER_SYMBOL * len(SYMBOLS)
    flow = SyntheticFlow(venue, SYMBOLS, seed=seed, events_per_s=eps)
    fees = FeeModel.from_instruments(instruments)
    client = SimVenueClient(venue, backtest.deliver, backtest.latency.to_bot_ns, fees)
    backtest.router.add(list(SYMBOLS), client)
    backtest.add_feed(SyntheticFeed(flow, client, [window], round(NS_PER_S / eps)))
    backtest.run()
    return _stats(kernel, backtest.tape, counter, minutes / 60)


def run_file(
    settings: Settings, path: Path, params: MarketMakingParams, latency_ms: float
) -> list[SymbolStats]:
    """One real MBO file through the simulator's queue model (an ES book trades as MES).
    Raises `MarketDataError` for a file that is not usable data."""
    clock = SimulatedClock()
    counter = _QuoteCounter()
    kernel = _kernel(settings, clock, params, counter)
    backtest = _TapedBacktest(kernel, clock, LatencyModel.fixed_ms(latency_ms))
    open_market(backtest, [path], MarketOptions(), kernel.instruments)
    backtest.run()
    return _stats(kernel, backtest.tape, counter, _open_hours(kernel, backtest.tape))


def _open_hours(kernel: TradingKernel, tape: MidTape) -> float:
    """Hours of the tape inside a session (after its open): the time the sleeve could quote."""
    total = 0
    for times in tape.times.values():
        if not times:
            continue
        window = kernel.schedule.window(kernel.schedule.day_of_ns(times[-1]))
        start = max(times[0], window.open_ns) if window.tradable else times[-1]
        total = max(total, times[-1] - start)
    return total / (3600 * NS_PER_S)


Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Study:
    """Everything one `research-mm` run measured."""

    chosen: MarketMakingParams
    grid: list[tuple[MarketMakingParams, float]]  # params, mean net dollars per train session
    runs: list[RunResult]


def study(
    settings: Settings,
    files: list[Path],
    train_seeds: list[int],
    test_seeds: list[int],
    minutes: int,
    latency_ms: float,
    search: bool,
    progress: Progress,
) -> Study:
    """Choose on the training seeds (when `search`), report on the test seeds and the files."""
    base = MarketMakingParams()
    candidates = grid(base) if search and train_seeds else [base]
    scored: list[tuple[MarketMakingParams, float]] = []
    train: list[list[RunResult]] = []
    for i, params in enumerate(candidates):
        results: list[RunResult] = []
        for seed in train_seeds:
            progress(f"train: parameters {i + 1}/{len(candidates)}, seed {seed}")
            stats = run_synthetic(settings, seed, params, minutes, latency_ms)
            results.append(RunResult("train", "synthetic", seed, stats))
        train.append(results)
        mean_cents = sum(r.net_cents() for r in results) / max(1, len(results))
        scored.append((params, mean_cents / 100))
    best = max(range(len(candidates)), key=lambda k: (scored[k][1], -k))  # first of equals
    chosen = candidates[best]
    runs = list(train[best])
    for seed in test_seeds:
        progress(f"test: seed {seed}")
        stats = run_synthetic(settings, seed, chosen, minutes, latency_ms)
        runs.append(RunResult("test", "synthetic", seed, stats))
    for path in files:
        progress(f"real: {path.name}")
        runs.append(
            RunResult("real", path.name, None, run_file(settings, path, chosen, latency_ms))
        )
    return Study(chosen, scored if search else [], runs)
