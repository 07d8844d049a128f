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
