"""Issue 8: the holes an outside review found in the risk engine, one test (or more) per item."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.risk.engine import ActionKind, RiskAction, RiskEngine, RiskState
from bot.risk.orders import OrderRequest, OrderType, Side
from bot.risk.snapshot import SnapshotInvalid
from bot.rules.account import AccountState
from tests.risk.conftest import DAY, NOW, make_engine

LATER = NOW + timedelta(milliseconds=100)


def entry(
    oid: str,
    qty: int,
    kind: OrderType = OrderType.LIMIT,
    price: int | None = 20_000,
    trigger: int | None = None,
    stop: int = 19_992,
    side: Side = Side.BUY,
) -> OrderRequest:
    return OrderRequest(oid, "MES", side, qty, kind, price, trigger, stop)


def stop_order(oid: str, qty: int, trigger: int, side: Side = Side.SELL) -> OrderRequest:
    return OrderRequest(oid, "MES", side, qty, OrderType.STOP, trigger_ticks=trigger)


def kinds(actions: list[RiskAction]) -> list[ActionKind]:
    return [a.kind for a in actions]


def filled_long(engine: RiskEngine, qty: int = 2, stop: int = 19_992) -> None:
    """Buy `qty` MES at 5000.00 and put its protective stop at the venue."""
    assert engine.check(entry("e", qty, stop=stop), NOW).approved
    engine.on_fill("e", qty, 20_000, NOW)
    assert engine.check(stop_order("s", qty, stop), NOW).approved


# ---- item 1: an entry's loss is measured from the price it can fill at ------------------------


def test_item1_stop_entry_through_the_market_is_measured_from_the_market() -> None:
    engine = make_engine()
    # Buy stop at 4750.00 with MES at 5000.00: it triggers on the next print and fills at
    # about 5000, so its stop at 4749.00 is 251 points away: ~$12,600 on 10 lots, not ~$100.
    order = entry("a", 10, OrderType.STOP, price=None, trigger=19_000, stop=18_996)
    decision = engine.check(order, NOW)
    assert not decision.approved and "worst case" in decision.reason
    assert decision.worst_case_cents > 1_000_000
    # The same stop entry above the market is measured from its trigger (+ the gap allowance).
    above = engine.check(entry("b", 1, OrderType.STOP, None, trigger=20_008, stop=19_998), NOW)
    assert above.approved and above.entry_bound_ticks == 20_012
    assert above.worst_case_cents == (14 + 4) * 125 + 74


def test_item1_market_entry_bound_is_mark_plus_gap() -> None:
    engine = make_engine()
    decision = engine.check(entry("m", 1, OrderType.MARKET, price=None, stop=19_990), NOW)
    assert decision.approved and decision.entry_bound_ticks == 20_004
    assert decision.worst_case_cents == (14 + 4) * 125 + 74


# ---- item 17: a working entry's reservation does not move with the mark --------------------


def test_item17_market_entry_reservation_is_frozen_at_approval() -> None:
    engine = make_engine()
    assert engine.check(entry("m", 8, OrderType.MARKET, price=None, stop=19_930), NOW).approved
    reserved = engine.worst_case_cents()
    engine.on_mark("MES", 20_300, LATER)  # the market runs away before the order fills
    assert engine.worst_case_cents() == reserved
    assert engine.worst_case_cents() <= engine.buffer_cents()


def test_item17_an_entry_restored_without_its_bound_still_reserves() -> None:
    from bot.risk.engine import WorkingOrder

    engine = make_engine()
    order = entry("m", 2, OrderType.MARKET, price=None, stop=19_990)
    assert engine.check(order, NOW).approved
    reserved = engine.worst_case_cents()
    engine.working["m"] = WorkingOrder(order, 2, reducing=False)  # as a caller may rebuild it
    assert engine.worst_case_cents() == reserved
    engine.on_mark("MES", 20_100, LATER)
    assert engine.worst_case_cents() == reserved  # frozen from then on


# ---- item 2: flatten asked again while flat is required and the book is not flat ------------


def test_item2_a_late_fill_after_the_cutoff_is_flattened_again() -> None:
    engine = make_engine()
    assert engine.check(entry("a", 4), NOW).approved
    engine.on_fill("a", 1, 20_000, NOW)
    assert engine.check(stop_order("s", 1, 19_992), NOW).approved
    cutoff = datetime(2024, 6, 12, 20, 0, tzinfo=UTC)  # 15:00 CDT
    assert kinds(engine.on_clock(cutoff)) == [ActionKind.CANCEL_ALL, ActionKind.FLATTEN_ALL]
    engine.on_fill("s", 1, 19_992, cutoff + timedelta(seconds=1))  # flat ... but then
    late = engine.on_fill("a", 2, 20_000, cutoff + timedelta(seconds=2))  # a late partial
    assert ActionKind.FLATTEN_ALL in kinds(late)
    # still there: asked again after the retry interval, on any evaluation
    assert engine.on_clock(cutoff + timedelta(seconds=3)) == []
    assert ActionKind.FLATTEN_ALL in kinds(engine.on_clock(cutoff + timedelta(seconds=8)))
    assert engine.flat_required(cutoff + timedelta(seconds=8)) is not None
    # past Topstep's 15:10 and past 17:00 the request keeps coming until the book is flat
    evening = datetime(2024, 6, 12, 22, 30, tzinfo=UTC)  # 17:30 CDT: next day's session
    assert ActionKind.FLATTEN_ALL in kinds(engine.on_mark("MES", 20_001, evening))


def test_item2_a_fill_after_halted_day_is_flattened() -> None:
    engine = make_engine()
    filled_long(engine, 10, 19_940)
    engine.on_mark("MES", 19_928, NOW)  # -900: HALTED_DAY, flatten asked
    assert engine.state == RiskState.HALTED_DAY
    assert engine.check(OrderRequest("x", "MES", Side.SELL, 10, OrderType.MARKET), NOW).approved
    engine.on_fill("x", 10, 19_928, NOW)
    engine.on_order_done("s", NOW)
    assert engine.is_flat()
    assert engine.on_clock(NOW + timedelta(seconds=60)) == []  # flat: nothing to ask
    ghost = engine.on_fill("late", 1, 19_930, LATER, symbol="MES", side=Side.BUY)
    assert ActionKind.FLATTEN_ALL in kinds(ghost)


def test_item2_requests_are_rate_limited_but_follow_changes() -> None:
    engine = make_engine()
    filled_long(engine, 3)
    cutoff = datetime(2024, 6, 12, 20, 0, tzinfo=UTC)
    assert ActionKind.FLATTEN_ALL in kinds(engine.on_clock(cutoff))
    assert engine.on_mark("MES", 20_001, cutoff + timedelta(seconds=1)) == []
    assert engine.check(OrderRequest("x", "MES", Side.SELL, 3, OrderType.MARKET), cutoff).approved
    changed = engine.on_fill("x", 1, 20_000, cutoff + timedelta(seconds=2))  # position changed
    assert ActionKind.FLATTEN_ALL in kinds(changed)


# ---- item 5: a restart keeps the day's baseline ------------------------------------------


def test_item5_start_day_on_the_day_in_progress_keeps_loss_and_halt() -> None:
    engine = make_engine()
    filled_long(engine, 10, 19_940)
    engine.on_mark("MES", 19_928, NOW)
    engine.check(OrderRequest("x", "MES", Side.SELL, 10, OrderType.MARKET), NOW)
    engine.on_fill("x", 10, 19_928, NOW)
    assert engine.state == RiskState.HALTED_DAY
    revived = make_engine()
    revived.restore(engine.snapshot())
    account = AccountState(balance_cents=0, floor_cents=-200_000, max_micros=20)
    revived.start_day(DAY, account, LATER)
    assert revived.state == RiskState.HALTED_DAY
    assert revived.day_net_cents() == engine.day_net_cents() < -90_000
    assert not revived.check(entry("b", 1), LATER).approved
    revived.start_day(DAY + timedelta(days=1), account, NOW + timedelta(days=1))
    assert revived.state == RiskState.ACTIVE and revived.day_net_cents() == 0
    with pytest.raises(ValueError, match="before the day in progress"):
        revived.start_day(DAY, account, NOW + timedelta(days=1))


# ---- item 3: micros count as full lots outside TopstepX --------------------------------


def test_item3_micros_are_full_lots_on_the_fix_route() -> None:
    engine = make_engine(AccountState.initial(_xfa(1)), micros_per_lot=1)
    assert engine.max_micros == 2 and engine.limits.max_micros_cap == 5
    assert engine.check(entry("a", 2), NOW).approved
    mgc = OrderRequest("g", "MGC", Side.BUY, 1, OrderType.LIMIT, 23_000, None, 22_990)
    engine.on_mark("MGC", 23_000, NOW)
    denied = engine.check(mgc, NOW)
    assert not denied.approved and "3 micros would exceed the limit of 2" in denied.reason
    rich = make_engine(
        AccountState(balance_cents=900_000, floor_cents=0, max_micros=50), micros_per_lot=1
    )
    assert rich.max_micros == 5  # the 5-lot cap, whatever the account state claims
    topstepx = make_engine(AccountState.initial(_xfa(10)), micros_per_lot=10)
    assert topstepx.max_micros == 20


def _xfa(micros_per_lot: int) -> Any:
    from dataclasses import replace

    from bot.rules.profiles import PROFILES

    return replace(PROFILES["xfa-50k"], micros_per_lot=micros_per_lot)


# ---- item 7: protection comes from the stops actually working ------------------------------


def test_item7_a_cancelled_stop_is_noticed_and_protection_is_asked_for() -> None:
    engine = make_engine()
    filled_long(engine, 2)
    assert engine.unprotected_qty("MES") == 0
    engine.on_order_done("s", NOW, "cancelled")
    assert engine.unprotected_qty("MES") == 2
    assert engine.on_clock(NOW + timedelta(seconds=1)) == []  # within the grace
    actions = engine.on_clock(NOW + timedelta(seconds=2))
    assert [(a.kind, a.symbol) for a in actions] == [(ActionKind.PROTECT, "MES")]
    assert not engine.check(entry("b", 1), NOW + timedelta(seconds=2)).approved  # blocked
    later = engine.on_clock(NOW + timedelta(seconds=4))  # still nothing: flatten
    assert ActionKind.FLATTEN_ALL in kinds(later)


def test_item7_a_fill_without_its_stop_is_uncertain_after_the_grace() -> None:
    engine = make_engine()
    assert engine.check(entry("a", 2), NOW).approved
    assert engine.on_fill("a", 2, 20_000, NOW) == []
    assert engine.check(stop_order("s", 1, 19_992), LATER).approved  # covers one lot only
    actions = engine.on_clock(NOW + timedelta(seconds=3))
    assert [(a.kind, a.symbol) for a in actions] == [(ActionKind.PROTECT, "MES")]
    assert "1 MES lots" in actions[0].reason
    assert engine.check(stop_order("s2", 1, 19_992), NOW + timedelta(seconds=3)).approved
    assert "unprotected:MES" not in engine.blocks
    assert engine.check(entry("b", 1), NOW + timedelta(seconds=3)).approved


def test_item7_a_stop_moved_away_counts_and_widening_past_the_buffer_is_refused() -> None:
    engine = make_engine()
    filled_long(engine, 8, 19_992)
    tight = engine.worst_case_cents()
    assert tight == (8 + 4) * 125 * 8 + 37 * 8
    # move the stop 40 ticks away: allowed, and the engine now measures that stop
    moved = engine.check_replace("s", stop_order("s-2", 8, 19_952), LATER)
    assert moved.approved and "s" not in engine.working and "s-2" in engine.working
    assert engine.worst_case_cents() == (48 + 4) * 125 * 8 + 37 * 8
    # 90 ticks away: 94 * 1.25 * 8 = $940 > the $900 buffer: refused, the old stop stays
    wide = engine.check_replace("s-2", stop_order("s-3", 8, 19_910), LATER)
    assert not wide.approved and "too wide" in wide.reason
    assert "s-2" in engine.working and "s-3" not in engine.working
    # a new stop order is held to the same rule
    engine.on_order_done("s-2", LATER)
    assert not engine.check(stop_order("s-4", 8, 19_910), LATER).approved
    assert engine.check(stop_order("s-5", 8, 19_960), LATER).approved


def test_item7_replace_of_an_unknown_order_or_another_side_is_refused() -> None:
    engine = make_engine()
    filled_long(engine, 1)
    assert not engine.check_replace("nope", stop_order("n", 1, 19_990), LATER).approved
    flipped = engine.check_replace("s", stop_order("s2", 1, 20_100, Side.BUY), LATER)
    assert not flipped.approved and "side" in flipped.reason


# ---- item 8: impossible fills and overfills are unknown-state events --------------------------


def test_item8_overfill_blocks_and_flattens() -> None:
    engine = make_engine()
    assert engine.check(entry("a", 8, stop=19_990), NOW).approved
    actions = engine.on_fill("a", 20, 20_000, NOW)
    assert engine.positions["MES"].qty == 20  # the venue says so
    assert "fill_anomaly" in engine.blocks and engine.anomalies["fill_anomaly"] == 1
    assert kinds(actions) == [ActionKind.CANCEL_ALL, ActionKind.FLATTEN_ALL]
    assert not engine.check(entry("b", 1), NOW).approved


def test_item8_negative_fill_is_refused_and_reported() -> None:
    engine = make_engine()
    assert engine.check(entry("a", 8, stop=19_990), NOW).approved
    actions = engine.on_fill("a", -10, 20_000, NOW)
    assert "MES" not in engine.positions or engine.positions["MES"].qty == 0
    assert engine.working["a"].remaining == 8
    assert "fill_anomaly" in engine.blocks
    assert kinds(actions) == [ActionKind.CANCEL_ALL, ActionKind.FLATTEN_ALL]
    events = [e for e in engine.drain_events() if e.event == "risk.anomaly"]
    assert events and events[0].fields["kind"] == "fill_anomaly"


# ---- item 9: one bad tick is an anomaly, not a breach --------------------------------------


def test_item9_a_zero_mark_does_not_fail_the_account() -> None:
    engine = make_engine()
    filled_long(engine, 2)
    engine.on_mark("MES", 0, LATER)
    assert not engine.account_failed and engine.state == RiskState.ACTIVE
    assert engine.marks["MES"] == 20_000 and engine.anomalies["mark_jump"] == 1
    assert "mark:MES" in engine.blocks
    assert not engine.check(entry("b", 1), LATER).approved
    engine.on_mark("MES", 20_001, LATER)  # back to normal: the bad tick is forgotten
    assert "mark:MES" not in engine.blocks
    assert engine.check(entry("b", 1), LATER).approved


def test_item9_a_real_jump_is_accepted_once_confirmed() -> None:
    engine = make_engine()
    filled_long(engine, 2)
    for n in range(2):
        engine.on_mark("MES", 19_000 - n, LATER)
        assert engine.marks["MES"] == 20_000 and "mark:MES" in engine.blocks
    engine.on_mark("MES", 19_002, LATER)  # the third mark in a row at the new level
    assert engine.marks["MES"] == 19_002 and "mark:MES" not in engine.blocks
    assert engine.day_net_cents() < -200_000 and engine.state == RiskState.HALTED


# ---- item 15: restore validates what it is given -----------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (("positions", "MES", "lots"), [[-1, 20_000, 19_992]], "qty must be between"),
        (("day", "realized_cents"), 12.5, "must be a whole number"),
        (("day", "fees_cents"), -1, "between 0"),
        (("positions",), [], "must be an object"),
        (("marks",), {}, "needs a mark"),
        (("state",), "SLEEPING", "state must be one of"),
        (("account_failed",), "no", "true or false"),
        (("positions", "MES", "sign"), 2, "sign must be 1 or -1"),
        (("day", "day"), "June", "YYYY-MM-DD"),
        (("positions", "XYZ"), {"sign": 1, "lots": [[1, 1, 0]]}, "unknown instrument"),
    ],
)
def test_item15_restore_refuses_bad_snapshots(
    path: tuple[str, ...], value: Any, words: str
) -> None:
    engine = make_engine()
    filled_long(engine, 1)
    snap = engine.snapshot()
    target = snap
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    fresh = make_engine()
    before = fresh.snapshot()
    with pytest.raises(SnapshotInvalid, match=words):
        fresh.restore(snap)
    assert fresh.snapshot() == before  # nothing half-applied


def test_item15_restore_round_trips() -> None:
    engine = make_engine()
    filled_long(engine, 3)
    fresh = make_engine()
    fresh.restore(engine.snapshot())
    assert fresh.snapshot() == engine.snapshot()
    assert date.fromisoformat(fresh.snapshot()["day"]["day"]) == DAY


def test_two_sided_entries_only_as_resting_quotes_and_both_are_reserved() -> None:
    """A market maker's bid and offer may work together (each reserved in full); any other
    pair of opposite entries is refused."""
    from dataclasses import replace

    from bot.model.orders import Purpose

    engine = make_engine()
    engine.on_mark("MES", 20_000, NOW)
    bid = replace(entry("b", 1, price=19_999, stop=19_991), purpose=Purpose.QUOTE)
    ask = OrderRequest(
        "a", "MES", Side.SELL, 1, OrderType.LIMIT, price_ticks=20_001,
        protective_stop_ticks=20_009, purpose=Purpose.QUOTE,
    )  # fmt: skip
    assert engine.check(bid, NOW).approved
    one_side = engine.worst_case_cents()
    assert engine.check(ask, NOW).approved
    assert engine.worst_case_cents() > one_side  # both sides count
    plain = OrderRequest(
        "s", "MES", Side.SELL, 1, OrderType.LIMIT, price_ticks=20_002,
        protective_stop_ticks=20_010,
    )  # fmt: skip
    refused = engine.check(plain, NOW)
    assert not refused.approved and "two-sided" in refused.reason
