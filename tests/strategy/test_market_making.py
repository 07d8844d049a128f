"""The market maker's behaviour on constructed books: where it quotes, when it pulls, how
inventory, fees and the queue change its quotes, and how it exits."""

from __future__ import annotations

from datetime import date

from bot.book.l2 import PriceBook
from bot.model.events import RiskStateChanged, SessionEvent, SessionKind
from bot.model.market import TradeTick
from bot.model.side import Side
from bot.strategy.base import RestingOrder
from bot.strategy.intents import Quotes, QuoteSide
from bot.strategy.sleeves.market_making import MarketMakingParams, MarketMakingSleeve
from tests.strategy.fakes import RecordingContext

S = 1_000_000_000
DAY = date(2024, 3, 5)
# 10 s horizon; 600 lots traded just now = 5 lots/s per side over the 60 s window: room 50 lots
PARAMS = MarketMakingParams(
    queue_horizon_s=10.0, max_inventory=2, skew_ticks=1.0, take_profit_ticks=1
)


def book(bid: tuple[int, int] | None, ask: tuple[int, int] | None, depth: int = 0) -> PriceBook:
    """The touch, and `depth` more levels of 40 lots behind it on each side."""
    b = PriceBook()
    for k in range(1, depth + 1):
        if bid:
            b.set_level(0, bid[0] - k, 40)
        if ask:
            b.set_level(1, ask[0] + k, 40)
    if bid:
        b.set_level(0, bid[0], bid[1])
    if ask:
        b.set_level(1, ask[0], ask[1])
    return b


def session(kind: SessionKind, at: int = 0) -> SessionEvent:
    return SessionEvent(at, kind, DAY)


def open_maker(
    params: MarketMakingParams = PARAMS, symbol: str = "MES", traded: int = 600
) -> tuple[MarketMakingSleeve, RecordingContext]:
    """A market maker after the open that has seen `traded` lots print."""
    mm = MarketMakingSleeve("mm", (symbol,), params)
    ctx = RecordingContext()
    mm.on_session(ctx, session(SessionKind.NEW_DAY))
    mm.on_session(ctx, session(SessionKind.OPEN))
    mm.on_trade(ctx, TradeTick(0, symbol, 20_000, traded))
    return mm, ctx


def last(ctx: RecordingContext) -> Quotes:
    return ctx.quotes()[-1]


BALANCED = ((20_000, 40), (20_001, 40))


def test_quotes_the_touch_and_pulls_on_a_spread_blowout() -> None:
    mm, ctx = open_maker()
    mm.on_book(ctx, "MES", book(*BALANCED))
    q = last(ctx)
    assert q.bid == QuoteSide(20_000, 1) and q.ask == QuoteSide(20_001, 1)
    assert q.stop_offset_ticks == PARAMS.stop_ticks
    mm.on_book(ctx, "MES", book((19_990, 40), (20_010, 40)))  # a 20-tick spread
    assert last(ctx).bid is None and last(ctx).ask is None
    mm.on_book(ctx, "MES", book(*BALANCED))
    assert last(ctx).bid is not None  # back when the spread is


def test_an_invalid_book_pulls_the_quotes() -> None:
    for bad in (
        book((20_001, 5), (20_001, 5)),
        book((20_002, 5), (20_001, 5)),
        book(None, (20_001, 9)),
    ):
        mm, ctx = open_maker()
        mm.on_book(ctx, "MES", book(*BALANCED))
        mm.on_book(ctx, "MES", bad)
        assert last(ctx).bid is None and last(ctx).ask is None


def test_no_quotes_before_the_open_and_after_a_new_day_until_its_open() -> None:
    mm = MarketMakingSleeve("mm", ("MES",), PARAMS)
    ctx = RecordingContext()
    mm.on_trade(ctx, TradeTick(0, "MES", 20_000, 600))
    mm.on_book(ctx, "MES", book(*BALANCED))
    assert all(q.bid is None and q.ask is None for q in ctx.quotes())
    mm.on_session(ctx, session(SessionKind.OPEN))
    mm.on_book(ctx, "MES", book(*BALANCED))
    assert last(ctx).bid is not None
    mm.on_session(ctx, session(SessionKind.NEW_DAY))
    assert last(ctx).bid is None
    mm.on_book(ctx, "MES", book(*BALANCED))
    assert last(ctx).bid is None


