"""Targets become risk-checked orders; fills bring protective stops in the same call."""

from __future__ import annotations

from bot.model.commands import CancelOrder, ReplaceOrder, SubmitOrder
from bot.model.events import OrderAccepted, OrderCanceled, OrderFilled
from bot.model.fills import Fill
from bot.model.orders import OrderType, Purpose, TimeInForce
from bot.model.side import Side
from bot.model.units import NS_PER_SECOND
from bot.strategy.intents import Quotes, TargetPosition
from tests.execution.rig import Rig, settled_stops_cover, stops_never_exceed


def test_entry_is_a_marketable_ioc_limit_with_the_widest_stop() -> None:
    rig = Rig(checks=(stops_never_exceed,))
    rig.portfolio.set_target("a", TargetPosition("MES", 2, 19_990), rig.now)
    rig.target("b", 1, 19_980)
    entry = rig.submitted(Purpose.ENTRY)[0]
    assert (entry.side, entry.qty, entry.order_type, entry.tif) == (
        Side.BUY,
        3,
        OrderType.LIMIT,
        TimeInForce.IOC,
    )
    assert entry.price_ticks == 20_004 and entry.protective_stop_ticks == 19_980
    assert rig.net == 3
    stops = rig.venue_stops()
    assert sorted((s.trigger_ticks, s.qty) for s in stops) == [(19_980, 1), (19_990, 2)]
    assert all(s.side == Side.SELL for s in stops)
    assert {s: f.qty for s, f in rig.fills} == {"a": 2, "b": 1}
    settled_stops_cover(rig)


def test_the_stop_goes_out_in_the_call_that_processed_the_fill() -> None:
    rig = Rig()
    rig.portfolio.set_target("a", TargetPosition("MES", 2, 19_990), rig.now)
    out = rig.engine.sync(rig.tick())
    (submit,) = out.commands
    assert isinstance(submit, SubmitOrder)
    events = rig.venue.handle(submit, rig.tick())
    assert isinstance(events[0], OrderAccepted)
    assert rig.engine.on_event(events[0], rig.now).commands == []
    after_fill = rig.engine.on_event(events[1], rig.tick())
    (stop,) = after_fill.commands
    assert isinstance(stop, SubmitOrder) and stop.order.purpose == Purpose.STOP
    assert (stop.order.side, stop.order.qty, stop.order.trigger_ticks) == (Side.SELL, 2, 19_990)
    assert [(s, f.qty) for s, f in after_fill.fills] == [("a", 2)]


def test_an_exit_waits_until_the_stops_have_shrunk() -> None:
    rig = Rig(checks=(stops_never_exceed,))
    rig.target("a", 3, 19_990)
    assert rig.venue_stop_qty() == 3
    rig.portfolio.set_target("a", TargetPosition("MES", 1, 19_990), rig.now)
    out = rig.engine.sync(rig.tick())
    (shrink,) = out.commands
    assert isinstance(shrink, ReplaceOrder) and shrink.qty == 1  # no exit yet
    (replaced,) = rig.venue.handle(shrink, rig.tick())
    after = rig.engine.on_event(replaced, rig.now)
    (exit_,) = after.commands
    assert isinstance(exit_, SubmitOrder)
    assert (exit_.order.purpose, exit_.order.side, exit_.order.qty) == (Purpose.EXIT, Side.SELL, 2)
    assert exit_.order.protective_stop_ticks is None
    rig.run(after)  # the exit's fill
    assert rig.net == 1 and rig.venue_stop_qty() == 1
    settled_stops_cover(rig)


def test_a_flip_is_a_close_then_an_open() -> None:
    rig = Rig(checks=(stops_never_exceed, settled_stops_cover))
    rig.target("a", 2, 19_990)
    rig.target("a", -1, 20_010)
    orders = [o for o in rig.submitted() if o.purpose != Purpose.STOP]
    assert [(o.purpose, o.side, o.qty) for o in orders] == [
        (Purpose.ENTRY, Side.BUY, 2),
        (Purpose.EXIT, Side.SELL, 2),
        (Purpose.ENTRY, Side.SELL, 1),
    ]
    assert rig.net == -1
    (stop,) = rig.venue_stops()
    assert (stop.side, stop.qty, stop.trigger_ticks) == (Side.BUY, 1, 20_010)
    assert rig.risk.positions["MES"].qty == -1


def test_refusal_reason_reaches_the_sleeve_and_the_log_and_is_not_asked_again_at_once() -> None:
    rig = Rig()
    rig.target("a", 10, 19_900)  # 104 ticks * 1.25 * 10 > the $900 buffer
    (update,) = [u for s, u in rig.updates if s == "a"]
    assert update.status == "refused" and update.reason.startswith("worst case")
    logged = [e for e in rig.engine.drain_events() if e.event == "execution.refused"]
    assert logged and logged[0].fields["reason"] == update.reason
    decisions = len([e for e in rig.risk.drain_events() if e.event == "risk.decision"])
    rig.sync()
    assert not [e for e in rig.risk.drain_events() if e.event == "risk.decision"]
    assert decisions == 1 and rig.net == 0
    rig.tick(1001)
    rig.sync()  # asked again once the retry interval has passed
    assert [e for e in rig.risk.drain_events() if e.event == "risk.decision"]


