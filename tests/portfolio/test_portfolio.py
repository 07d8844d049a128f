"""Sleeve books, netting, attribution, budgets and switch-offs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.instruments.specs import instrument_table
from bot.model.fills import Fill
from bot.model.side import Side
from bot.portfolio import UNATTRIBUTED, Allocation, Portfolio, SleeveBook
from bot.portfolio.split import split_pro_rata
from bot.strategy.intents import Quotes, QuoteSide, TargetPosition

MES = instrument_table()["MES"]
ALLOC = {
    "a": Allocation(0.6, 10, 50_000),
    "b": Allocation(0.3, 10, 50_000),
    "c": Allocation(0.1, 10, 50_000),
}


def fill(oid: str, side: Side, qty: int, price: int, fee: int = 0, ts: int = 1) -> Fill:
    return Fill(ts, oid, "MES", side, qty, price, fee)


def new_portfolio() -> Portfolio:
    p = Portfolio(instrument_table(), ALLOC)
    p.mark("MES", 20_000, 0)
    return p


def test_book_is_fifo_with_exact_cents_and_flips_inside_one_fill() -> None:
    book = SleeveBook(MES)
    book.apply(fill("1", Side.BUY, 2, 20_000, 74), 19_990)
    book.apply(fill("2", Side.BUY, 1, 20_004, 37), 19_990)
    assert book.pnl().avg_price_ticks == (2 * 20_000 + 20_004) / 3
    book.apply(fill("3", Side.SELL, 5, 20_010, 185), 20_020)  # closes 3, opens 2 short
    assert book.position == -2 and book.realized_cents == (10 * 2 + 6) * 125
    book.mark_ticks = 20_000
    pnl = book.pnl()
    assert pnl.unrealized_cents == 2 * 10 * 125 and pnl.fees_cents == 296 and pnl.trades == 3
    assert [(lot.qty, lot.stop_ticks) for lot in book.lots] == [(2, 20_020)]


@given(st.integers(0, 1000), st.lists(st.integers(0, 50), min_size=1, max_size=6))
def test_pro_rata_split_adds_up(total: int, weights: list[int]) -> None:
    parts = split_pro_rata(total, [(f"s{i}", w) for i, w in enumerate(weights)])
    assert sum(q for _, q in parts) == total and all(q >= 0 for _, q in parts)
    if sum(weights):
        for (_, q), w in zip(parts, weights, strict=True):
            assert abs(q - total * w / sum(weights)) < 1


orders = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.dictionaries(st.sampled_from("abc"), st.integers(1, 5), min_size=0, max_size=3),
        st.integers(1, 12),  # lots filled (may exceed what was served: an overfill)
        st.integers(-20, 20),  # price offset
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(orders)
def test_attribution_sums_to_the_account_in_qty_fees_and_pnl(
    flow: list[tuple[Side, dict[str, int], int, int]],
) -> None:
    p = new_portfolio()
    account_pos = cash = fees = 0
    for n, (side, lots, qty, offset) in enumerate(flow):
        oid = f"o{n}"
        p.register_order(oid, lots, stop_ticks=20_000 - side * 10)
        price = 20_000 + offset
        parts = p.attribute(fill(oid, side, qty, price, 37 * qty))
        assert sum(f.qty for _, f in parts) == qty
        assert sum(f.fee_cents for _, f in parts) == 37 * qty
        assert all(f.side == side and f.price_ticks == price for _, f in parts)
        account_pos += side * qty
        cash -= side * qty * price
        fees += 37 * qty
    p.mark("MES", 20_003, 2)
    sleeves = [*ALLOC, UNATTRIBUTED]
    assert sum(p.position(s, "MES") for s in sleeves) == account_pos == p.net_position("MES")
    assert sum(p.pnl(s).net_cents for s in sleeves) == (cash + account_pos * 20_003) * 125 - fees


def test_a_fill_is_split_pro_rata_over_what_the_order_still_serves() -> None:
    p = new_portfolio()
    p.register_order("o", {"a": 3, "b": 1}, stop_ticks=19_990)
    first = p.attribute(fill("o", Side.BUY, 2, 20_000, 74))
    # 2 * 3/4 = 1.5 and 2 * 1/4 = 0.5: the tied remainder goes to the first name
    assert [(s, f.qty, f.fee_cents) for s, f in first] == [("a", 2, 74)]
    rest = p.attribute(fill("o", Side.BUY, 2, 20_001, 74))
    assert {s: f.qty for s, f in rest} == {"a": 1, "b": 1}
    assert p.position("a", "MES") == 3 and p.position("b", "MES") == 1
    assert p.held_flat("MES") is None


def test_an_unknown_fill_goes_unattributed_and_holds_the_instrument_flat() -> None:
    p = new_portfolio()
    (part,) = p.attribute(fill("ghost", Side.SELL, 2, 20_000, 74))
    assert part[0] == UNATTRIBUTED and p.net_position("MES") == -2
    assert "unknown order ghost" in (p.held_flat("MES") or "")
    assert p.net_target("MES", 5) == 0  # flattened by the next sync


def test_opposite_targets_cross_internally_at_the_mark_without_fees() -> None:
    p = new_portfolio()
    p.set_target("a", TargetPosition("MES", 3, 19_990), 1)
    p.set_target("b", TargetPosition("MES", -1, 20_010), 1)
    assert p.net_target("MES", 1) == 2
    crossed = p.cross("MES", {}, 2)
    assert [(s, f.side, f.qty, f.price_ticks, f.fee_cents) for s, f in crossed] == [
        ("a", Side.BUY, 1, 20_000, 0),
        ("b", Side.SELL, 1, 20_000, 0),
    ]
    assert p.net_position("MES") == 0
    assert p.gaps("MES", {}, 3) == {"a": 2}  # the account buys only the difference
    assert p.pnl("a").trades == 0  # an internal cross is not an exchange trade


def test_a_sleeve_over_its_drawdown_is_switched_off_and_its_target_goes_to_zero() -> None:
    p = Portfolio(instrument_table(), {"a": Allocation(0.5, 10, 10_000), "b": ALLOC["b"]})
    p.mark("MES", 20_000, 0)
    p.set_target("a", TargetPosition("MES", 4, 19_900), 1)
    p.set_target("b", TargetPosition("MES", 1, 19_900), 1)
    p.register_order("o", {"a": 4, "b": 1})
    p.attribute(fill("o", Side.BUY, 5, 20_000))
    assert p.mark("MES", 19_981, 2) == []  # -4 * 19 * 1.25 = -95.00
    off = p.mark("MES", 19_980, 3)  # -100.00
    assert off == [("a", "drawdown 100.00 reached its limit 100.00")]
    assert p.take_switched_off() == off
    assert p.target_qty("a", "MES", 4) == 0 and p.target_qty("b", "MES", 4) == 1
    p.set_target("a", TargetPosition("MES", 2, 19_900), 5)  # ignored from now on
    assert p.target_qty("a", "MES", 6) == 0 and p.off_reason("a")


def test_target_without_a_stop_switches_the_sleeve_off() -> None:
    p = new_portfolio()
    p.set_quotes("a", Quotes("MES", QuoteSide(19_999, 1), None, 8), 1)
    p.set_target("a", TargetPosition("MES", 2), 1)
    assert "without a stop" in (p.off_reason("a") or "")
    assert p.quotes("a", "MES") is None


def test_budget_is_the_share_of_the_buffer_and_caps_the_target() -> None:
    p = new_portfolio()
    assert p.budget_cents("a", 90_000) == 54_000
    assert p.budget_cents("c", 90_000) == 9_000 and p.budget_cents("a", -5) == 0
    p.set_target("c", TargetPosition("MES", 10, 19_960), 1)
    assert p.target_qty("c", "MES", 1) == 10  # no buffer known yet: max contracts only
    p.set_buffer(90_000)
    # per lot: (40 + 4 gap) ticks * $1.25 + 2 * $0.37 = $55.74; $90 carries 1 lot
    assert p.target_qty("c", "MES", 1) == 1
    p.set_target("a", TargetPosition("MES", -20, 20_040), 1)
    assert p.target_qty("a", "MES", 1) == -9  # $540 / $55.74, under max contracts 10


def test_time_stop_and_hold_flat() -> None:
    p = new_portfolio()
    p.set_target("a", TargetPosition("MES", 2, 19_990, time_stop_ns=100), 1)
    assert p.target_qty("a", "MES", 99) == 2 and p.target_qty("a", "MES", 100) == 0
    p.set_target("b", TargetPosition("MES", 1, 19_990), 1)
    p.hold_flat("MES", "cutoff", 2)
    assert p.net_target("MES", 3) == 0
    p.release("MES", 4)
    assert p.net_target("MES", 5) == 3 and p.net_target("MES", 150) == 1


def test_a_stop_fill_belongs_to_the_tightest_protected_lots() -> None:
    p = new_portfolio()
    p.set_target("a", TargetPosition("MES", 2, 19_990), 1)
    p.set_target("b", TargetPosition("MES", 1, 19_995), 1)
    p.register_order("o", {"a": 2, "b": 1})
    p.attribute(fill("o", Side.BUY, 3, 20_000))
    parts = p.attribute_stop(fill("stop", Side.SELL, 2, 19_994))
    assert {s: f.qty for s, f in parts} == {"a": 1, "b": 1}
    assert p.target("b", "MES") == TargetPosition("MES", 0, 19_995)  # stopped out
    assert p.target("a", "MES") == TargetPosition("MES", 1, 19_990)
