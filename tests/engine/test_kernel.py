"""The kernel end to end on constructed bars, through the real risk engine, portfolio, execution
and the backtest's bar venue: stops at the venue, the cutoff, isolation of a failing sleeve,
the day's figures, the daily loss line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.app.factory import build_kernel
from bot.backtest.bar_venue import BarVenueClient
from bot.backtest.feeds import BarFeed
from bot.backtest.models import FeeModel, SlippageModel
from bot.backtest.runner import Backtest
from bot.config import load_settings
from bot.engine.kernel import TradingKernel
from bot.model import Bar, OrderIdFactory, SimulatedClock
from bot.model.events import RiskStateChanged, SessionEvent
from bot.model.fills import Fill
from bot.model.orders import Purpose
from bot.model.units import to_nanos
from bot.strategy.base import Sleeve, SleeveContext
from bot.strategy.config import Allocation, SleeveSpec
from bot.strategy.sleeves.trend import TrendParams

MIN5 = 300_000_000_000
# Tuesday 2024-03-05, 08:30 CT (14:30 UTC): a regular CME equity session.
OPEN = to_nanos(datetime(2024, 3, 5, 14, 30, tzinfo=UTC))

Script = Callable[[SleeveContext, Bar, int], None]


@dataclass
class Run:
    kernel: TradingKernel | None = None
    client: BarVenueClient | None = None
    held: list[tuple[int, int]] = field(default_factory=list)  # (risk position, venue stop lots)

    def stop_lots(self) -> int:
        assert self.client is not None
        working = self.client.working["MES"]
        return sum(w.leaves for w in working.values() if w.order.purpose == Purpose.STOP)

    def position(self) -> int:
        assert self.kernel is not None
        pos = self.kernel.risk.positions.get("MES")
        return pos.qty if pos is not None else 0


class Scripted(Sleeve):
    """Does what the test's script says on each closed bar; records what it saw."""

    kind = "scripted"

    def __init__(self, name: str, script: Script, run: Run | None = None) -> None:
        super().__init__(name, ("MES",))
        self.script = script
        self.run = run
        self.seen: list[int] = []
        self.fills = 0
        self.states: list[str] = []
        self.sessions: list[str] = []

    def on_bar(self, ctx: SleeveContext, bar: Bar) -> None:
        assert bar.end_ns <= ctx.now_ns()  # never a bar before it has closed
        if self.run is not None:
            self.run.held.append((self.run.position(), self.run.stop_lots()))
        self.seen.append(bar.close)
        self.script(ctx, bar, len(self.seen) - 1)

    def on_fill(self, ctx: SleeveContext, fill: Fill) -> None:
        self.fills += 1

    def on_risk_state(self, ctx: SleeveContext, event: RiskStateChanged) -> None:
        self.states.append(event.state)

    def on_session(self, ctx: SleeveContext, event: SessionEvent) -> None:
        self.sessions.append(str(event.kind))


def bars(closes: list[int], start_ns: int = OPEN) -> list[Bar]:
    out, prev = [], closes[0]
    for i, close in enumerate(closes):
        lo, hi = min(prev, close) - 1, max(prev, close) + 1
        out.append(
            Bar(
                start_ns + i * MIN5, start_ns + (i + 1) * MIN5, prev, hi, lo, close, 10, 0, 0, "MES"
            )
        )
        prev = close
    return out


def run(
    sleeves: list[Sleeve], data: list[Bar], record: Run | None = None, share: float = 0.5
) -> Run:
    record = record or Run()
    clock = SimulatedClock()
    specs = [
        SleeveSpec(
            s.name,
            "trend",
            ("MES",),
            Allocation(risk_share=share, max_contracts=5, max_drawdown=1999),
            TrendParams(),
        )
        for s in sleeves
    ]
    kernel = build_kernel(load_settings(), clock, specs, OrderIdFactory("t"), sleeves=sleeves)
    bt = Backtest(kernel, clock)
    fees = FeeModel.from_instruments(kernel.instruments)
    client = BarVenueClient(bt.deliver, 0, fees, SlippageModel(), frozenset({"MES"}))
    record.kernel, record.client = kernel, client
    bt.router.add(["MES"], client)
    bt.add_feed(BarFeed(iter((b, None) for b in data), client, bt.deliver, 0))
    bt.run()
    return record


def test_an_entry_is_protected_at_the_venue_and_the_cutoff_flattens() -> None:
    def script(ctx: SleeveContext, bar: Bar, i: int) -> None:
        if i == 2:
            ctx.target("MES", 2, bar.close - 20)

    record = Run()
    sleeve = Scripted("s", script, record)
    closes = [20_000 + (i % 3) for i in range(84)]  # 08:30 to 15:30 CT: past the 15:00 cutoff
    run([sleeve], bars(closes), record)
    kernel = record.kernel
    assert kernel is not None
    fills = [f for f in kernel.fills if f.sleeve == "s"]
    assert fills[0].qty == 2 and fills[0].side == 1
    assert sum(f.qty * f.side for f in fills) == 0  # flat again by the cutoff
    assert "cutoff" in sleeve.sessions
    assert record.position() == 0 and record.stop_lots() == 0 and not kernel.switched_off
    held = [(p, s) for p, s in record.held if p]
    assert held and all(s == abs(p) for p, s in held)  # the venue stop covers exactly the size
    (day,) = kernel.days
    assert day.max_contracts == 2 and day.sleeve_net_cents["s"] == day.net_cents