def test_the_hedges_shock_signal_pulls_the_quotes_and_exits_inventory() -> None:
    mm, ctx = open_maker()
    mm.on_book(ctx, "MES", book(*BALANCED))
    ctx.signals["regime"] = "shock"
    mm.on_book(ctx, "MES", book(*BALANCED))
    assert last(ctx).bid is None and last(ctx).ask is None
    assert ctx.targets() == []  # flat: nothing to exit
    ctx.positions["MES"] = 1
    mm.on_book(ctx, "MES", book(*BALANCED))
    assert ctx.targets()[-1].qty == 0
    ctx.signals["regime"] = "calm"
    ctx.positions["MES"] = 0
    mm.on_book(ctx, "MES", book(*BALANCED))
    assert ctx.releases() and last(ctx).bid is not None


def test_risk_not_active_pulls_the_quotes() -> None:
    mm, ctx = open_maker()
    mm.on_book(ctx, "MES", book(*BALANCED))
    mm.on_risk_state(ctx, RiskStateChanged(0, "REDUCING", "buffer"))
    assert last(ctx).bid is None and last(ctx).ask is None
    ctx.state = "REDUCING"
    mm.on_book(ctx, "MES", book(*BALANCED))
    assert last(ctx).bid is None and last(ctx).ask is None


def test_the_cutoff_pulls_and_flattens_and_nothing_is_quoted_after_it() -> None:
    mm, ctx = open_maker()
    ctx.positions["MES"] = 1
    mm.on_book(ctx, "MES", book(*BALANCED))
    mm.on_session(ctx, session(SessionKind.CUTOFF))
    assert last(ctx).bid is None and last(ctx).ask is None
    assert ctx.targets()[-1].qty == 0
    ctx.positions["MES"] = 0
    mm.on_book(ctx, "MES", book(*BALANCED))
    assert last(ctx).bid is None and last(ctx).ask is None


def test_inventory_at_the_cap_quotes_only_the_reducing_side() -> None:
    mm, ctx = open_maker(MarketMakingParams(queue_horizon_s=10.0, max_inventory=1))
    ctx.positions["MES"], ctx.avg_price["MES"] = 1, 20_000.0  # no gain yet: no exit
    mm.on_book(ctx, "MES", book(*BALANCED))
    q = last(ctx)
    assert q.bid is None and q.ask is not None and q.ask.qty == 1
    ctx.positions["MES"], ctx.avg_price["MES"] = -1, 20_001.0
    mm.on_book(ctx, "MES", book(*BALANCED))
    q = last(ctx)
    assert q.ask is None and q.bid is not None


def test_inventory_skews_both_quotes_against_the_position() -> None:
    flat_mm, flat = open_maker()
    flat_mm.on_book(flat, "MES", book(*BALANCED))
    long_mm, long_ = open_maker()
    long_.positions["MES"], long_.avg_price["MES"] = 1, 20_000.0
    long_mm.on_book(long_, "MES", book(*BALANCED))
    short_mm, short = open_maker()
    short.positions["MES"], short.avg_price["MES"] = -1, 20_001.0
    short_mm.on_book(short, "MES", book(*BALANCED))
    f, lo, sh = last(flat), last(long_), last(short)
    assert f.bid is not None and lo.bid is not None and sh.ask is not None and f.ask is not None
    assert lo.bid.price_ticks < f.bid.price_ticks  # long: bids lower
    assert sh.ask.price_ticks > f.ask.price_ticks  # short: offers higher


def test_a_book_imbalance_against_a_side_pulls_that_side() -> None:
    mm, ctx = open_maker()
    mm.on_book(ctx, "MES", book((20_000, 2), (20_001, 48)))  # a thin bid about to go
    q = last(ctx)
    assert q.bid is None and q.ask is not None
    mm.on_book(ctx, "MES", book((20_000, 48), (20_001, 2)))
    q = last(ctx)
    assert q.ask is None and q.bid is not None


def test_fees_in_the_edge_keep_mnq_off_a_one_tick_touch() -> None:
    """MNQ: a tick is $0.50 and a side costs $0.37, so half a one-tick spread (0.5 tick) does
    not pay the fee (0.74 tick): it rests a tick behind; MES (0.30 tick) quotes the touch."""
    mm, ctx = open_maker(symbol="MNQ")
    mm.on_book(ctx, "MNQ", book(*BALANCED))
    q = last(ctx)
    assert q.bid == QuoteSide(19_999, 1) and q.ask == QuoteSide(20_002, 1)
    nothing = MarketMakingParams(queue_horizon_s=10.0, max_depth_ticks=0)
    mm, ctx = open_maker(nothing, symbol="MNQ")
    mm.on_book(ctx, "MNQ", book(*BALANCED))
    assert last(ctx).bid is None and last(ctx).ask is None


