"""The walk-forward never lets a test year's data choose a parameter, and reports what it
chose on the years after; then the same on constructed bars through the real core."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from bot.app.sleeves import load_sleeve_specs
from bot.config import load_settings
from bot.engine.results import DayResult
from bot.research.book import BarBook, Segment, Window
from bot.research.grid import HEDGE, MR, TF, SleeveGrid, score
from bot.research.report import chosen
from bot.research.shocks import scenario, trading_days
from bot.research.sleeves_toml import render
from bot.research.walkforward import (
    CoreEvaluator,
    best,
    make_folds,
    run_fold,
    walk_forward,
    walk_forward_parallel,
    year_bounds,
)
from bot.strategy.config import SleeveSpec, parse_sleeves
from bot.strategy.sleeves import PARAM_MODELS

YEARS = {y: Window(date(y, 1, 2), date(y, 12, 30)) for y in range(2001, 2006)}


def _segment(name: str, year: int, daily: list[int]) -> Segment:
    days = tuple(
        DayResult(date(year, 1, 2 + i), x, min(0, x), {name: x}, 1, False, False)
        for i, x in enumerate(daily)
    )
    return Segment((name,), days, {name: {}}, False)


class Constructed:
    """Candidate 0 earns steadily in 2001-2004 and loses in 2005; candidate 1 the opposite
    (and much more): a walk-forward that peeked at 2005 would pick candidate 1 for it."""

    def __init__(self, test_year_twist: int = 1) -> None:
        self.twist = test_year_twist
        self.asked: list[tuple[str, int, int]] = []
        self.book_windows: list[Window] = []

    def standalone(self, grid: SleeveGrid, index: int, year: int) -> Segment:
        self.asked.append((grid.name, index, year))
        good = (index == 0) != (year == 2005)
        pattern = [300, -100, 250, 50] if good else [-200, 100, -300, 20]
        if year == 2005:
            pattern = [self.twist * 5 * x for x in pattern]
        return _segment(grid.name, year, pattern)

    def book(self, specs: list[SleeveSpec], window: Window) -> Segment:
        self.book_windows.append(window)
        return _segment(specs[0].name, window.first.year, [10, -5, 3])


def test_folds_train_on_the_years_before_and_skip_holes() -> None:
    bounds = {y: w for y, w in YEARS.items() if y != 2003}
    folds = make_folds(bounds, 1)
    assert [(f.train_years, f.test_year) for f in folds] == [((2001,), 2002), ((2004,), 2005)]
    assert [f.test_year for f in make_folds(YEARS, 2)] == [2003, 2004, 2005]


def test_the_choice_uses_only_the_training_years() -> None:
    ev = Constructed()
    grids = (MR, TF)
    (fold,) = [f for f in make_folds(YEARS, 2) if f.test_year == 2005]
    result = run_fold(ev, fold, grids)
    assert result.choices == {"mr": 0, "tf": 0}  # 2005 favours candidate 1; training does not
    assert all(year in (2003, 2004) for _, _, year in ev.asked)  # 2005 never asked for
    assert ev.book_windows[-1] == YEARS[2005]  # the test year is run only to report it
    # and turning the test year's P&L upside down changes nothing about the choice
    flipped = run_fold(Constructed(test_year_twist=-1), fold, grids)
    assert flipped.choices == result.choices and flipped.scores == result.scores


def test_best_takes_the_first_of_equals() -> None:
    assert best([0.5, 1.0, 1.0, -2.0]) == 1
    assert best([0.0, 0.0]) == 0


def test_walk_forward_on_constructed_bars_through_the_core() -> None:
    """Seeded bars over a year end, one training year: the fold's choice is the candidate with
    the best training Sharpe (recomputed here from the training year's own run), and what is
    reported out-of-sample is exactly the test year's days."""
    days = trading_days(date(2019, 9, 3), 110)
    bars = scenario(7, days, shock_index=90).bars
    book = BarBook(load_settings(), bars, warmup_days=30)
    bounds = year_bounds(book.days())
    assert sorted(bounds) == [2019, 2020]
    small = (
        SleeveGrid("mr", MR.kind, MR.allocation, MR.candidates[:2]),
        SleeveGrid("tf", TF.kind, TF.allocation, TF.candidates[:1]),
        SleeveGrid("hedge", HEDGE.kind, HEDGE.allocation, HEDGE.candidates[:1]),
    )
    ev = CoreEvaluator(book, bounds)
    wf = walk_forward(ev, bounds, 1, small)
    (fold,) = wf.folds
    train = [score(ev.standalone(small[0], i, 2019).net("mr")) for i in range(2)]
    assert fold.choices["mr"] == best(train)
    oos = wf.stitched_oos()
    assert {d.day.year for d in oos.days} == {2020}
    assert {d.day.year for d in wf.stitched_is().days} == {2019}
    assert oos.sleeves == ("mr", "tf", "hedge")
    assert sum(d.net_cents for d in oos.days) == sum(
        sum(d.sleeve_net_cents.values()) for d in oos.days
    )  # attribution adds up to the account
    # the same in two forked worker processes: the same runs, gathered in order
    fresh = CoreEvaluator(BarBook(load_settings(), bars, 30), bounds)
    again = walk_forward_parallel(fresh, 1, jobs=2, grids=small)
    assert again.folds[0].choices == fold.choices and again.folds[0].scores == fold.scores
    assert again.stitched_oos().days == oos.days
    # what the walk-forward chose becomes a valid sleeves.toml, with the latest fold's choice
    text = render(chosen(wf), "constructed bars", len(wf.folds))
    specs = parse_sleeves(tomllib.loads(text), PARAM_MODELS, frozenset({"MES"}), "generated")
    by_name = {s.name: s for s in specs}
    assert set(by_name) == {"mm", "mr", "tf", "hedge"}
    assert by_name["mr"].params == small[0].candidates[fold.choices["mr"]]
    assert "chosen by the walk-forward on 2019" in text


def test_the_shipped_sleeves_toml_is_valid_and_names_its_source() -> None:
    path = Path(__file__).resolve().parents[2] / "sleeves.toml"
    specs = load_sleeve_specs(path, None, frozenset({"MES", "MNQ"}))
    assert {s.kind for s in specs} == {"market_making", "mean_reversion", "trend", "tail_hedge"}
    text = path.read_text(encoding="utf-8")
    assert text.count("# chosen by the walk-forward on") == 3
