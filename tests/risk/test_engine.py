"""Pre-trade checks and state transitions, each with the reason the trader would read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.ops.state_store import StateStore
from bot.risk.engine import ActionKind, RiskEngine, RiskState
from bot.risk.orders import OrderRequest, OrderType, Side
from bot.rules.account import AccountState
from tests.risk.conftest import DAY, NOW, make_engine


def buy(
    oid: str, qty: int, price: int = 20_000, stop: int | None = 19_992, **kw: object
) -> OrderRequest:
    return OrderRequest(
        oid,
        "MES",
        Side.BUY,
        qty,
        OrderType.LIMIT,
        price_ticks=price,
        protective_stop_ticks=stop,
        **kw,
    )  # type: ignore[arg-type]


def sell(oid: str, qty: int, kind: OrderType = OrderType.MARKET) -> OrderRequest:
    return OrderRequest(oid, "MES", Side.SELL, qty, kind)


def test_entry_needs_a_protective_stop_on_the_losing_side(engine: RiskEngine) -> None:
    denied = engine.check(buy("a", 1, stop=None), NOW)
    assert not denied.approved and denied.reason == "no entry without a protective stop"
    wrong = engine.check(buy("b", 1, stop=20_004), NOW)
    assert not wrong.approved and "losing side" in wrong.reason
    ok = engine.check(buy("c", 1), NOW)
    assert ok.approved and ok.reason == "within limits"


def test_size_is_capped_by_the_scaling_tier(engine: RiskEngine) -> None:
    assert engine.max_micros == 20
    denied = engine.check(buy("a", 21, stop=19_998), NOW)
    assert not denied.approved and "21 micros would exceed the limit of 20" in denied.reason
    assert engine.check(buy("b", 20, stop=19_998), NOW).approved
    again = engine.check(buy("c", 1, stop=19_998), NOW)
    assert not again.approved and "size" in again.reason


def test_fifty_micro_cap_even_on_the_top_tier() -> None:
    rich = make_engine(AccountState(balance_cents=500_000, floor_cents=0, max_micros=50))
    assert rich.max_micros == 50
    denied = rich.check(buy("a", 51, stop=19_999), NOW)
    assert not denied.approved and "limit of 50" in denied.reason


def test_worst_case_must_fit_the_buffer(engine: RiskEngine) -> None:
    # 10 MES, stop 80 ticks away, gap 4: (84 * $1.25 * 10) + $7.40 fees = $1,057.40 > $900
    wide = engine.check(buy("a", 10, stop=19_920), NOW)
    assert not wide.approved
    assert wide.reason == "worst case 1057.40 exceeds the remaining buffer 900.00"
    # 8 lots: 84 * 1.25 * 8 + 5.92 = 845.92 fits
    fits = engine.check(buy("b", 8, stop=19_920), NOW)
    assert fits.approved and fits.worst_case_cents == 84_592


def test_working_orders_reserve_risk_until_done(engine: RiskEngine) -> None:
    assert engine.check(buy("a", 4, stop=19_920), NOW).approved  # 422.96
    assert engine.check(buy("b", 4, stop=19_920), NOW).approved  # 845.92 in all
    third = engine.check(buy("c", 1, stop=19_920), NOW)
    assert not third.approved and "worst case" in third.reason
    engine.on_order_done("a", NOW, "cancelled")
    assert engine.check(buy("c2", 1, stop=19_920), NOW).approved


def test_fees_count_in_the_days_net(engine: RiskEngine) -> None:
    engine.check(buy("a", 2), NOW)
    engine.on_fill("a", 2, 20_000, NOW)
    engine.check(sell("b", 2), NOW)
    engine.on_fill("b", 2, 20_000, NOW)
    assert engine.day_net_cents() == -4 * 37
    assert engine.positions["MES"].qty == 0


def test_reducing_orders_pass_in_any_state_but_never_reverse(engine: RiskEngine) -> None:
    engine.check(buy("a", 3), NOW)
    engine.on_fill("a", 3, 20_000, NOW)
    engine.block("market_data", "MES book stale for 3 s", NOW)
    entry = engine.check(buy("b", 1), NOW)
    assert not entry.approved and "MES book stale" in entry.reason
    stop = engine.check(
        OrderRequest("s", "MES", Side.SELL, 3, OrderType.STOP, trigger_ticks=19_992), NOW
    )
    assert stop.approved and stop.reducing
    second_stop = engine.check(
        OrderRequest("s2", "MES", Side.SELL, 1, OrderType.STOP, trigger_ticks=19_992), NOW
    )
    assert not second_stop.approved and "no reversals" in second_stop.reason
    assert engine.check(sell("x", 2), NOW).approved  # exits and stops are counted apart
    extra = engine.check(sell("y", 2), NOW)
    assert not extra.approved and "no reversals" in extra.reason
    engine.on_order_done("x", NOW)
    flip = engine.check(sell("f", 4), NOW)
    assert not flip.approved and "exceed the 3-lot position" in flip.reason
    engine.unblock("market_data", NOW)
    assert engine.check(buy("b2", 1), NOW).approved


def test_losses_walk_through_reducing_to_halted_day_and_it_sticks(engine: RiskEngine) -> None:
    engine.check(buy("a", 10, stop=19_940), NOW)  # (60+4)*1.25*10 + 7.40 = 807.40
    engine.on_fill("a", 10, 20_000, NOW)
    assert engine.state == RiskState.ACTIVE
    assert engine.on_mark("MES", 19_936, NOW) == []  # -800 - 3.70 fees: under 90% of 900
    assert engine.state == RiskState.ACTIVE
    assert engine.on_mark("MES", 19_935, NOW) == []  # -812.50 - 3.70 >= 810 -> REDUCING
    assert engine.state == RiskState.REDUCING
    denied = engine.check(buy("b", 1, stop=19_930), NOW)
    assert not denied.approved and "REDUCING" in denied.reason
    actions = engine.on_mark("MES", 19_928, NOW)  # -900 - 3.70
    assert engine.state == RiskState.HALTED_DAY
    assert [a.kind for a in actions] == [ActionKind.CANCEL_ALL, ActionKind.FLATTEN_ALL]
    engine.on_mark("MES", 20_100, NOW)  # recovering does not un-halt the day
    assert engine.state == RiskState.HALTED_DAY
    events = [e.event for e in engine.drain_events()]
    assert events.count("risk.transition") == 2
    assert engine.check(sell("x", 10), NOW).approved
    engine.on_fill("x", 10, 20_100, NOW)
    nxt = NOW + timedelta(days=1)
    engine.start_day(
        date(2024, 6, 13), AccountState(balance_cents=0, floor_cents=-200_000, max_micros=20), nxt
    )
    assert engine.state == RiskState.ACTIVE


def test_dll_itself_is_a_rule_breach_that_needs_an_operator(engine: RiskEngine) -> None:
    engine.check(buy("a", 10, stop=19_940), NOW)
    engine.on_fill("a", 10, 20_000, NOW)
    engine.on_mark("MES", 19_900, NOW)  # a gap straight through: -1,250
    assert engine.state == RiskState.HALTED and "daily loss limit" in engine.state_reason
    assert engine.operator_clear(NOW, "ops")  # not an account failure
    assert engine.state == RiskState.HALTED  # still below the DLL: re-halts at once


def test_mll_safety_margin_and_breach() -> None:
    near = make_engine(AccountState(balance_cents=-170_000, floor_cents=-200_000, max_micros=20))
    # buffer: min(900, -1700 - (-2000) - 200) = 100
    assert near.buffer_cents() == 10_000
    wide = near.check(buy("a", 1, stop=19_900), NOW)
    assert not wide.approved
    assert near.check(buy("b", 1, stop=19_940), NOW).approved  # 64*1.25 + .74 = 80.74
    near.on_fill("b", 1, 20_000, NOW)
    near.on_mark("MES", 19_920, NOW)  # -100 -0.37: equity -1800.37, inside the $200 margin
    assert near.state == RiskState.HALTED and "MLL safety threshold" in near.state_reason
    assert not near.account_failed
    near.on_mark("MES", 19_750, NOW)  # -312.87: equity below the -2000 floor on marks
    assert near.state == RiskState.HALTED
    assert not near.account_failed  # marks halt; only fills make the breach final
    near.check(sell("x", 1), NOW)
    near.on_fill("x", 1, 19_750, NOW)  # the flatten fills there: realized, final
    assert near.account_failed and "MLL breached" in near.state_reason
    assert not near.operator_clear(NOW, "ops")


def protect(engine: RiskEngine, oid: str, qty: int, trigger: int = 19_992) -> None:
    stop = OrderRequest(oid, "MES", Side.SELL, qty, OrderType.STOP, trigger_ticks=trigger)
    assert engine.check(stop, NOW).approved


def test_cutoff_flattens_and_blocks_entries(engine: RiskEngine) -> None:
    engine.check(buy("a", 1), NOW)
    engine.on_fill("a", 1, 20_000, NOW)
    protect(engine, "s", 1)
    before = datetime(2024, 6, 12, 19, 59, tzinfo=UTC)
    assert engine.on_clock(before) == []
    after = datetime(2024, 6, 12, 20, 0, tzinfo=UTC)  # 15:00 CDT
    actions = engine.on_clock(after)
    assert [a.kind for a in actions] == [ActionKind.CANCEL_ALL, ActionKind.FLATTEN_ALL]
    assert engine.on_clock(after + timedelta(seconds=4)) == []  # not more than every 5 s
    late = engine.check(buy("b", 1), after)
    assert not late.approved and "flat-by cutoff" in late.reason
    assert engine.check(sell("c", 1), after).approved  # flattening is always allowed


def test_unknown_fill_fails_closed(engine: RiskEngine) -> None:
    actions = engine.on_fill("ghost", 2, 20_000, NOW)
    assert [a.kind for a in actions] == [ActionKind.CANCEL_ALL, ActionKind.FLATTEN_ALL]
    assert not engine.check(buy("a", 1), NOW).approved


def test_reducing_order_that_fills_into_new_exposure_is_flattened(engine: RiskEngine) -> None:
    engine.check(buy("a", 1), NOW)
    engine.on_fill("a", 1, 20_000, NOW)
    take_profit = OrderRequest("tp", "MES", Side.SELL, 1, OrderType.LIMIT, price_ticks=20_010)
    assert engine.check(take_profit, NOW).approved
    second = OrderRequest("tp2", "MES", Side.SELL, 1, OrderType.LIMIT, price_ticks=20_020)
    assert not engine.check(second, NOW).approved  # the take-profit already covers the lot
    engine.on_fill("broker-liq", 1, 19_990, NOW, symbol="MES", side=Side.SELL)  # not ours
    assert engine.positions["MES"].qty == 0
    actions = engine.on_fill("tp", 1, 20_010, NOW)  # the orphaned exit opens a short
    assert ActionKind.FLATTEN_ALL in [a.kind for a in actions]
    assert "unprotected_fill" in engine.blocks


def test_every_decision_is_an_event_with_a_reason(engine: RiskEngine) -> None:
    engine.check(buy("a", 1, stop=None), NOW)
    engine.check(buy("b", 1), NOW)
    decisions = [e for e in engine.drain_events() if e.event == "risk.decision"]
    assert [(e.fields["order_id"], e.fields["approved"]) for e in decisions] == [
        ("a", False),
        ("b", True),
    ]
    assert all(e.fields["reason"] for e in decisions)


def test_halt_survives_a_restart_through_the_state_store(tmp_path: Path) -> None:
    engine = make_engine(AccountState(balance_cents=-170_000, floor_cents=-200_000, max_micros=20))
    engine.check(buy("b", 1, stop=19_940), NOW)
    engine.on_fill("b", 1, 20_000, NOW)
    engine.on_mark("MES", 19_920, NOW)
    store = StateStore(tmp_path)
    store.save_snapshot(engine.snapshot())
    store.append_events(engine.drain_events())
    revived = make_engine(AccountState(balance_cents=-170_000, floor_cents=-200_000, max_micros=20))
    revived.restore(store.load_snapshot() or {})
    assert revived.state == RiskState.HALTED
    assert revived.positions["MES"].qty == 1
    assert revived.day_net_cents() == engine.day_net_cents()
    assert any(
        e["event"] == "risk.transition" and e["to_state"] == "HALTED" for e in store.read_events()
    )
    assert DAY.isoformat() in (tmp_path / "risk_state.json").read_text()
