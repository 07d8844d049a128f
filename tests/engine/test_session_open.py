"""A day whose first data comes after the session's open still tells the sleeves it opened
(the market maker stays out until it hears the open), once, before anything of the day."""

from __future__ import annotations

from bot.model.market import Bar
from bot.strategy.base import SleeveContext
from tests.engine.test_kernel import Scripted, bars, run


def test_the_open_is_heard_at_once_when_the_data_starts_inside_the_session() -> None:
    def nothing(ctx: SleeveContext, bar: Bar, i: int) -> None:
        return None

    sleeve = Scripted("s", nothing)
    run([sleeve], bars([20_000 + (i % 3) for i in range(84)]))  # 08:30 to 15:30 CT
    assert sleeve.sessions[:2] == ["new_day", "open"]
    assert sleeve.sessions.count("open") == 1
    assert sleeve.sessions.index("cutoff") > sleeve.sessions.index("open")