def test_quote_refusal_reaches_the_quoting_sleeve() -> None:
    rig = Rig()
    rig.gate.block("market_data", "MES book stale", rig.now)
    rig.quote("b", 19_998, 20_002)
    reasons = {u.reason for s, u in rig.updates if s == "b" and u.status == "refused"}
    assert reasons == {"new risk blocked (market_data: MES book stale)"}


def test_stop_rejected_flattens_and_blocks_new_risk() -> None:
    rig = Rig()
    rig.venue.reject_stops = "stop price through the market"
    rig.target("a", 2, 19_990)
    assert rig.net == 0  # flattened at once: the rejected stop left room for the exit
    flats = rig.submitted(Purpose.FLATTEN)
    assert [(o.side, o.qty, o.order_type) for o in flats] == [(Side.SELL, 2, OrderType.MARKET)]
    assert "stop:MES" in rig.risk.blocks and "rejected" in rig.risk.blocks["stop:MES"]
    assert rig.engine.stop_failure("MES")
    rig.target("a", 3, 19_990)  # no new entry while blocked
    assert len(rig.submitted(Purpose.ENTRY)) == 1 and rig.net == 0


def test_a_refused_stop_blocks_until_flat_and_cooled_down_then_trading_resumes() -> None:
    rig = Rig(stop_failure_cooldown_ns=60 * NS_PER_SECOND)
    rig.venue.reject_stops = "stop price is at or through the last trade"
    rig.target("a", 2, 19_990)
    assert rig.net == 0 and "stop:MES" in rig.risk.blocks
    rig.venue.reject_stops = ""
    rig.now += 59 * NS_PER_SECOND
    rig.target("a", 1, 19_990)  # flat, nothing working, but still cooling down
    assert len(rig.submitted(Purpose.ENTRY)) == 1 and "stop:MES" in rig.risk.blocks
    rig.now += NS_PER_SECOND
    rig.sync()  # the cool-down is over: the block lifts and the wanted entry goes, with a stop
    assert "stop:MES" not in rig.risk.blocks and rig.engine.stop_failure("MES") is None
    assert len(rig.submitted(Purpose.ENTRY)) == 2 and rig.net == 1
    assert rig.venue_stop_qty() == 1


def test_the_days_last_allowed_stop_failure_blocks_until_the_next_day() -> None:
    rig = Rig(stop_failure_cooldown_ns=NS_PER_SECOND, stop_failures_per_day=2)
    rig.venue.reject_stops = "stop price is at or through the last trade"
    rig.target("a", 2, 19_990)  # failure 1: recoverable
    first = rig.risk.blocks["stop:MES"]
    rig.now += 2 * NS_PER_SECOND
    rig.sync()  # recovered, entered again, and the new stop failed too: the day's allowance
    assert len(rig.submitted(Purpose.ENTRY)) == 2 and rig.net == 0
    assert rig.risk.blocks["stop:MES"] != first
    rig.now += 3600 * NS_PER_SECOND
    rig.venue.reject_stops = ""
    rig.sync()
    assert "stop:MES" in rig.risk.blocks and len(rig.submitted(Purpose.ENTRY)) == 2
    rig.run(rig.engine.resume(rig.tick()))  # a new day (or an operator's clear)
    assert "stop:MES" not in rig.risk.blocks and rig.net == 2


def test_a_stop_never_acknowledged_is_not_recovered_by_waiting() -> None:
    rig = Rig(stop_ack_timeout_ns=2 * NS_PER_SECOND, stop_failure_cooldown_ns=NS_PER_SECOND)
    rig.venue.silent_stops = True
    rig.target("a", 1, 19_990)
    rig.now += 2 * NS_PER_SECOND
    rig.run(rig.engine.check_timeouts(rig.now))
    (stop,) = [o for o in rig.submitted(Purpose.STOP)]
    rig.run(rig.engine.on_event(OrderCanceled(rig.tick(), stop.order_id), rig.now))
    assert rig.net == 0
    rig.now += 3600 * NS_PER_SECOND
    rig.sync()
    assert "stop:MES" in rig.risk.blocks  # the venue never answered: blocked for the day


def test_stop_not_acknowledged_in_time_is_cancelled_then_the_position_flattened() -> None:
    rig = Rig(stop_ack_timeout_ns=2_000_000_000)
    rig.venue.silent_stops = True
    rig.target("a", 2, 19_990)
    assert rig.net == 2 and rig.engine.working_stop_qty("MES") == 2
    assert rig.engine.next_deadline_ns(rig.now) is not None
    rig.run(rig.engine.check_timeouts(rig.now + 1_000_000_000))
    assert rig.net == 2 and "stop:MES" not in rig.risk.blocks  # not yet late
    rig.now += 2_000_000_000
    out = rig.engine.check_timeouts(rig.now)
    assert "not acknowledged within 2 s" in rig.risk.blocks["stop:MES"]
    (cancel,) = out.commands
    assert isinstance(cancel, CancelOrder)
    stop_id = cancel.order_id
    rig.collect(out)
    rig.run(rig.engine.on_event(OrderCanceled(rig.tick(), stop_id), rig.now))
    assert rig.net == 0
    assert [o.qty for o in rig.submitted(Purpose.FLATTEN)] == [2]


