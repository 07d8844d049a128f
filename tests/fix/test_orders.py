"""The order state machine alone, fed with execution reports as text (no session needed)."""

from __future__ import annotations

from decimal import Decimal

from fix.orders import OrderRequest, OrderState, OrderTracker
from fix.wire import FixFields


def er(**tags: str) -> FixFields:
    names = {"clid": 11, "orig": 41, "oid": 37, "eid": 17, "et": 150, "st": 39, "cum": 14,
             "leaves": 151, "lq": 32, "lp": 31, "avg": 6, "qty": 38, "px": 44}  # fmt: skip
    return FixFields([(35, "8"), *((names[k], v) for k, v in tags.items())])


def test_fill_resent_after_reconnect_counts_once_and_42_fills_work() -> None:
    tracker = OrderTracker()
    order = tracker.add("c1", OrderRequest("MES", "buy", 3, "limit", Decimal("5000")))
    tracker.apply_execution_report(er(clid="c1", oid="1", eid="E1", et="0", st="0", leaves="3"))
    fill = er(clid="c1", oid="1", eid="E2", et="1", st="1", cum="1", leaves="2", lq="1", lp="5000")
    tracker.apply_execution_report(fill)  # FIX 4.2 partial fill (ExecType 1)
    dup = tracker.apply_execution_report(fill)  # the same report again (PossDup resend)
    assert dup is not None and dup.duplicate
    last = er(clid="c1", oid="1", eid="E3", et="F", st="2", cum="3", leaves="0", lq="2", lp="5000")
    tracker.apply_execution_report(last)
    assert order.state is OrderState.FILLED and [f.qty for f in order.fills] == [1, 2]


def test_fill_during_pending_cancel_then_too_late() -> None:
    tracker = OrderTracker()
    order = tracker.add("c1", OrderRequest("MES", "buy", 3, "limit", Decimal("5000")))
    tracker.apply_execution_report(er(clid="c1", oid="1", eid="E1", et="0", st="0", leaves="3"))
    tracker.begin_change(order, "k1", cancel=True)
    assert order.state is OrderState.PENDING_CANCEL
    tracker.apply_execution_report(
        er(clid="c1", oid="1", eid="E2", et="F", st="1", cum="1", leaves="2", lq="1", lp="5000")
    )
    assert order.state is OrderState.PENDING_CANCEL and order.cum_qty == 1
    tracker.apply_cancel_reject(FixFields([(35, "9"), (11, "k1"), (41, "c1"), (37, "NONE")]))
    assert order.state is OrderState.PARTIALLY_FILLED and order.pending_cl_ord_id is None


def test_a_cancel_the_venue_never_received_does_not_kill_the_order() -> None:
    tracker = OrderTracker()
    order = tracker.add("c1", OrderRequest("MES", "buy", 3, "limit", Decimal("5000")))
    tracker.apply_execution_report(er(clid="c1", oid="1", eid="E1", et="0", st="0", leaves="3"))
    tracker.begin_change(order, "k1", cancel=True)
    # after a reconnect the status request by the cancel's id finds nothing at the venue
    tracker.apply_execution_report(er(clid="k1", oid="NONE", eid="S1", et="I", st="8"))
    assert order.state is OrderState.NEW and order.pending_cl_ord_id is None
    assert "unknown" in order.text


def test_an_order_the_venue_never_received_is_settled_not_failed_on_a_timeout() -> None:
    tracker = OrderTracker()
    order = tracker.add("c1", OrderRequest("MES", "buy", 3, "limit", Decimal("5000")))
    assert order.state is OrderState.PENDING_NEW  # a timeout changes nothing
    tracker.apply_execution_report(er(clid="c1", oid="NONE", eid="S1", et="I", st="8"))
    assert order.state is OrderState.REJECTED and order.status_unknown


def test_replace_moves_the_order_to_its_new_clordid() -> None:
    tracker = OrderTracker()
    order = tracker.add("c1", OrderRequest("MES", "buy", 3, "limit", Decimal("5000")))
    tracker.apply_execution_report(er(clid="c1", oid="1", eid="E1", et="0", st="0", leaves="3"))
    tracker.begin_change(order, "r1", cancel=False)
    replaced = er(clid="r1", orig="c1", oid="1", eid="E2", et="5", st="0", leaves="4", qty="4",
                  px="5000.25")  # fmt: skip
    tracker.apply_execution_report(replaced)
    assert order.cl_ord_id == "r1" and order.qty == 4 and order.price == Decimal("5000.25")
    assert tracker.by_clid["c1"] is tracker.by_clid["r1"] is order


def test_prices_are_snapped_to_the_tick_grid_both_ways() -> None:
    import pytest

    from fix.gateway import snap_to_grid

    tick = Decimal("0.25")
    assert snap_to_grid(Decimal(5000.25 + 1e-9), tick) == Decimal("5000.25")
    assert snap_to_grid(None, tick) is None
    with pytest.raises(ValueError, match="tick grid"):
        snap_to_grid(Decimal("5000.10"), tick)
    tracker = OrderTracker({"MES": tick})
    order = tracker.add("c1", OrderRequest("MES", "buy", 1, "limit", Decimal("5000")))
    noisy = er(clid="c1", oid="1", eid="E1", et="F", st="2", cum="1", leaves="0", lq="1",
               lp="5000.2500000001")  # fmt: skip
    tracker.apply_execution_report(noisy)
    assert order.fills[0].price == Decimal("5000.25")


def _acked(tracker: OrderTracker, clid: str, oid: str, qty: int = 3) -> None:
    tracker.add(clid, OrderRequest("MES", "buy", qty, "limit", Decimal("5000")))
    tracker.apply_execution_report(
        er(clid=clid, oid=oid, eid=f"A{clid}", et="0", st="0", leaves=str(qty))
    )


