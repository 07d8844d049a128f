"""Walk-forward parameter choice: chosen on a training window only, reported on the next,
unseen window, rolled across the history.

Folds are calendar years: fold k trains on the `train_years` years before its test year and is
tested on that year.  Per fold:

1. mean reversion and trend are each chosen alone, from their declared grids, by the Sharpe
   ratio of their own daily P&L over the training years (each (sleeve, candidate, year) is
   one run, cached: a year is the same run whichever fold asks for it);
2. the tail hedge is chosen by the Sharpe ratio of the whole book (the two chosen sleeves and
   the hedge candidate, one run over the training years): its job is the book's tails, not
   its own P&L;
3. the chosen book is then run on the training window (in-sample) and on the test year
   (out-of-sample), each with and without the hedge.

Nothing of the test year is read before step 3.  Ties go to the earlier candidate.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from bot.research.book import BarBook, Segment, Window, concat
from bot.research.grid import GRIDS, SleeveGrid, score
from bot.strategy.config import SleeveSpec


class Evaluator(Protocol):
    """Where P&L comes from: the real core (`CoreEvaluator`) or a test's constructed one."""

    def standalone(self, grid: SleeveGrid, index: int, year: int) -> Segment: ...

    def book(self, specs: list[SleeveSpec], window: Window) -> Segment: ...


@dataclass(frozen=True, slots=True)
class Fold:
    index: int
    train_years: tuple[int, ...]
    test_year: int
    train: Window
    test: Window


@dataclass(slots=True)
class FoldResult:
    fold: Fold
    choices: dict[str, int]  # sleeve -> candidate index
    scores: dict[str, list[float]]  # sleeve -> training score of every candidate
    in_sample: Segment  # the chosen book on the training window
    in_sample_no_hedge: Segment
    out_of_sample: Segment  # the chosen book on the test year
    out_of_sample_no_hedge: Segment


@dataclass(slots=True)
class WalkForward:
    folds: list[FoldResult] = field(default_factory=list)
    grids: tuple[SleeveGrid, ...] = GRIDS

    def stitched_oos(self, hedge: bool = True) -> Segment:
        return concat([f.out_of_sample if hedge else f.out_of_sample_no_hedge for f in self.folds])

    def stitched_is(self, hedge: bool = True) -> Segment:
        """Each fold's last training year, as the chosen book earned it in-sample: the years
        before each test year, side by side with the out-of-sample ones."""
        parts = []
        for f in self.folds:
            seg = f.in_sample if hedge else f.in_sample_no_hedge
            year = f.fold.train_years[-1]
            parts.append(seg.between(date(year, 1, 1), date(year, 12, 31)))
        return concat(parts)


def make_folds(bounds: dict[int, Window], train_years: int) -> list[Fold]:
    """One fold per year with `train_years` years before it (consecutive years only)."""
    years = sorted(bounds)
    folds: list[Fold] = []
    for k in range(train_years, len(years)):
        train = tuple(years[k - train_years : k])
        if train[-1] - train[0] != train_years - 1 or years[k] != train[-1] + 1:
            continue  # a hole in the data: no fold across it
        window = Window(bounds[train[0]].first, bounds[train[-1]].last)
        folds.append(Fold(len(folds), train, years[k], window, bounds[years[k]]))
    return folds


def best(scores: Sequence[float]) -> int:
    """The highest score; the first of equals."""
    top = 0
    for i, value in enumerate(scores):
        if value > scores[top]:
            top = i
    return top


def run_fold(ev: Evaluator, fold: Fold, grids: tuple[SleeveGrid, ...] = GRIDS) -> FoldResult:
    standalone = [g for g in grids if g.kind != "tail_hedge"]
    hedges = [g for g in grids if g.kind == "tail_hedge"]
    choices: dict[str, int] = {}
    scores: dict[str, list[float]] = {}
    for grid in standalone:
        values = []
        for i in range(len(grid.candidates)):
            daily = [x for y in fold.train_years for x in ev.standalone(grid, i, y).net(grid.name)]
            values.append(score(daily))
        scores[grid.name] = values
        choices[grid.name] = best(values)
    base = [g.spec(choices[g.name]) for g in standalone]
    in_sample_no_hedge = ev.book(base, fold.train) if hedges else None
    in_sample: Segment | None = None
    hedge_specs: list[SleeveSpec] = []
    for grid in hedges:
        runs = [ev.book([*base, grid.spec(i)], fold.train) for i in range(len(grid.candidates))]
        values = [score(run.net()) for run in runs]
        scores[grid.name] = values
        choices[grid.name] = best(values)
        in_sample = runs[choices[grid.name]]
        hedge_specs.append(grid.spec(choices[grid.name]))
    if in_sample is None or in_sample_no_hedge is None:
        in_sample = in_sample_no_hedge = ev.book(base, fold.train)
    # only now the test year
    oos = ev.book([*base, *hedge_specs], fold.test)
    oos_no_hedge = ev.book(base, fold.test) if hedge_specs else oos
    return FoldResult(fold, choices, scores, in_sample, in_sample_no_hedge, oos, oos_no_hedge)


