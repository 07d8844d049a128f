"""The market-making statistics on a constructed tape and fills: the edge captured, the mid's
move after a passive fill signed in our favour, flat-to-flat trades after fees, inventory."""

from __future__ import annotations

from bot.engine.results import FillRow
from bot.instruments.specs import instrument_table
from bot.model.events import BookDelta, BookLevel
from bot.research.mm_metrics import MidTape, interval95, measure

S = 1_000_000_000
MES = instrument_table()["MES"]


def tape(*books: tuple[int, int, int]) -> MidTape:
    """(second, bid, ask) one-lot books, each replacing the last."""
    t = MidTape()
    for sec, bid, ask in books:
        levels = (BookLevel(0, bid, 5), BookLevel(1, ask, 5))
        t.see(BookDelta(sec * S, "MES", levels, snapshot=True))
    return t


def fill(sec: int, side: int, price: int, liquidity: str) -> FillRow:
    return FillRow(sec * S, "mm", "MES", side, 1, price, 37, f"o{sec}", liquidity)


BOOKS = ((0, 100, 101), (2, 99, 100), (10, 101, 102))  # mid 100.5, then 99.5, then 101.5


def test_a_bought_bid_that_the_market_runs_through_shows_adverse_selection() -> None:
    fills = [fill(1, +1, 100, "maker"), fill(12, -1, 101, "taker")]
    s = measure("MES", MES, fills, tape(*BOOKS), quotes=4, hours=1.0, net_cents=51)
    assert s.captured_ticks == [0.5]  # bought half a tick under the mid
    assert s.moves_ticks[1] == [-1.0] and s.moves_ticks[5] == [-1.0]  # the mid fell after it
    assert s.moves_ticks[30] == []  # 31 s is past the end of the tape: not measured
    assert s.trades == [125 - 74] and s.trade_lots == [1]  # +1 tick less two fees
    assert s.maker_fills == 1 and s.taker_fills == 1 and s.contracts == 1
    assert s.fill_rate == 0.25
    assert s.max_inventory == 1
    assert s.worst_open_cents == -63  # long from 100 while the mid was 99.5: -$0.625


def test_a_sold_offer_is_signed_the_other_way() -> None:
    fills = [fill(1, -1, 101, "maker"), fill(3, +1, 100, "taker")]
    s = measure("MES", MES, fills, tape(*BOOKS), quotes=1, hours=1.0, net_cents=51)
    assert s.captured_ticks == [0.5] and s.moves_ticks[1] == [1.0]  # the mid fell: good for us
    assert s.trades == [51] and s.worst_open_cents == 0


def test_a_crossed_book_has_no_mid_and_repeats_are_not_recorded() -> None:
    t = tape((0, 100, 101), (1, 100, 101), (2, 101, 101))
    assert t.mids2["MES"] == [201, None]
    assert t.at("MES", 1 * S) == 201 and t.at("MES", 2 * S) is None and t.at("MES", 3 * S) is None


def test_interval_needs_two_values_and_covers_the_mean() -> None:
    assert interval95([1.0]) is None
    lo, hi = interval95([1.0, 2.0, 3.0]) or (0.0, 0.0)
    assert lo < 2.0 < hi
