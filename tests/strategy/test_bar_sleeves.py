"""The bar sleeves' behaviour on constructed scenarios: mean reversion enters at the extreme and
exits at the mean or on its time stop, trend enters a breakout with its stop, the hedge flips
on in a shock and off when calm and publishes it, the cutoff flattens.  The last tests run the
sleeves through the real kernel, risk engine and bar venue."""

from __future__ import annotations

from datetime import date

from bot.book.l2 import PriceBook
from bot.model.events import SessionEvent, SessionKind
from bot.model.market import Bar
from bot.strategy.sleeves.mean_reversion import MeanReversionParams, MeanReversionSleeve
from bot.strategy.sleeves.tail_hedge import TailHedgeParams, TailHedgeSleeve
from bot.strategy.sleeves.trend import TrendParams, TrendSleeve
from tests.engine.test_kernel import bars as kernel_bars
from tests.engine.test_kernel import run as kernel_run
from tests.strategy.fakes import RecordingContext

HOUR = 3_600_000_000_000


def bar(i: int, close: int, open_: int | None = None, volume: int = 100, width: int = 1) -> Bar:
    o = close if open_ is None else open_
    hi, lo = max(o, close) + width, min(o, close) - width
    return Bar(i * HOUR, (i + 1) * HOUR, o, hi, lo, close, volume, symbol="MES")


def session(kind: SessionKind) -> SessionEvent:
    return SessionEvent(0, kind, date(2024, 3, 5))


def zigzag(sleeve: object, ctx: RecordingContext, n: int, step: int = 2, start: int = 0) -> None:
    for i in range(start, start + n):
        sleeve.on_bar(ctx, bar(i, 20_000 + (step if i % 2 else -step)))  # type: ignore[attr-defined]


# ---- mean reversion ------------------------------------------------------------------------


def mr(**kw: object) -> MeanReversionSleeve:
    params = MeanReversionParams(**{"mean_bars": 10, "entry_z": 2.5, **kw})  # type: ignore[arg-type]
    return MeanReversionSleeve("mr", ("MES",), params)


def test_mean_reversion_enters_at_the_extreme_with_a_stop_beyond_and_exits_at_the_mean() -> None:
    sleeve, ctx = mr(), RecordingContext()
    zigzag(sleeve, ctx, 30)
    assert ctx.targets() == []  # ordinary noise is no extreme
    sleeve.on_bar(ctx, bar(30, 20_015))  # far above the mean: sell
    (entry,) = ctx.targets()
    assert entry.qty == -1 and entry.stop_ticks is not None and entry.stop_ticks > 20_015
    ctx.positions["MES"] = -1
    sleeve.on_bar(ctx, bar(31, 20_012))  # still above the mean: hold
    assert len(ctx.targets()) == 1
    mean = sleeve.mean()
    assert mean is not None
    sleeve.on_bar(ctx, bar(32, int(mean) - 1))  # back at the mean: flat
    assert ctx.targets()[-1].qty == 0


def test_mean_reversion_buys_a_dip_from_the_rolling_vwap() -> None:
    sleeve, ctx = mr(anchor="vwap"), RecordingContext()
    zigzag(sleeve, ctx, 30)
    sleeve.on_bar(ctx, bar(30, 19_985, volume=50))
    (entry,) = ctx.targets()
    assert entry.qty == 1 and entry.stop_ticks is not None and entry.stop_ticks < 19_985


def test_mean_reversion_time_stop_closes_a_trade_that_does_not_come_back() -> None:
    sleeve, ctx = mr(max_bars=2), RecordingContext()
    zigzag(sleeve, ctx, 30)
    sleeve.on_bar(ctx, bar(30, 20_015))
    ctx.positions["MES"] = -1
    sleeve.on_bar(ctx, bar(31, 20_020))  # further away, one bar held
    assert ctx.targets()[-1].qty == -1
    sleeve.on_bar(ctx, bar(32, 20_021))  # two bars held: the time stop
    assert ctx.targets()[-1].qty == 0


