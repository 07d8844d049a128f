"""Quotes: risk-checked, capped by a message rate (cancels and stops never wait), queue
estimates from the L2 view, and sleeves switched off on their drawdown."""

from __future__ import annotations

from bot.execution.queue import QueueEstimator
from bot.model.commands import CancelOrder, ReplaceOrder, SubmitOrder
from bot.model.orders import Purpose
from bot.model.side import Side
from bot.model.units import NS_PER_SECOND
from bot.portfolio import Allocation
from bot.strategy.intents import TargetPosition
from tests.execution.rig import ALLOC, Rig, stops_never_exceed


def quote_messages(rig: Rig) -> list[SubmitOrder | ReplaceOrder]:
    quote_ids = {o.order_id for o in rig.submitted(Purpose.QUOTE)}
    return [
        c
        for c in rig.sent
        if (isinstance(c, SubmitOrder) and c.order.purpose == Purpose.QUOTE)
        or (isinstance(c, ReplaceOrder) and c.order_id in quote_ids)
    ]


def test_quote_storm_is_capped_and_coalesced_but_cancels_and_stops_never_wait() -> None:
    rig = Rig(max_messages_per_s=5)
    for i in range(30):
        rig.quote("b", 19_990 - i, 20_010 + i)
    sent = quote_messages(rig)
    assert len(sent) == 5  # 2 placements and 3 moves, then the cap
    assert any(e.event == "execution.throttled" for e in rig.engine.drain_events())
    wake = rig.engine.next_deadline_ns(rig.now)
    assert wake is not None and wake > rig.now
    # cancels go at once, whatever the cap
    rig.quote("b", 19_990 - 29, None)
    assert isinstance(rig.sent[-1], CancelOrder)
    # a target entry and its stop go at once too
    rig.target("a", 1, 19_950)
    assert rig.net == 1 and len(rig.venue_stops()) == 1
    assert rig.engine.working_stop_qty("MES") == 1
    # once the window has room, only the latest wanted quote is sent
    rig.now = wake + NS_PER_SECOND
    rig.run(rig.engine.check_timeouts(rig.now))
    last = quote_messages(rig)[len(sent) :]
    assert len(last) == 1
    bid = [o for o in rig.venue.working.values() if o.purpose == Purpose.QUOTE]
    assert [(o.side, o.price_ticks) for o in bid] == [(Side.BUY, 19_990 - 29)]


def test_quote_size_is_capped_by_the_sleeves_max_contracts() -> None:
    rig = Rig({"a": ALLOC["a"], "b": Allocation(0.5, 2, 500_000)})
    rig.quote("b", 19_998, None, qty=5)
    (order,) = rig.submitted(Purpose.QUOTE)
    assert order.qty == 2 and order.protective_stop_ticks == 19_990


def test_quote_fill_gets_a_stop_offset_from_its_fill_price() -> None:
    rig = Rig(checks=(stops_never_exceed,))
    rig.quote("b", 19_998, 20_002, off=6)
    rig.move(19_998)  # the bid fills
    assert rig.net == 1
    (stop,) = rig.venue_stops()
    assert (stop.side, stop.qty, stop.trigger_ticks) == (Side.SELL, 1, 19_992)
    assert rig.portfolio.position("b", "MES") == 1
    # the ask (placed while flat) was pulled: nothing may reverse the position; the bid is back
    quotes = [o for o in rig.venue.working.values() if o.purpose == Purpose.QUOTE]
    assert [(o.side, o.price_ticks) for o in quotes] == [(Side.BUY, 19_998)]


def test_resting_quotes_carry_queue_estimates_fed_from_the_l2_view() -> None:
    rig = Rig()
    rig.engine.on_book_level("MES", 0, 19_998, 40)
    rig.quote("b", 19_998, None)
    (resting,) = rig.engine.resting("b", "MES")
    assert (resting.side, resting.price_ticks, resting.qty, resting.queue_ahead) == (
        Side.BUY,
        19_998,
        1,
        40,
    )
    rig.engine.on_trade("MES", 19_998, 15)
    assert rig.engine.resting("b", "MES")[0].queue_ahead == 25


