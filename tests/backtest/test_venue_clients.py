"""The venue adapters: one conversion of orders and reports, one order id through replaces."""

from __future__ import annotations

from datetime import date

from bot.backtest.models import FeeModel, LatencyModel, SlippageModel
from bot.backtest.quote_venue import QuoteVenueClient
from bot.backtest.sim_client import SimVenueClient
from bot.exchange.flow import SyntheticFlow
from bot.exchange.venue import Venue
from bot.instruments.specs import instrument_table
from bot.model.commands import CancelOrder, ReplaceOrder, SubmitOrder
from bot.model.events import (
    CancelRejected,
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
)
from bot.model.fills import Liquidity
from bot.model.orders import Order, OrderType
from bot.model.side import Side

TABLE = instrument_table()
FEES = FeeModel.from_instruments(TABLE)


def order(oid: str, side: Side, kind: OrderType = OrderType.LIMIT, price: int | None = None,
          trigger: int | None = None, qty: int = 1) -> SubmitOrder:  # fmt: skip
    return SubmitOrder(Order(oid, "MES", side, qty, kind, price, trigger))


def sim() -> tuple[SimVenueClient, list[Event], Venue]:
    venue = Venue(TABLE, date(2024, 3, 4))
    SyntheticFlow(venue, ("MES",), seed=3)  # seeds a book around 6000.00
    events: list[Event] = []
    return SimVenueClient(venue, events.append, 7, FEES), events, venue


def test_sim_client_one_order_id_through_replace_and_cancel() -> None:
    client, events, venue = sim()
    bid = venue.engine(venue.contract("MES")).book.best_price(0)
    assert bid is not None
    client.send(order("a-1", Side.BUY, price=bid - 4), 100)
    client.send(ReplaceOrder("a-1", "MES", 2, bid - 3), 200)
    client.send(ReplaceOrder("a-1", "MES", 3, bid - 2), 300)
    client.send(CancelOrder("a-1", "MES"), 400)
    ours = [e for e in events if not hasattr(e, "levels") and not hasattr(e, "trade")]
    assert [type(e) for e in ours] == [OrderAccepted, OrderReplaced, OrderReplaced, OrderCanceled]
    assert {e.order_id for e in ours} == {"a-1"}  # type: ignore[union-attr]
    assert [e.ts_ns for e in ours] == [107, 207, 307, 407]  # venue time + the latency back
    replaced = ours[2]
    assert isinstance(replaced, OrderReplaced) and (replaced.qty, replaced.price_ticks) == (
        3,
        bid - 2,
    )
    assert client.working == 0
    client.send(CancelOrder("a-1", "MES"), 500)
    assert isinstance(events[-1], CancelRejected) and events[-1].order_gone


def test_sim_client_taker_fill_side_price_and_fee() -> None:
    client, events, venue = sim()
    ask = venue.engine(venue.contract("MES")).book.best_price(1)
    client.send(order("b-1", Side.BUY, OrderType.MARKET, qty=2), 10)
    fills = [e for e in events if isinstance(e, OrderFilled)]
    assert fills and all(f.fill.side is Side.BUY and f.fill.order_id == "b-1" for f in fills)
    assert fills[0].fill.price_ticks == ask
    assert fills[0].fill.liquidity is Liquidity.TAKER
    assert sum(f.fill.qty for f in fills) == 2
    assert sum(f.fill.fee_cents for f in fills) == 2 * 37


def test_sim_client_refusals_are_events() -> None:
    client, events, _ = sim()
    client.send(SubmitOrder(Order("c-1", "ZZZ", Side.BUY, 1, OrderType.MARKET)), 1)
    client.send(order("c-2", Side.BUY, price=None), 2)  # a limit without a price
    rejected = [e for e in events if isinstance(e, OrderRejected)]
    assert [e.order_id for e in rejected] == ["c-1", "c-2"]


def quotes() -> tuple[QuoteVenueClient, list[Event]]:
    events: list[Event] = []
    client = QuoteVenueClient(events.append, 0, FEES, SlippageModel(1), frozenset({"MES"}))
    client.update("MES", 100, 101, [], 1)
    return client, events


def test_l2_resting_limit_needs_a_print_through_or_the_touch_at_its_price() -> None:
    client, events = quotes()
    client.send(order("q-1", Side.BUY, price=99), 2)
    client.update("MES", 99, 100, [99], 3)  # a print AT our price: queue unknown, no fill
    assert not [e for e in events if isinstance(e, OrderFilled)]
    client.update("MES", 98, 99, [], 4)  # the offer came down to our price: filled
    (filled,) = [e for e in events if isinstance(e, OrderFilled)]
    assert (filled.fill.price_ticks, filled.fill.liquidity) == (99, Liquidity.MAKER)


def test_l2_market_and_marketable_limit_take_the_touch() -> None:
    client, events = quotes()
    client.send(order("m-1", Side.BUY, OrderType.MARKET), 2)
    client.send(order("m-2", Side.SELL, price=99), 3)
    got = [(e.fill.order_id, e.fill.price_ticks) for e in events if isinstance(e, OrderFilled)]
    assert got == [("m-1", 102), ("m-2", 100)]  # market + 1 tick slippage; limit at the bid


def test_l2_stop_triggers_on_a_print_and_fills_at_the_worse_price() -> None:
    client, events = quotes()
    client.update("MES", 100, 101, [100], 2)
    client.send(order("s-0", Side.SELL, OrderType.STOP, trigger=100), 3)
    assert isinstance(events[-1], OrderRejected)  # at the last trade: refused
    client.send(order("s-1", Side.SELL, OrderType.STOP, trigger=98), 4)
    client.update("MES", 96, 97, [98, 97], 5)  # gapped: the bid is below the trigger
    (filled,) = [e for e in events if isinstance(e, OrderFilled)]
    assert filled.fill.price_ticks == 95  # the bid 96, one tick of slippage


def test_latency_model() -> None:
    assert LatencyModel.fixed_ms(1.5) == LatencyModel(1_500_000, 1_500_000)
