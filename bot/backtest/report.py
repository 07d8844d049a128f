"""`report.html` and its PNG charts, plus the account Monte Carlo on the backtest's own days.

The Monte Carlo is the project's (`bot.analysis`: `run_study`, `summarize`, the fan and profit
charts), run with a fixed seed so the report is reproducible.  PNGs are written without a
Software/date tag by our own charts; the Monte Carlo's charts carry only matplotlib's version
tag, so every file is byte-identical for the same result on the same installation.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bot.analysis import charts
from bot.analysis.history import MIN_ROWS, History
from bot.analysis.montecarlo import Outcomes, Study, run_study
from bot.analysis.pathsim import PathRules
from bot.analysis.report import Setup, single_json
from bot.analysis.stats import Summary, summarize
from bot.backtest.output import account_replay
from bot.backtest.results import BacktestResult, DayResult
from bot.rules.account import DayPnl
from bot.rules.profiles import AccountRules

MC_SEED = 20_240_601  # fixed: the report's Monte Carlo is part of the deterministic output
MC_PATHS = 10_000
MC_DAYS = 147  # the `montecarlo` command's default horizon (about seven months)
MC_TARGET_CENTS = 760_000  # the `montecarlo` command's default target
MC_PAYOUT_MIN_BALANCE_CENTS = 500_000
CHART_FILES = (
    "equity.png", "account.png", "daily_pnl_hist.png", "mc_balance_fan.png",
    "mc_profit_distribution.png",
)  # fmt: skip
_DOLLARS = FuncFormatter(lambda value, _pos: f"${value:,.0f}")
_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#9d755d")


@dataclass(frozen=True, slots=True)
class MonteCarloRun:
    setup: Setup
    summary: Summary
    outcomes: Outcomes


def run_monte_carlo(days: Sequence[DayResult], rules: AccountRules) -> MonteCarloRun | None:
    """The `montecarlo` command's default study (standard payouts, iid days) on these days;
    None when there are fewer days than the command accepts."""
    if len(days) < MIN_ROWS:
        return None
    history = History.from_days(
        [DayPnl(d.day, d.net_cents, d.low_cents, max_contracts=d.max_contracts) for d in days]
    )
    auto = MC_PAYOUT_MIN_BALANCE_CENTS if rules.payouts_enabled else None
    target = rules.profit_target_cents or MC_TARGET_CENTS
    study = Study(MC_DAYS, MC_PATHS, target, MC_SEED, 1, auto, trace_paths=MC_PATHS)
    outcomes = run_study(PathRules.from_account(rules), history, study, workers=1)
    setup = Setup(
        account=rules.name,
        rows=len(days),
        days=MC_DAYS,
        paths=MC_PATHS,
        seed=MC_SEED,
        target_cents=target,
        bootstrap="iid",
        payouts="standard" if auto is not None else "none",
        payout_min_balance_cents=auto,
    )
    return MonteCarloRun(setup, summarize(outcomes), outcomes)


def monte_carlo_json(run: MonteCarloRun | None, enabled: bool, days: int) -> dict[str, Any]:
    """The `montecarlo --json` object of the study, or why there is none."""
    if run is not None:
        return {"note": None, **single_json(run.setup, run.summary)}
    if not enabled:
        return {"note": "not run (disabled)"}
    return {"note": f"not run: {days} day(s) of P&L, the Monte Carlo needs at least {MIN_ROWS}"}


def _save(figure: Figure, path: Path) -> None:
    """No Software tag and no date: the same chart is the same bytes."""
    FigureCanvasAgg(figure)
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})


def _finish(figure: Figure, axes: Axes, title: str, path: Path, over_days: bool = True) -> None:
    """What every chart of ours shares: title, dollar axis, grid, legend, date labels."""
    axes.set_title(title)
    (axes.yaxis if over_days else axes.xaxis).set_major_formatter(_DOLLARS)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    if over_days:
        figure.autofmt_xdate()
    _save(figure, path)


def _title(text: str, labels: Sequence[str]) -> str:
    return f"{text}\n(proxy data: {'; '.join(labels)})" if labels else text


def equity_chart(result: BacktestResult, labels: Sequence[str], path: Path) -> None:
    """Cumulative end-of-day net P&L per sleeve and for the account."""
    days = _dates([d.day for d in result.days])
    figure = Figure(figsize=(9, 5))
    axes = figure.add_subplot()
    for index, name in enumerate(result.sleeves):
        curve = _cumulative([d.sleeve_net_cents.get(name, 0) for d in result.days])
        axes.plot(days, curve, color=_COLORS[index % len(_COLORS)], linewidth=1.2, label=name)
    combined = _cumulative([d.net_cents for d in result.days])
    axes.plot(days, combined, color="black", linewidth=2, label="combined")
    axes.axhline(0, color="grey", linewidth=0.6)
    axes.set_ylabel("net P&L")
    _finish(figure, axes, _title("equity: cumulative net P&L after fees", labels), path)


def account_chart(
    result: BacktestResult, rules: AccountRules, labels: Sequence[str], path: Path
) -> None:
    """The account's balance, each day's low and the MLL floor in force (the rules engine's
    numbers): the gap between the low and the floor is the room left."""
    replay = account_replay(result.days, rules)
    days = _dates([outcome.day for outcome, _, _ in replay])
    lows = [
        (start + day.low_cents) / 100
        for (_, start, _), day in zip(replay, result.days, strict=False)
    ]
    floors = [floor / 100 for _, _, floor in replay]
    balances = [outcome.balance_cents / 100 for outcome, _, _ in replay]
    figure = Figure(figsize=(9, 5))
    axes = figure.add_subplot()
    axes.fill_between(days, floors, lows, color="#4c78a8", alpha=0.15, label="room above floor")
    axes.plot(days, balances, color="#1f4e79", linewidth=1.8, label="end-of-day balance")
    axes.plot(days, lows, color="#4c78a8", linewidth=0.8, linestyle="--", label="intraday low")
    axes.step(days, floors, where="mid", color="#d62728", linewidth=1.5, label="MLL floor")
    if replay and replay[-1][0].account_failed:  # the replay ends on the failing day
        failed = replay[-1][0].day
        axes.scatter(days[-1:], lows[-1:], marker="X", s=80, color="#d62728",
                     label=f"account failed {failed}", zorder=3)  # fmt: skip
    axes.set_ylabel("balance (profit since start)")
    title = _title(f"balance against the MLL floor ({rules.name})", labels)
    _finish(figure, axes, title, path)


def histogram_chart(
    result: BacktestResult, rules: AccountRules, labels: Sequence[str], path: Path
) -> None:
    """Distribution of the account's daily net P&L, the daily loss limit marked."""
    values = [d.net_cents / 100 for d in result.days]
    figure = Figure(figsize=(9, 5))
    axes = figure.add_subplot()
    axes.hist(values, bins=max(5, min(40, len(values) // 3)), color="#4c78a8", edgecolor="white")
    axes.axvline(-rules.dll_cents / 100, color="#d62728", linestyle="--", label="daily loss limit")
    axes.axvline(0, color="grey", linewidth=0.6)
    axes.set_xlabel("net P&L of the day")
    axes.set_ylabel("days")
    title = _title(f"daily net P&L, {len(values)} days", labels)
    _finish(figure, axes, title, path, over_days=False)


def _dates(days: Sequence[date]) -> npt.NDArray[np.datetime64]:
    """Days as numpy dates, which matplotlib plots on a date axis."""
    return np.array([d.isoformat() for d in days], dtype="datetime64[D]")


def _cumulative(values: Sequence[int]) -> list[float]:
    total, curve = 0, []
    for value in values:
        total += value
        curve.append(total / 100)
    return curve


def write_charts(
    result: BacktestResult, rules: AccountRules, run: MonteCarloRun | None, out_dir: Path
) -> list[tuple[str, str]]:
    """Every PNG; returns (file name, caption) in report order.  No days, no charts."""
    if not result.days:
        return []
    labels = list(dict.fromkeys(d.proxy_label for d in result.data_files if d.proxy_label))
    drawn: list[tuple[str, str, Callable[[Path], None]]] = [
        ("equity.png", "Equity per sleeve and combined",
         lambda p: equity_chart(result, labels, p)),
        ("account.png", "Balance against the MLL floor",
         lambda p: account_chart(result, rules, labels, p)),
        ("daily_pnl_hist.png", "Daily P&L histogram",
         lambda p: histogram_chart(result, rules, labels, p)),
    ]  # fmt: skip
    written = []
    for name, caption, draw in drawn:
        draw(out_dir / name)
        written.append((name, caption))
    if run is not None:
        title = _title(f"backtest days, iid, seed {run.setup.seed}", labels)
        if run.outcomes.trace is not None:
            charts.fan_chart(
                run.outcomes.trace,
                run.setup.target_cents,
                run.setup.paths,
                title,
                out_dir / "mc_balance_fan.png",
            )
            written.append(("mc_balance_fan.png", "Monte Carlo: balance fan"))
        profit = out_dir / "mc_profit_distribution.png"
        charts.profit_chart(run.outcomes, run.setup.target_cents, title, profit)
        written.append(("mc_profit_distribution.png", "Monte Carlo: final profit"))
    return written


def _fmt(key: str, value: Any) -> str:
    """A summary value as table text."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if key.startswith(("win_rate", "p_")):
        return f"{value:.1%}"
    if isinstance(value, int):
        return f"{value:,}"
    if key == "sharpe":
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"${value:,.2f}" if value >= 0 else f"-${-value:,.2f}"
    return str(value)


_METRICS = (
    ("net_pnl", "net P&L after fees"),
    ("fees", "fees"),
    ("trades", "round trips closed"),
    ("win_rate", "win rate (per round trip)"),
    ("win_rate_days", "win rate (per day with P&L)"),
    ("sharpe", "Sharpe (daily, x sqrt 252)"),
    ("worst_day", "worst day"),
    ("max_drawdown", "max drawdown (end of day)"),
    ("dll_days", "DLL days"),
    ("halted_days", "days the risk engine halted"),
    ("fills", "fill rows"),
    ("contracts", "contracts traded"),
    ("open_at_end", "open at the end"),
)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n"


def _pairs(document: dict[str, Any], keys: Sequence[tuple[str, str]]) -> str:
    return _table(("", ""), [(label, _fmt(key, document.get(key))) for key, label in keys])


def render_html(document: dict[str, Any], images: Sequence[tuple[str, str]]) -> str:
    """The report page: self-contained, the charts by relative path."""
    sleeves = document["sleeves"]
    parts = [
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>TopstepQuant backtest</title>\n<style>"
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "td:first-child{text-align:left}"
        ".proxy{background:#fff3cd;border:1px solid #e0b100;padding:.6em 1em;font-weight:bold}"
        "img{max-width:100%}</style>\n</head>\n<body>\n"
    ]
    for label in document["proxy_labels"]:
        parts.append(f'<p class="proxy">Proxy data: {html.escape(label)}</p>\n')
    parts.append("<h1>Backtest</h1>\n")
    parts.append(
        f"<p>{html.escape(str(document['first_day']))} to "
        f"{html.escape(str(document['last_day']))}: {document['days']} trading days, "
        f"sleeves {html.escape(', '.join(sleeves) or 'none')}, seed {document['seed']}, "
        f"{document['events']:,} events, {document['orders']:,} orders. Wall-clock timing "
        "is in timing.json, outside the byte-identical files.</p>\n"
    )
    parts.append("<h2>Summary</h2>\n")
    columns = [document["combined"], *(document["per_sleeve"][s] for s in sleeves)]
    rows = [[label, *(_fmt(key, c.get(key)) for c in columns)] for key, label in _METRICS]
    parts.append(_table(["", "combined", *sleeves], rows))
    combined = document["combined"]
    parts.append(
        _pairs(
            combined,
            (
                ("max_drawdown_intraday", "max drawdown incl. intraday lows"),
                ("max_contracts", "peak contracts in a day"),
            ),
        )
    )
    parts.append("<h2>Account rules replay</h2>\n")
    parts.append(
        _pairs(
            document["account"],
            (
                ("profile", "profile"),
                ("failed_by_backtest", "failed (risk engine)"),
                ("failed_on", "failed on (rules replay)"),
                ("final_balance", "final balance"),
                ("final_mll_floor", "final MLL floor"),
                ("min_distance_to_floor", "closest intraday low to the floor"),
            ),
        )
    )
    matrix = document["correlation"]["matrix"]
    if len(sleeves) > 1:
        parts.append("<h2>Correlation of the sleeves' daily P&L</h2>\n")
        body = [
            [name, *("n/a" if v is None else f"{v:.2f}" for v in row)]
            for name, row in zip(sleeves, matrix, strict=True)
        ]
        parts.append(_table(["", *sleeves], body))
    parts.append("<h2>Charts</h2>\n")
    if not images:
        parts.append("<p>No trading days: no charts.</p>\n")
    for name, caption in images:
        if name == "mc_balance_fan.png":
            parts.append(_monte_carlo_html(document["monte_carlo"]))
        parts.append(
            f'<figure><img src="{html.escape(name)}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>\n"
        )
    if not any(name.startswith("mc_") for name, _ in images):
        parts.append(_monte_carlo_html(document["monte_carlo"]))
    parts.append("<h2>Risk engine</h2>\n")
    refusals = [(k, f"{v:,}") for k, v in document["refusals"].items()]
    parts.append(_table(("refusal reason", "orders"), refusals or [("none", "0")]))
    events = [(k, f"{v:,}") for k, v in document["risk_events"].items()]
    parts.append(_table(("risk event", "count"), events or [("none", "0")]))
    parts.append("<h2>Data files</h2>\n")
    files = [
        (d["path"], d["kind"], d["sha256"], d["proxy_label"] or "") for d in document["data_files"]
    ]
    parts.append(_table(("path", "kind", "sha256", "proxy"), files))
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def _monte_carlo_html(mc: dict[str, Any]) -> str:
    head = "<h2>Monte Carlo of the account on these days</h2>\n"
    if mc.get("note"):
        return head + f"<p>{html.escape(mc['note'])}</p>\n"
    command = (
        f"topstep-quant montecarlo daily_pnl.csv --paths {mc['paths']} --days {mc['days']} "
        f"--target {mc['target']:.2f} --payouts {mc['payouts']} --seed {mc['seed']} "
        f"--account {mc['account']}"
    )
    intro = (
        f"<p>{mc['paths']:,} paths x {mc['days']} days drawn iid from the backtest's "
        f"{mc['rows']} days, {html.escape(mc['account'])}, payouts {html.escape(mc['payouts'])}, "
        f"seed {mc['seed']}. The same numbers: <code>{html.escape(command)}</code></p>\n"
    )
    keys = (
        ("target", "profit target"),
        ("p_target", "P(target)"),
        ("p_mll_breach", "P(MLL breach)"),
        ("median_profit", "median profit"),
        ("p5_profit", "5th percentile profit"),
        ("p95_profit", "95th percentile profit"),
        ("median_days_to_target", "median days to target"),
        ("mean_dll_days", "mean DLL days"),
    )
    rows = [
        (label, f"{mc[key]:.2f}" if key == "mean_dll_days" else _fmt(key, mc[key]))
        for key, label in keys
    ]
    return head + intro + _table(("", ""), rows)


def write_report(
    result: BacktestResult,
    document: dict[str, Any],
    rules: AccountRules,
    run: MonteCarloRun | None,
    out_dir: Path,
) -> None:
    """The charts, then report.html referencing them; a chart left in the directory by an
    earlier run that this one did not draw is removed, so no stale picture sits beside it."""
    images = write_charts(result, rules, run, out_dir)
    drawn = {name for name, _ in images}
    for name in CHART_FILES:
        if name not in drawn:
            (out_dir / name).unlink(missing_ok=True)
    (out_dir / "report.html").write_bytes(render_html(document, images).encode("utf-8"))