def test_a_deep_queue_is_cancelled_and_not_joined_a_shallow_one_keeps_its_place() -> None:
    mm, ctx = open_maker(traded=60)  # 0.5 lots/s per side: 5 lots may be ahead in 10 s
    mm.on_book(ctx, "MES", book((20_000, 40), (20_001, 40), depth=3))
    q = last(ctx) if ctx.quotes() else None
    assert q is None or (q.bid is None and q.ask is None)  # 40-lot levels: not joined
    mm.on_book(ctx, "MES", book((20_000, 4), (20_001, 3), depth=3))  # a fresh, thin touch
    assert last(ctx).bid == QuoteSide(20_000, 1) and last(ctx).ask == QuoteSide(20_001, 1)
    # the bid ticks up to a new 30-lot level: the resting quote keeps its place at 20_000
    ctx.rest["MES"] = [RestingOrder("b1", Side.BUY, 20_000, 1, queue_ahead=2)]
    mm.on_book(ctx, "MES", book((20_001, 30), (20_002, 4), depth=3))
    assert last(ctx).bid == QuoteSide(20_000, 1)
    # more lots ahead of it than trade in the horizon: cancelled, and the level not re-joined
    ctx.rest["MES"] = [RestingOrder("b1", Side.BUY, 20_000, 1, queue_ahead=25)]
    mm.on_book(ctx, "MES", book((20_000, 30), (20_001, 4), depth=3))
    assert last(ctx).bid is None


def test_takes_profit_when_the_touch_pays_the_fees_then_releases_and_quotes_again() -> None:
    mm, ctx = open_maker()
    ctx.positions["MES"], ctx.avg_price["MES"] = 1, 20_000.0
    ctx.now = 1 * S
    mm.on_book(ctx, "MES", book((20_000, 40), (20_001, 40)))
    assert ctx.targets() == []
    mm.on_book(ctx, "MES", book((20_001, 40), (20_002, 40)))  # +1 tick = $1.25 > $0.74
    assert ctx.targets()[-1].qty == 0
    assert last(ctx).bid is None and last(ctx).ask is None  # nothing rests while exiting
    ctx.positions["MES"] = 0
    mm.on_book(ctx, "MES", book((20_001, 40), (20_002, 40)))
    assert len(ctx.releases()) == 1 and last(ctx).bid is not None


def test_mnq_needs_two_ticks_to_pay_its_fees_and_a_time_stop_ends_a_hold() -> None:
    params = MarketMakingParams(queue_horizon_s=10.0, max_hold_s=30.0, take_profit_ticks=1)
    mm, ctx = open_maker(params, symbol="MNQ")
    ctx.positions["MNQ"], ctx.avg_price["MNQ"] = 1, 20_000.0
    mm.on_book(ctx, "MNQ", book((20_001, 40), (20_002, 40)))  # +1 tick = $0.50 < $0.74
    assert ctx.targets() == []
    ctx.now = 31 * S
    mm.on_book(ctx, "MNQ", book((20_001, 40), (20_002, 40)))
    assert ctx.targets()[-1].qty == 0


def test_a_run_of_the_mid_pulls_the_side_it_would_run_over() -> None:
    params = MarketMakingParams(queue_horizon_s=10.0, trend_pull_ticks=2, trend_window_s=10.0)
    mm, ctx = open_maker(params)
    for sec, bid in ((0, 20_000), (3, 20_001), (6, 20_002)):  # +2 ticks in 6 s: a rally
        ctx.now = sec * S
        mm.on_book(ctx, "MES", book((bid, 40), (bid + 1, 40)))
    q = last(ctx)
    assert q.ask is None and q.bid == QuoteSide(20_002, 1)  # no offer into the rally
    ctx.now = 30 * S  # the run is older than the window: both sides again
    mm.on_book(ctx, "MES", book((20_002, 20), (20_003, 20)))
    assert last(ctx).ask == QuoteSide(20_003, 1) and last(ctx).bid is not None
