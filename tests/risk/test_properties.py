"""Invariants of the risk engine under arbitrary order flow (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.risk.engine import RiskState
from bot.risk.orders import OrderRequest, OrderType, Side
from bot.rules.account import AccountState
from tests.risk.conftest import NOW, make_engine

MARK = {"MES": 20_000, "MNQ": 80_000}

order_strategy = st.builds(
    lambda symbol, side, qty, kind, offset, stop_dist, fill: (
        symbol,
        side,
        qty,
        kind,
        offset,
        stop_dist,
        fill,
    ),
    st.sampled_from(["MES", "MNQ"]),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(1, 25),
    st.sampled_from(list(OrderType)),
    st.integers(-8, 8),
    st.integers(-2, 120),
    st.booleans(),
)

accounts = st.sampled_from(
    [
        AccountState(balance_cents=0, floor_cents=-200_000, max_micros=20),
        AccountState(balance_cents=-150_000, floor_cents=-200_000, max_micros=20),
        AccountState(balance_cents=180_000, floor_cents=-20_000, max_micros=30),
        AccountState(balance_cents=400_000, floor_cents=0, max_micros=50),
    ]
)


def request(
    n: int, symbol: str, side: Side, qty: int, kind: OrderType, offset: int, stop_dist: int
) -> OrderRequest:
    ref = MARK[symbol] + offset
    return OrderRequest(
        order_id=f"o{n}",
        symbol=symbol,
        side=side,
        qty=qty,
        order_type=kind,
        price_ticks=ref if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None,
        trigger_ticks=ref if kind in (OrderType.STOP, OrderType.STOP_LIMIT) else None,
        protective_stop_ticks=ref - side * stop_dist,
    )


@settings(max_examples=200, deadline=None)
@given(accounts, st.lists(order_strategy, min_size=1, max_size=40))
def test_approved_orders_never_make_the_worst_case_exceed_the_buffer(
    account: AccountState, flow: list[tuple[str, Side, int, OrderType, int, int, bool]]
) -> None:
    engine = make_engine(account)
    tier = engine.max_micros
    for n, (symbol, side, qty, kind, offset, stop_dist, fill) in enumerate(flow):
        req = request(n, symbol, side, qty, kind, offset, stop_dist)
        decision = engine.check(req, NOW)
        if decision.approved and fill and not decision.reducing:
            # entries fill at their reference price (the mark for market orders)
            price = req.price_ticks or req.trigger_ticks or MARK[symbol]
            engine.on_fill(req.order_id, qty, price, NOW)
        if decision.approved and not decision.reducing:
            assert engine.worst_case_cents() <= engine.buffer_cents()
        assert engine.max_micros == tier  # the tier never changes intraday
        assert engine.exposure_micros() <= tier
        assert engine.state in (RiskState.ACTIVE, RiskState.REDUCING, RiskState.HALTED)


@settings(max_examples=150, deadline=None)
@given(accounts, st.lists(st.integers(-40, 40), min_size=1, max_size=40))
def test_halts_are_sticky_and_the_tier_never_rises_with_profits(
    account: AccountState, moves: list[int]
) -> None:
    engine = make_engine(account)
    tier = engine.max_micros
    req = OrderRequest("e", "MES", Side.BUY, 2, OrderType.MARKET, protective_stop_ticks=19_990)
    if engine.check(req, NOW).approved:
        engine.on_fill("e", 2, 20_000, NOW)
    price = 20_000
    halted = False
    for move in moves:
        price += move
        engine.on_mark("MES", price, NOW)
        if engine.state in (RiskState.HALTED_DAY, RiskState.HALTED):
            halted = True
        if halted:
            assert engine.state in (RiskState.HALTED_DAY, RiskState.HALTED)
        assert engine.max_micros == tier
