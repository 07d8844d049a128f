"""Tables and files of a walk-forward: in-sample and out-of-sample side by side, the folds and
their choices, the crisis windows, the daily P&L files the Monte Carlo reads.  Pure data in,
text and JSON-ready dicts out; the CLI writes them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.backtest.output import daily_csv
from bot.backtest.stats import correlation_matrix
from bot.engine.results import BacktestResult
from bot.research.book import Segment
from bot.research.grid import describe
from bot.research.metrics import Metrics, measure
from bot.research.walkforward import WalkForward

BOOK, NO_HEDGE = "book", "book without hedge"
PROXY = "SPY x 10 as an MES proxy"

# The crises the issue names, as date windows (the sell-off and its aftermath).
CRISES: tuple[tuple[str, date, date], ...] = (
    ("2000-02 dot-com bear", date(2000, 3, 24), date(2002, 10, 9)),
    ("2008 financial crisis", date(2008, 9, 1), date(2009, 3, 9)),
    ("2011 US downgrade", date(2011, 7, 22), date(2011, 10, 31)),
    ("2015 China devaluation", date(2015, 8, 10), date(2015, 9, 30)),
    ("2018 Volmageddon + Q4", date(2018, 1, 26), date(2018, 12, 24)),
    ("2020 COVID crash", date(2020, 2, 19), date(2020, 4, 30)),
)


def sleeve_metrics(seg: Segment, sleeve: str | None, dll_cents: int) -> Metrics:
    """One sleeve's figures (its attributed P&L in the book), or the whole book's (None).
    A sleeve's "DLL days" are days its own loss reached the DLL; the book's are the account's."""
    if sleeve is None:
        return measure(seg.net(), seg.lows(), seg.dll_days(), seg.trades())
    net = seg.net(sleeve)
    return measure(net, None, sum(1 for x in net if x <= -dll_cents), seg.trades(sleeve))


def side_by_side(wf: WalkForward, dll_cents: int) -> list[dict[str, Any]]:
    """Per sleeve and for the book: in-sample (each fold's last training year) and
    out-of-sample (each fold's test year), stitched."""
    is_, oos = wf.stitched_is(), wf.stitched_oos()
    is_nh, oos_nh = wf.stitched_is(hedge=False), wf.stitched_oos(hedge=False)
    rows: list[dict[str, Any]] = []
    for name in oos.sleeves:
        rows.append(
            _row(name, sleeve_metrics(is_, name, dll_cents), sleeve_metrics(oos, name, dll_cents))
        )
    rows.append(
        _row(BOOK, sleeve_metrics(is_, None, dll_cents), sleeve_metrics(oos, None, dll_cents))
    )
    rows.append(
        _row(
            NO_HEDGE,
            sleeve_metrics(is_nh, None, dll_cents),
            sleeve_metrics(oos_nh, None, dll_cents),
        )
    )
    return rows


def _row(name: str, in_sample: Metrics, out_of_sample: Metrics) -> dict[str, Any]:
    return {
        "sleeve": name,
        "in_sample": in_sample.as_dict(),
        "out_of_sample": out_of_sample.as_dict(),
    }


def fold_rows(wf: WalkForward) -> list[dict[str, Any]]:
    rows = []
    for f in wf.folds:
        oos = measure(
            f.out_of_sample.net(),
            f.out_of_sample.lows(),
            f.out_of_sample.dll_days(),
            f.out_of_sample.trades(),
        )
        ins = measure(
            f.in_sample.net(), f.in_sample.lows(), f.in_sample.dll_days(), f.in_sample.trades()
        )
        rows.append(
            {
                "test_year": f.fold.test_year,
                "train_years": list(f.fold.train_years),
                "choices": {g.name: describe(g.candidates[f.choices[g.name]]) for g in wf.grids},
                "choice_index": dict(f.choices),
                "train_scores": {k: [round(v, 3) for v in vs] for k, vs in f.scores.items()},
                "in_sample": ins.as_dict(),
                "out_of_sample": oos.as_dict(),
                "account_failed_out_of_sample": f.out_of_sample.account_failed,
            }
        )
    return rows