def test_a_stop_hit_leaves_the_account_flat_and_the_sleeve_with_the_loss() -> None:
    rig = Rig(checks=(stops_never_exceed,))
    rig.target("a", 2, 19_990)
    rig.move(19_990)
    assert rig.net == 0 and rig.venue_stops() == []
    pnl = rig.portfolio.pnl("a", "MES")
    assert pnl.position == 0 and pnl.realized_cents == -2 * 10 * 125
    assert pnl.fees_cents == 4 * 37
    assert rig.risk.day_net_cents() == pnl.net_cents
    assert rig.portfolio.target("a", "MES") == TargetPosition("MES", 0, 19_990)
    rig.move(20_000)
    assert rig.net == 0  # stopped out: not bought back


def test_terminal_states_are_terminal() -> None:
    rig = Rig()
    rig.quote("b", 19_996, None)
    (quote,) = rig.submitted(Purpose.QUOTE)
    rig.quote("b", None, None)
    assert rig.engine.live_orders() == []
    assert rig.engine.on_event(OrderAccepted(rig.tick(), quote.order_id), rig.now).commands == []
    assert rig.engine.live_orders() == []
    assert rig.engine.done[quote.order_id].status == "canceled"


def test_resync_after_reconnect_places_stops_the_venue_lost() -> None:
    rig = Rig(checks=(stops_never_exceed,))
    rig.target("a", 2, 19_990)
    (lost,) = rig.venue_stops()
    del rig.venue.working[lost.order_id]  # the venue forgot it across the reconnect
    rig.run(rig.engine.resync_stops(rig.tick(), venue_working=[]))
    (again,) = rig.venue_stops()
    assert again.order_id != lost.order_id and again.qty == 2
    settled_stops_cover(rig)


def test_cancel_all_keeps_the_stops_and_flatten_all_takes_everything_flat() -> None:
    rig = Rig(checks=(stops_never_exceed,))
    rig.target("a", 2, 19_990)
    rig.quote("b", None, 20_010)  # no quote against the held position (it could reverse it)
    assert rig.net == 2 and rig.submitted(Purpose.QUOTE) == []
    rig.quote("b", 19_990, None)  # a bid at the stop's trigger could be hit by it: withheld
    assert rig.submitted(Purpose.QUOTE) == []
    rig.quote("b", 19_991, None)
    assert [o.price_ticks for o in rig.submitted(Purpose.QUOTE)] == [19_991]
    rig.run(rig.engine.cancel_all("cutoff", rig.tick()))
    assert [o.purpose for o in rig.venue.working.values()] == [Purpose.STOP]
    rig.run(rig.engine.flatten_all("cutoff", rig.tick()))
    assert rig.net == 0 and rig.venue.working == {}
    rig.target("a", 2, 19_990)
    assert rig.net == 0  # held flat until resume
    rig.run(rig.engine.resume(rig.tick()))
    assert rig.net == 2


def test_an_unanswered_cancel_is_sent_again() -> None:
    rig = Rig(stop_ack_timeout_ns=2_000_000_000)
    rig.quote("b", 19_996, None)
    (quote,) = rig.submitted(Purpose.QUOTE)
    rig.portfolio.set_quotes("b", Quotes("MES", None, None, 8), rig.now)
    out = rig.engine.sync(rig.tick())
    assert [type(c) for c in out.commands] == [CancelOrder]  # the venue never answers it
    assert rig.engine.next_deadline_ns(rig.now) == rig.now + 2_000_000_000
    assert rig.engine.check_timeouts(rig.now + 1).commands == []
    again = rig.engine.check_timeouts(rig.now + 2_000_000_000)
    assert again.commands == [CancelOrder(quote.order_id, "MES", "cancel not answered: sent again")]


def test_a_fill_before_the_acknowledgement_acknowledges_the_order() -> None:
    rig = Rig(stop_ack_timeout_ns=2_000_000_000)
    rig.venue.silent_stops = True
    rig.target("a", 3, 19_950)
    (stop,) = rig.submitted(Purpose.STOP)
    assert rig.engine.orders[stop.order_id].pending == "new"
    early = Fill(rig.tick(), stop.order_id, "MES", Side.SELL, 1, 19_950, 37, leaves_qty=2)
    rig.engine.on_event(OrderFilled(rig.now, early), rig.now)
    assert rig.engine.orders[stop.order_id].pending != "new"
    assert rig.net == 2 and rig.engine.stop_failure("MES") is None