def test_queue_estimator_rules() -> None:
    q = QueueEstimator()
    q.on_book_level("MES", 1, 20_002, 30)
    q.place("x", "MES", 1, 20_002, 2)  # an ask: 30 ahead
    q.on_book_level("MES", 1, 20_002, 32)  # our 2 lots joined the level
    q.on_trade("MES", 20_002, 10)  # 10 traded ahead of us
    assert q.ahead("x") == 20
    q.on_book_level("MES", 1, 20_002, 22)  # the trade's own level update: no double count
    assert q.ahead("x") == 20
    q.on_book_level("MES", 1, 20_002, 12)  # 10 cancelled out of 20 others: half were ahead
    assert q.ahead("x") == 10
    q.on_book_level("MES", 1, 20_002, 7)  # never more ahead than the level less our own
    assert q.ahead("x") == 5
    q.resize("x", 20_002, 1)  # a smaller size keeps the place
    assert q.ahead("x") == 5
    q.on_trade("MES", 20_003, 1)  # traded through our price: we are at the front
    assert q.ahead("x") == 0
    q.resize("x", 20_003, 1)  # a new price loses the place
    assert q.ahead("x") == q.level_size("MES", 1, 20_003)
    q.remove("x")
    assert q.ahead("x") is None


def test_a_sleeve_switched_off_on_its_drawdown_is_taken_flat_and_the_other_goes_on() -> None:
    rig = Rig(
        {"a": Allocation(0.5, 10, 2_000), "b": Allocation(0.5, 10, 500_000)},
        checks=(stops_never_exceed,),
    )
    rig.portfolio.set_target("b", TargetPosition("MES", 1, 19_960), rig.now)
    rig.target("a", 2, 19_960)
    assert rig.net == 3
    rig.move(19_992)  # a: -2 * 8 * 1.25 - fees = -21.48 > its $20 limit
    assert rig.portfolio.off_reason("a") is not None
    out = rig.engine.sync(rig.tick())
    assert rig.portfolio.position("a", "MES") == 0 and rig.net == 1
    assert rig.portfolio.position("b", "MES") == 1
    assert out.commands == []  # settled
    (stop,) = rig.venue_stops()
    assert stop.qty == 1


def test_drawdown_switch_off_reaches_the_kernel_in_the_output() -> None:
    rig = Rig({"a": Allocation(0.5, 10, 2_000), "b": ALLOC["b"]})
    rig.target("a", 2, 19_960)
    rig.mark(19_990)
    out = rig.engine.sync(rig.tick())
    assert [s for s, _ in out.switched_off] == ["a"]
    rig.run(out)
    assert rig.net == 0


def test_quote_replace_refused_by_risk_cancels_the_quote_with_the_reason() -> None:
    rig = Rig()
    rig.quote("b", 19_998, None, qty=1)
    rig.gate.block("market_data", "MES book stale", rig.now)
    rig.quote("b", 19_997, None, qty=2)  # a move that adds risk: checked again, refused
    refused = [u for s, u in rig.updates if s == "b" and u.status == "refused"]
    assert refused and "MES book stale" in refused[0].reason
    assert [o for o in rig.venue.working.values() if o.purpose == Purpose.QUOTE] == []


def test_quotes_are_pulled_while_market_data_is_unusable_and_come_back_after() -> None:
    """A quote priced on a view the bot no longer has would be picked off: stale data pulls
    every quote of the instrument; usable data puts the sleeve's wanted quotes back."""
    rig = Rig()
    rig.quote("b", 19_998, 20_002)
    resting = [o for o in rig.venue.working.values() if o.purpose == Purpose.QUOTE]
    assert len(resting) == 2
    rig.run(rig.engine.set_market_data("MES", False, "no data for 10 s", rig.tick()))
    assert not [o for o in rig.venue.working.values() if o.purpose == Purpose.QUOTE]
    rig.quote("b", 19_997, 20_003)  # the sleeve re-quotes: still withheld
    assert not [o for o in rig.venue.working.values() if o.purpose == Purpose.QUOTE]
    rig.run(rig.engine.set_market_data("MES", True, "", rig.tick()))
    back = sorted(
        o.price_ticks or 0 for o in rig.venue.working.values() if o.purpose == Purpose.QUOTE
    )
    assert back == [19_997, 20_003]