def test_the_venue_stop_follows_the_position_down() -> None:
    def script(ctx: SleeveContext, bar: Bar, i: int) -> None:
        if i == 1:
            ctx.target("MES", 2, bar.close - 40)  # the $0 tier: 2 lots
        if i == 6:
            ctx.target("MES", 1, bar.close - 40)

    record = Run()
    run([Scripted("s", script, record)], bars([20_000 + (i % 2) for i in range(12)]), record)
    held = [(p, s) for p, s in record.held if p]
    assert (2, 2) in held and (1, 1) in held
    assert all(s == abs(p) for p, s in held), held


def test_a_sleeve_that_raises_is_switched_off_and_the_others_go_on() -> None:
    def boom(ctx: SleeveContext, bar: Bar, i: int) -> None:
        if i == 3:
            raise ZeroDivisionError("bad maths")

    def steady(ctx: SleeveContext, bar: Bar, i: int) -> None:
        if i == 5:
            ctx.target("MES", 1, bar.close - 20)

    bad, good = Scripted("bad", boom), Scripted("good", steady)
    record = run([bad, good], bars([20_000 + (i % 2) for i in range(20)]))
    assert record.kernel is not None
    assert "ZeroDivisionError" in record.kernel.switched_off["bad"]
    assert len(bad.seen) == 4  # no callback after the one that raised
    assert len(good.seen) == 20 and good.fills >= 1


def test_a_gap_through_the_stop_past_the_safety_line_flattens_and_halts_for_the_day() -> None:
    def script(ctx: SleeveContext, bar: Bar, i: int) -> None:
        if i == 1:
            ctx.target("MES", 2, bar.close - 300)  # worst case about $760: inside the $900
        if i >= 5:
            ctx.target("MES", 1, bar.close - 10)  # tries again after the halt: refused

    record = Run()
    sleeve = Scripted("s", script, record)
    data = bars([20_000] * 4)
    gap = Bar(
        data[-1].end_ns, data[-1].end_ns + MIN5, 19_620, 19_621, 19_619, 19_620, 10, 0, 0, "MES"
    )
    data += [gap, *bars([19_620] * 6, gap.end_ns)]
    run([sleeve], data, record, share=1.0)  # the whole buffer for one sleeve
    kernel = record.kernel
    assert kernel is not None and not kernel.switched_off
    assert "HALTED_DAY" in sleeve.states
    (day,) = kernel.days
    stop_fill = [f for f in kernel.fills if f.price_ticks == 19_620]
    assert stop_fill and stop_fill[0].qty == 2  # the venue stop filled at the gap's open
    assert day.halted and -100_000 < day.net_cents <= -90_000
    assert record.position() == 0 and record.stop_lots() == 0
    assert len(kernel.fills) == 2  # the entry and its stop: no new risk for the rest of the day


def test_a_sleeve_failing_at_start_never_trades() -> None:
    class Bad(Scripted):
        def on_start(self, ctx: SleeveContext) -> None:
            raise RuntimeError("no config")

    record = run([Bad("b", lambda c, b, i: c.target("MES", 1, b.close - 10))], bars([20_000] * 6))
    assert record.kernel is not None
    assert "RuntimeError" in record.kernel.switched_off["b"] and record.kernel.fills == []


def test_market_data_goes_to_the_sleeves_that_override_its_callback() -> None:
    """The kernel skips the base class's empty callbacks (a fast path); a sleeve that overrides
    one, in its class or on the instance, is called."""

    class OnlyBars(Sleeve):
        kind = "only-bars"

        def on_bar(self, ctx: SleeveContext, bar: Bar) -> None: ...

    plain, bars_only, patched = (
        Sleeve("a", ("MES",)),
        OnlyBars("b", ("MES",)),
        Sleeve("c", ("MES",)),
    )
    patched.on_trade = lambda ctx, trade: None  # type: ignore[method-assign]
    record = run([plain, bars_only, patched], bars([20_000, 20_001]))
    kernel = record.kernel
    assert kernel is not None
    assert [s.name for s in kernel._subscribed("on_bar", "MES")] == ["b"]
    assert [s.name for s in kernel._subscribed("on_trade", "MES")] == ["c"]
    assert kernel._subscribed("on_book", "MES") == []
    kernel.fast_paths = False
    assert [s.name for s in kernel._subscribed("on_book", "MES")] == ["a", "b", "c"]


def test_a_published_signal_and_the_account_position_reach_the_other_sleeves() -> None:
    seen: list[tuple[str | None, int]] = []

    def hedge(ctx: SleeveContext, bar: Bar, i: int) -> None:
        if i == 3:
            ctx.publish("regime", "shock")

    def trader(ctx: SleeveContext, bar: Bar, i: int) -> None:
        if i == 1:
            ctx.target("MES", 1, bar.close - 20)
        seen.append((ctx.signal("regime"), ctx.account_position("MES")))

    run([Scripted("hedge", hedge), Scripted("trader", trader)], bars([20_000] * 6))
    assert [s for s, _ in seen] == [None, None, None, "shock", "shock", "shock"]
    assert seen[0][1] == 0 and seen[3][1] == 1  # the account holds what the trader asked for