def crisis_rows(wf: WalkForward) -> list[dict[str, Any]]:
    """The book with and without the hedge, out-of-sample, in each crisis window."""
    with_h, without = wf.stitched_oos(), wf.stitched_oos(hedge=False)
    rows = []
    for name, first, last in CRISES:
        a, b = with_h.between(first, last), without.between(first, last)
        if not a.days:
            continue
        rows.append(
            {
                "window": name,
                "first": first.isoformat(),
                "last": last.isoformat(),
                "with_hedge": measure(a.net(), a.lows(), a.dll_days(), a.trades()).as_dict(),
                "without_hedge": measure(b.net(), b.lows(), b.dll_days(), b.trades()).as_dict(),
            }
        )
    return rows


def correlation(seg: Segment) -> dict[str, Any]:
    names = list(seg.sleeves)
    matrix = correlation_matrix([seg.net(n) for n in names])
    rounded = [[None if v is None else round(v, 3) for v in row] for row in matrix]
    return {"sleeves": names, "matrix": rounded}


def chosen(wf: WalkForward) -> dict[str, Any]:
    """For sleeves.toml: the latest fold's choice and the most often chosen, per sleeve."""
    out: dict[str, Any] = {}
    last = wf.folds[-1]
    for grid in wf.grids:
        counts = Counter(f.choices[grid.name] for f in wf.folds)
        top, times = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        out[grid.name] = {
            "kind": grid.kind,
            "allocation": grid.allocation.model_dump(),
            "latest": {
                "fold_train_years": list(last.fold.train_years),
                "params": grid.candidates[last.choices[grid.name]].model_dump(),
            },
            "most_often": {
                "times": times,
                "of": len(wf.folds),
                "params": grid.candidates[top].model_dump(),
            },
        }
    return out


def daily_text(seg: Segment) -> str:
    """The rules-replay / montecarlo CSV of a stitched segment (with a column per sleeve)."""
    return daily_csv(BacktestResult(sleeves=list(seg.sleeves), days=list(seg.days)))


# ---- text --------------------------------------------------------------------------------


def _money(value: float) -> str:
    return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"


def table_text(rows: Sequence[dict[str, Any]]) -> str:
    head = (
        f"{'sleeve':<19}{'':>3}{'net P&L':>10}{'per yr':>9}{'Sharpe':>8}{'worst day':>11}"
        f"{'max DD':>9}{'DLL d':>7}{'trades':>8}"
    )
    lines = [head]
    for row in rows:
        for tag, key in (("IS", "in_sample"), ("OOS", "out_of_sample")):
            m = row[key]
            years = m["days"] / 252 or 1
            lines.append(
                f"{row['sleeve'] if tag == 'IS' else '':<19}{tag:>3}{_money(m['net_pnl']):>10}"
                f"{_money(m['net_pnl'] / years):>9}{m['sharpe']:>8.2f}"
                f"{_money(m['worst_day']):>11}{_money(m['max_drawdown']):>9}"
                f"{m['dll_days']:>7}{m['trades']:>8}"
            )
    return "\n".join(lines)


def folds_text(rows: Sequence[dict[str, Any]]) -> str:
    lines = [f"{'test':<6}{'IS Sharpe':>10}{'OOS net':>10}{'OOS Sharpe':>11}{'OOS DD':>9}  choices"]
    for r in rows:
        picks = "; ".join(f"{k}: {v}" for k, v in r["choices"].items())
        lines.append(
            f"{r['test_year']:<6}{r['in_sample']['sharpe']:>10.2f}"
            f"{_money(r['out_of_sample']['net_pnl']):>10}{r['out_of_sample']['sharpe']:>11.2f}"
            f"{_money(r['out_of_sample']['max_drawdown']):>9}  {picks}"
        )
    return "\n".join(lines)


def crisis_text(rows: Sequence[dict[str, Any]]) -> str:
    lines = [f"{'window':<25}{'':>9}{'net P&L':>10}{'worst day':>11}{'max DD':>9}{'DLL d':>7}"]
    for r in rows:
        for tag, key in (("hedge", "with_hedge"), ("no hedge", "without_hedge")):
            m = r[key]
            lines.append(
                f"{r['window'] if tag == 'hedge' else '':<25}{tag:>9}"
                f"{_money(m['net_pnl']):>10}{_money(m['worst_day']):>11}"
                f"{_money(m['max_drawdown']):>9}{m['dll_days']:>7}"
            )
    return "\n".join(lines)