def walk_forward(
    ev: Evaluator,
    bounds: dict[int, Window],
    train_years: int,
    grids: tuple[SleeveGrid, ...] = GRIDS,
    progress: Callable[[str], None] | None = None,
) -> WalkForward:
    """Every fold in order, in this process."""
    result = WalkForward(grids=grids)
    for fold in make_folds(bounds, train_years):
        if progress is not None:
            progress(f"fold {fold.index + 1}: train {fold.train}, test {fold.test}")
        result.folds.append(run_fold(ev, fold, grids))
    return result


# ---- in worker processes (fork): the same runs, the results gathered in order -------------

_WORKER: CoreEvaluator | None = None
_GRIDS: tuple[SleeveGrid, ...] = GRIDS


def _standalone_task(task: tuple[int, int, int]) -> Segment:
    grid_index, index, year = task
    if _WORKER is None:
        raise RuntimeError("worker not initialised")
    return _WORKER.standalone(_GRIDS[grid_index], index, year)


def _fold_task(fold: Fold) -> FoldResult:
    if _WORKER is None:
        raise RuntimeError("worker not initialised")
    return run_fold(_WORKER, fold, _GRIDS)


def walk_forward_parallel(
    ev: CoreEvaluator,
    train_years: int,
    jobs: int,
    progress: Callable[[str], None] | None = None,
    grids: tuple[SleeveGrid, ...] = GRIDS,
) -> WalkForward:
    """`walk_forward` over the standard grids with `jobs` forked workers: the same runs (each
    is deterministic and independent), gathered in fold order, so the same result."""
    global _WORKER, _GRIDS
    folds = make_folds(ev.bounds, train_years)
    if jobs <= 1:
        return walk_forward(ev, ev.bounds, train_years, grids, progress)
    context = multiprocessing.get_context("fork")
    tasks = [
        (g, i, year)
        for year in sorted({y for f in folds for y in f.train_years})
        for g, grid in enumerate(grids)
        if grid.kind != "tail_hedge"
        for i in range(len(grid.candidates))
    ]
    _WORKER, _GRIDS = ev, grids
    try:
        with context.Pool(jobs) as pool:
            if progress is not None:
                progress(f"{len(tasks)} standalone runs on {jobs} workers")
            for task, segment in zip(tasks, pool.map(_standalone_task, tasks), strict=True):
                ev.seed(grids[task[0]], task[1], task[2], segment)
        with context.Pool(jobs) as pool:  # forked again: the workers inherit the cache
            if progress is not None:
                progress(f"{len(folds)} folds on {jobs} workers")
            results = pool.map(_fold_task, folds)
    finally:
        _WORKER, _GRIDS = None, GRIDS
    return WalkForward(folds=list(results), grids=grids)


class CoreEvaluator:
    """P&L from the trading core on real bars; standalone (sleeve, candidate, year) runs are
    cached, so every fold that trains on a year reuses its run."""

    def __init__(self, book: BarBook, bounds: dict[int, Window]) -> None:
        self.bars = book
        self.bounds = bounds
        self._cache: dict[tuple[str, int, int], Segment] = {}

    def standalone(self, grid: SleeveGrid, index: int, year: int) -> Segment:
        key = (grid.name, index, year)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self.bars.run([grid.spec(index)], self.bounds[year])
        return found

    def seed(self, grid: SleeveGrid, index: int, year: int, segment: Segment) -> None:
        """A standalone run made elsewhere (a worker process)."""
        self._cache[(grid.name, index, year)] = segment

    def book(self, specs: list[SleeveSpec], window: Window) -> Segment:
        return self.bars.run(specs, window)


def year_bounds(days: Sequence[date]) -> dict[int, Window]:
    """Each calendar year's first and last day with data."""
    bounds: dict[int, Window] = {}
    for day in sorted(days):
        found = bounds.get(day.year)
        bounds[day.year] = Window(found.first if found else day, day)
    return bounds