def test_mean_reversion_stands_aside_while_the_hedge_reports_a_shock() -> None:
    sleeve, ctx = mr(), RecordingContext(signals={"regime": "shock"})
    zigzag(sleeve, ctx, 30)
    sleeve.on_bar(ctx, bar(30, 20_015))
    assert ctx.targets() == []
    ctx.signals["regime"] = "calm"
    sleeve.on_bar(ctx, bar(31, 20_030))
    assert ctx.targets()[-1].qty == -1


def test_mean_reversion_is_flat_at_the_cutoff() -> None:
    sleeve, ctx = mr(), RecordingContext(positions={"MES": 1})
    sleeve.on_session(ctx, session(SessionKind.CUTOFF))
    assert ctx.targets()[-1].qty == 0


# ---- trend ---------------------------------------------------------------------------------


def test_opening_range_breakout_enters_with_its_stop_once_a_day() -> None:
    params = TrendParams(mode="opening_range", range_bars=2, momentum_bars=2, atr_bars=3)
    sleeve, ctx = TrendSleeve("tf", ("MES",), params), RecordingContext()
    sleeve.on_session(ctx, session(SessionKind.NEW_DAY))
    for i, close in enumerate((20_000, 20_004, 20_002)):  # the range: two bars, then inside it
        sleeve.on_bar(ctx, bar(i, close))
    assert ctx.targets() == []
    sleeve.on_bar(ctx, bar(3, 20_012))  # closes above the opening range's high, rising
    (entry,) = ctx.targets()
    assert entry.qty == 1 and entry.stop_ticks is not None and entry.stop_ticks < 20_012
    ctx.positions["MES"] = 0  # stopped out
    sleeve.on_bar(ctx, bar(4, 20_020))
    assert len(ctx.targets()) == 1  # today's breakout is taken
    sleeve.on_session(ctx, session(SessionKind.CUTOFF))
    assert ctx.targets()[-1].qty == 0
    sleeve.on_session(ctx, session(SessionKind.NEW_DAY))  # a new day, a new range
    for i, close in enumerate((20_020, 20_016, 20_018), start=5):
        sleeve.on_bar(ctx, bar(i, close))
    sleeve.on_bar(ctx, bar(8, 20_005))  # below the new range's low, falling: short
    assert ctx.targets()[-1].qty == -1 and ctx.targets()[-1].stop_ticks > 20_005  # type: ignore[operator]


def test_donchian_breakout_needs_momentum() -> None:
    params = TrendParams(mode="donchian", channel_bars=5, momentum_bars=8, atr_bars=5)
    sleeve, ctx = TrendSleeve("tf", ("MES",), params), RecordingContext()
    for i, close in enumerate([20_100 - 10 * i for i in range(6)] + [20_040] * 4):
        sleeve.on_bar(ctx, bar(i, close))
    sleeve.on_bar(ctx, bar(10, 20_046))  # a new 5-bar high, but below the close 8 bars ago
    assert ctx.targets() == []


# ---- tail hedge ----------------------------------------------------------------------------


def hedge(**kw: object) -> TailHedgeSleeve:
    base = {"fast_bars": 3, "slow_bars": 20, "shock_ratio": 2.0, "calm_ratio": 1.2}
    return TailHedgeSleeve("hedge", ("MES",), TailHedgeParams(**{**base, **kw}))  # type: ignore[arg-type]


def calm_then_crash(sleeve: TailHedgeSleeve, ctx: RecordingContext) -> int:
    price = 20_000
    for i in range(40):
        price += 2 if i % 2 else -2
        sleeve.on_bar(ctx, bar(i, price))
    price -= 40
    sleeve.on_bar(ctx, bar(40, price))
    return price


def test_a_shock_flips_the_hedge_on_with_the_move_and_calm_flips_it_off() -> None:
    sleeve, ctx = hedge(), RecordingContext()
    sleeve.on_start(ctx)
    assert ctx.signals["regime"] == "calm"
    price = calm_then_crash(sleeve, ctx)
    assert sleeve.regime == "shock" and ctx.signals["regime"] == "shock"
    (trade,) = ctx.targets()  # nobody else holds anything: trade with the move
    assert trade.qty == -1 and trade.stop_ticks is not None and trade.stop_ticks > price
    ctx.positions["MES"] = -1
    for i in range(41, 120):
        price += 1 if i % 2 else -1
        sleeve.on_bar(ctx, bar(i, price))
    assert sleeve.regime == "calm" and ctx.signals["regime"] == "calm"
    assert ctx.targets()[-1].qty == 0


