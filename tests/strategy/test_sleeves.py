"""Each baseline sleeve's behaviour on constructed scenarios: entries carry their stops, the
cutoff flattens, regimes flip, quotes are pulled when they should be."""

from __future__ import annotations

from datetime import date

from bot.model.events import SessionEvent, SessionKind
from bot.model.market import Bar
from bot.strategy.sleeves.mean_reversion import MeanReversionParams, MeanReversionSleeve
from bot.strategy.sleeves.tail_hedge import TailHedgeParams, TailHedgeSleeve
from bot.strategy.sleeves.trend import TrendParams, TrendSleeve
from tests.strategy.fakes import RecordingContext

HOUR = 3_600_000_000_000


def bar(
    i: int, close: int, high: int | None = None, low: int | None = None, open_: int | None = None
) -> Bar:
    o = close if open_ is None else open_
    return Bar(
        i * HOUR,
        (i + 1) * HOUR,
        o,
        high or max(o, close) + 1,
        low or min(o, close) - 1,
        close,
        100,
        symbol="MES",
    )


def cutoff() -> SessionEvent:
    return SessionEvent(0, SessionKind.CUTOFF, date(2024, 3, 5))


def test_trend_enters_a_breakout_with_a_stop_below_and_trails_it_up() -> None:
    sleeve = TrendSleeve("tf", ("MES",), TrendParams(channel_bars=5, momentum_bars=3, atr_bars=5))
    ctx = RecordingContext()
    for i in range(10):  # a flat range 20_000 +/- 4
        sleeve.on_bar(ctx, bar(i, 20_000 + (4 if i % 2 else -4)))
    assert ctx.targets() == []
    sleeve.on_bar(ctx, bar(10, 20_020))  # breaks the channel high with momentum
    (entry,) = ctx.targets()
    assert entry.qty == 1 and entry.stop_ticks is not None and entry.stop_ticks < 20_020
    ctx.positions["MES"] = 1
    sleeve.on_bar(ctx, bar(11, 20_060))
    trailed = ctx.targets()[-1]
    assert (
        trailed.qty == 1
        and trailed.stop_ticks is not None
        and trailed.stop_ticks > entry.stop_ticks
    )
    sleeve.on_bar(ctx, bar(12, 20_030))  # a pull-back never lowers the stop
    assert ctx.targets()[-1] == trailed
    sleeve.on_session(ctx, cutoff())
    assert ctx.targets()[-1].qty == 0


def test_trend_stays_out_when_risk_is_not_active() -> None:
    sleeve = TrendSleeve("tf", ("MES",), TrendParams(channel_bars=5, momentum_bars=3, atr_bars=5))
    ctx = RecordingContext(state="REDUCING")
    for i in range(10):
        sleeve.on_bar(ctx, bar(i, 20_000 + (4 if i % 2 else -4)))
    sleeve.on_bar(ctx, bar(10, 20_020))
    assert ctx.targets() == []


def test_mean_reversion_fades_the_extreme_and_exits_at_the_mean() -> None:
    sleeve = MeanReversionSleeve("mr", ("MES",), MeanReversionParams(mean_bars=10, entry_z=2.5))
    ctx = RecordingContext()
    for i in range(20):
        sleeve.on_bar(ctx, bar(i, 20_000 + (2 if i % 2 else -2)))
    assert ctx.targets() == []
    sleeve.on_bar(ctx, bar(20, 20_030))  # far above the mean: sell
    (entry,) = ctx.targets()
    assert entry.qty == -1 and entry.stop_ticks is not None and entry.stop_ticks > 20_030
    ctx.positions["MES"] = -1
    sleeve.on_bar(ctx, bar(21, 20_025))  # still above the mean: hold
    assert len(ctx.targets()) == 1
    sleeve.on_bar(ctx, bar(22, 19_990))  # back through the mean: flat
    assert ctx.targets()[-1].qty == 0


def test_mean_reversion_time_stop() -> None:
    sleeve = MeanReversionSleeve(
        "mr", ("MES",), MeanReversionParams(mean_bars=10, entry_z=2.5, max_bars=2)
    )
    ctx = RecordingContext()
    for i in range(20):
        sleeve.on_bar(ctx, bar(i, 20_000 + (2 if i % 2 else -2)))
    sleeve.on_bar(ctx, bar(20, 20_040))
    ctx.positions["MES"] = -1
    sleeve.on_bar(ctx, bar(21, 20_045))
    assert ctx.targets()[-1].qty == -1
    sleeve.on_bar(ctx, bar(22, 20_046))
    assert ctx.targets()[-1].qty == 0


def test_tail_hedge_turns_on_in_a_shock_with_the_move_and_off_when_calm() -> None:
    params = TailHedgeParams(fast_bars=3, slow_bars=20, shock_ratio=2.0, calm_ratio=1.2)
    sleeve = TailHedgeSleeve("hedge", ("MES",), params)
    ctx = RecordingContext()
    price = 20_000
    for i in range(40):
        price += 2 if i % 2 else -2
        sleeve.on_bar(ctx, bar(i, price))
    assert sleeve.regime == "calm" and ctx.targets() == []
    price -= 40  # a crash bar
    sleeve.on_bar(ctx, bar(40, price))
    assert sleeve.regime == "shock"
    (hedge,) = ctx.targets()
    assert hedge.qty == -1 and hedge.stop_ticks is not None and hedge.stop_ticks > price
    ctx.positions["MES"] = -1
    for i in range(41, 120):
        price += 1 if i % 2 else -1
        sleeve.on_bar(ctx, bar(i, price))
    assert sleeve.regime == "calm" and ctx.targets()[-1].qty == 0
