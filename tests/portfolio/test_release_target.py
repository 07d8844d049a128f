"""A sleeve may drop its target: its position is then whatever its fills make (a market maker
after an exit), where a standing target of 0 would turn the next passive fill into an exit."""

from __future__ import annotations

from bot.instruments.specs import instrument_table
from bot.model.fills import Fill
from bot.model.side import Side
from bot.portfolio import Allocation, Portfolio
from bot.strategy.intents import TargetPosition


def test_a_released_target_follows_the_position_and_a_standing_zero_exits_it() -> None:
    p = Portfolio(instrument_table(), {"mm": Allocation(0.5, 2, 50_000)})
    p.mark("MES", 20_000, 0)
    p.set_target("mm", TargetPosition("MES", 0), 1)
    p.register_order("q1", {"mm": 1}, stop_offset_ticks=4)
    p.attribute(Fill(2, "q1", "MES", Side.BUY, 1, 20_000, 37))
    assert p.position("mm", "MES") == 1
    assert p.gaps("MES", {}, 3) == {"mm": -1}  # the standing 0 wants the lot sold
    p.release_target("mm", "MES")
    assert p.target("mm", "MES") is None
    assert p.gaps("MES", {}, 4) == {} and p.target_qty("mm", "MES", 4) == 1