def test_exec_ids_are_deduplicated_per_order_so_a_restarted_venue_cannot_hide_reports() -> None:
    """A venue that restarts numbers its ExecIDs from the beginning again: the new order's ack
    and fill reuse ExecIDs an earlier order already had, and must not be dropped."""
    tracker = OrderTracker()
    old = tracker.add("c1", OrderRequest("MES", "buy", 1, "limit", Decimal("5000")))
    tracker.apply_execution_report(er(clid="c1", oid="1", eid="E1", et="0", st="0", leaves="1"))
    tracker.apply_execution_report(
        er(clid="c1", oid="1", eid="E2", et="F", st="2", cum="1", leaves="0", lq="1", lp="5000")
    )
    new = tracker.add("c2", OrderRequest("MES", "buy", 1, "limit", Decimal("5000")))
    ack = tracker.apply_execution_report(
        er(clid="c2", oid="1", eid="E1", et="0", st="0", leaves="1")
    )
    fill = tracker.apply_execution_report(
        er(clid="c2", oid="1", eid="E2", et="F", st="2", cum="1", leaves="0", lq="1", lp="5000")
    )
    assert ack is not None and not ack.duplicate
    assert fill is not None and not fill.duplicate and fill.fill is not None
    assert new.state is OrderState.FILLED and len(new.fills) == 1
    assert old.state is OrderState.FILLED and len(old.fills) == 1


def test_a_fill_the_tracker_cannot_place_is_an_unknown_state_update_never_dropped() -> None:
    tracker = OrderTracker()
    stranger = tracker.apply_execution_report(
        er(clid="someone-else", oid="7", eid="E9", et="F", st="2", cum="1", leaves="0", lq="1",
           lp="5000")
    )  # fmt: skip
    assert stranger is not None and stranger.fill is not None and stranger.unknown
    assert stranger.order.adopted
    no_clid = tracker.apply_execution_report(
        FixFields([(35, "8"), (37, "8"), (17, "E10"), (150, "F"), (39, "2"), (32, "2"),
                   (31, "5000"), (14, "2"), (151, "0")])
    )  # fmt: skip
    assert no_clid is not None and no_clid.fill is not None and no_clid.unknown
    assert [f.exec_id for f in tracker.fill_log] == ["E9", "E10"]


def test_fills_the_venue_counts_but_never_reported_are_unknown_state() -> None:
    tracker = OrderTracker()
    _acked(tracker, "c1", "1")
    update = tracker.apply_execution_report(
        er(clid="c1", oid="1", eid="S1", et="I", st="2", cum="3", leaves="0")
    )
    assert update is not None and "3 filled" in update.unknown
    assert update.order.state is OrderState.FILLED and update.order.missing_qty == 3


def test_terminal_states_stay_terminal_when_reports_arrive_out_of_order() -> None:
    tracker = OrderTracker()
    order = tracker.add("c1", OrderRequest("MES", "buy", 3, "limit", Decimal("5000")))
    tracker.apply_execution_report(
        er(clid="c1", oid="1", eid="E2", et="F", st="2", cum="3", leaves="0", lq="3", lp="5000")
    )
    late_ack = tracker.apply_execution_report(
        er(clid="c1", oid="1", eid="E1", et="0", st="0", leaves="3")
    )
    assert late_ack is not None and late_ack.out_of_order
    assert order.state is OrderState.FILLED and order.leaves_qty == 0 and order.cum_qty == 3
    assert tracker.out_of_order == 1

    _acked(tracker, "c2", "2")
    tracker.begin_change(tracker.by_clid["c2"], "k2", cancel=True)
    tracker.apply_execution_report(
        er(clid="k2", orig="c2", oid="2", eid="E4", et="4", st="4", cum="1", leaves="0")
    )
    late_fill = tracker.apply_execution_report(
        er(clid="c2", oid="2", eid="E3", et="F", st="1", cum="1", leaves="2", lq="1", lp="5000")
    )
    canceled = tracker.by_clid["c2"]
    assert late_fill is not None and late_fill.out_of_order and late_fill.fill is not None
    assert canceled.state is OrderState.CANCELED and canceled.leaves_qty == 0
    assert canceled.cum_qty == 1 and len(canceled.fills) == 1  # the lot is still counted
    assert tracker.out_of_order == 2


def test_a_trade_bust_may_reopen_a_filled_order() -> None:
    tracker = OrderTracker()
    _acked(tracker, "c1", "1", qty=2)
    tracker.apply_execution_report(
        er(clid="c1", oid="1", eid="E2", et="F", st="2", cum="2", leaves="0", lq="2", lp="5000")
    )
    bust = FixFields([(35, "8"), (11, "c1"), (37, "1"), (17, "E3"), (19, "E2"), (150, "H"),
                      (39, "0"), (14, "0"), (151, "2")])  # fmt: skip
    update = tracker.apply_execution_report(bust)
    order = tracker.by_clid["c1"]
    assert update is not None and not update.out_of_order
    assert order.state is OrderState.NEW and order.cum_qty == 0 and order.fills == []


def test_a_status_answer_settles_an_order_whose_state_was_unknown() -> None:
    tracker = OrderTracker()
    _acked(tracker, "c1", "1")
    order = tracker.by_clid["c1"]
    update = tracker.mark_not_working(order, "not in the venue's mass-status answer")
    assert update.unknown and order.state is OrderState.CANCELED and order.status_unknown
    tracker.apply_execution_report(
        er(clid="c1", oid="1", eid="E5", et="F", st="2", cum="3", leaves="0", lq="3", lp="5000")
    )
    assert order.state is OrderState.FILLED and not order.status_unknown