def test_in_a_shock_the_hedge_offsets_the_other_sleeves_exposure() -> None:
    sleeve, ctx = hedge(mode="offset"), RecordingContext(account={"MES": 2})  # others long 2
    price = calm_then_crash(sleeve, ctx)
    offset = ctx.targets()[-1]
    assert offset.qty == -2 and offset.stop_ticks is not None and offset.stop_ticks > price


def test_offset_mode_does_nothing_when_the_book_is_flat() -> None:
    sleeve, ctx = hedge(mode="offset"), RecordingContext()
    calm_then_crash(sleeve, ctx)
    assert sleeve.regime == "shock" and ctx.targets() == []


def test_a_gap_or_a_spread_blowout_is_a_shock() -> None:
    sleeve, ctx = hedge(shock_ratio=50.0), RecordingContext()
    price = 20_000
    for i in range(40):
        price += 2 if i % 2 else -2
        sleeve.on_bar(ctx, bar(i, price))
    sleeve.on_bar(ctx, bar(40, price - 30, open_=price - 30, width=1))  # gapped open
    assert sleeve.regime == "shock"
    other, octx = hedge(shock_ratio=50.0), RecordingContext()
    book = PriceBook()
    book.set_level(0, 20_000, 5)
    book.set_level(1, 20_001, 5)
    other.on_book(octx, "MES", book)
    assert other.regime == "calm"
    book.set_level(1, 20_001, 0)
    book.set_level(1, 20_012, 5)  # the spread blows out to 12 ticks
    other.on_book(octx, "MES", book)
    assert other.regime == "shock" and octx.signals["regime"] == "shock"


def test_the_hedge_is_flat_at_the_cutoff() -> None:
    sleeve, ctx = hedge(), RecordingContext(positions={"MES": -1})
    sleeve.on_session(ctx, session(SessionKind.CUTOFF))
    assert ctx.targets()[-1].qty == 0


# ---- through the real kernel ---------------------------------------------------------------


def test_a_breakout_through_the_kernel_is_protected_at_the_venue_and_flat_by_the_cutoff() -> None:
    params = TrendParams(mode="opening_range", range_bars=3, momentum_bars=2, atr_bars=3)
    sleeve = TrendSleeve("tf", ("MES",), params)
    closes = [20_000, 20_003, 20_001] + [20_002 + 4 * i for i in range(1, 81)]
    record = kernel_run([sleeve], kernel_bars(closes))
    kernel = record.kernel
    assert kernel is not None
    fills = [f for f in kernel.fills if f.sleeve == "tf"]
    assert fills and fills[0].side == 1  # long on the breakout
    assert sum(f.qty * f.side for f in fills) == 0  # flat by the cutoff
    assert kernel.risk_event_counts.get("risk.decision", 0) >= 2  # entry and its stop checked
    assert record.position() == 0 and not kernel.switched_off


def test_the_hedges_regime_reaches_mean_reversion_through_the_kernel() -> None:
    """A crash bar: the hedge publishes a shock, and mean reversion, which would fade the
    crash alone, stays out."""
    closes = [20_000 + (3 if i % 2 else -3) for i in range(60)] + [19_900] + [19_900] * 3
    alone = MeanReversionSleeve("mr", ("MES",), MeanReversionParams(mean_bars=10, entry_z=2.0))
    solo = kernel_run([alone], kernel_bars(closes)).kernel
    assert solo is not None and any(f.side == 1 for f in solo.fills)  # it buys the crash
    with_hedge = [
        MeanReversionSleeve("mr", ("MES",), MeanReversionParams(mean_bars=10, entry_z=2.0)),
        TailHedgeSleeve("hedge", ("MES",), TailHedgeParams(mode="offset", slow_bars=20)),
    ]
    # the hedge decides first on each bar: it goes first in the kernel's order
    with_hedge.reverse()
    kernel = kernel_run(with_hedge, kernel_bars(closes)).kernel
    assert kernel is not None and kernel.signals["regime"] == "shock"
    assert not [f for f in kernel.fills if f.sleeve == "mr"]
