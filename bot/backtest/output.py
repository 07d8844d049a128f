"""A backtest's files (`--out DIR`) and its summary, from a `BacktestResult` only.

Files and what they promise:
- `daily_pnl.csv`: `day,net_pnl,low_pnl,max_contracts,sleeve_<name>...`, dollars with two
  decimals; the input of `rules replay` and `montecarlo` as is (they key columns by header).
- `fills.csv`: `time,sleeve,symbol,side,qty,price,fee,order_id,liquidity`; time ISO 8601 UTC
  with nanoseconds, price in the instrument's decimal price, fee in dollars.
- `summary.json`: per sleeve and combined statistics, correlations, the account replay, the
  Monte Carlo, counters, data files.  No wall-clock field: it is byte-identical for the same
  inputs, config and seed.
- `timing.json`: `elapsed_s` and `events_per_s`, the only files' fields that vary run to run.
- `report.html` and its PNG charts (bot/backtest/report.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.backtest.results import BacktestResult, DataFile, DayResult
from bot.backtest.stats import (
    correlation_matrix,
    instrument_for,
    max_drawdown_cents,
    max_intraday_drawdown_cents,
    sharpe,
    trade_stats,
)
from bot.instruments.specs import Instrument, instrument_table
from bot.rules.account import AccountState, DayOutcome, DayPnl, apply_day
from bot.rules.profiles import PROFILES, AccountRules

DAILY_COLUMNS = ("day", "net_pnl", "low_pnl", "max_contracts")
FILL_COLUMNS = (
    "time", "sleeve", "symbol", "side", "qty", "price", "fee", "order_id", "liquidity",
)  # fmt: skip
TIMING_KEYS = ("elapsed_s", "events_per_s")
DEFAULT_RULES = PROFILES["xfa-50k"]


def money(cents: int) -> str:
    """Exact dollars with two decimals from integer cents (no float on the way)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def dollars(cents: int) -> float:
    return round(cents / 100, 2)


def iso_utc(ts_ns: int) -> str:
    """ISO 8601 UTC with all nine digits of the nanosecond timestamp."""
    seconds, nanos = divmod(ts_ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{nanos:09d}Z"


def sleeve_column(name: str) -> str:
    return f"sleeve_{name}"


def check_result(result: BacktestResult) -> None:
    """Refuse a result whose files the readers would refuse: better here, naming the day."""
    if len(set(result.sleeves)) != len(result.sleeves):
        raise ValueError(f"duplicate sleeve names in {result.sleeves}")
    previous = None
    for day in result.days:
        if previous is not None and day.day <= previous:
            raise ValueError(f"day {day.day} is not after {previous}")
        if day.low_cents > min(0, day.net_cents):
            raise ValueError(
                f"day {day.day}: low {day.low_cents} above min(0, net {day.net_cents}) cents"
            )
        unknown = set(day.sleeve_net_cents) - set(result.sleeves)
        if unknown:
            raise ValueError(f"day {day.day}: P&L for unknown sleeve(s) {sorted(unknown)}")
        previous = day.day
    for fill in result.fills:
        if fill.sleeve not in result.sleeves:
            raise ValueError(f"fill {fill.order_id} of unknown sleeve {fill.sleeve!r}")


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def daily_csv(result: BacktestResult) -> str:
    """The daily P&L file's text."""
    header = [*DAILY_COLUMNS, *(sleeve_column(s) for s in result.sleeves)]
    rows = [
        [
            day.day.isoformat(),
            money(day.net_cents),
            money(day.low_cents),
            day.max_contracts,
            *(money(day.sleeve_net_cents.get(s, 0)) for s in result.sleeves),
        ]
        for day in result.days
    ]
    return _csv_text(header, rows)


def fills_csv(result: BacktestResult, table: dict[str, Instrument] | None = None) -> str:
    """The fills file's text, in the result's (time) order."""
    table = instrument_table() if table is None else table
    rows = []
    for fill in result.fills:
        price = instrument_for(fill.symbol, table).to_price(fill.price_ticks)
        rows.append(
            [
                iso_utc(fill.ts_ns),
                fill.sleeve,
                fill.symbol,
                "buy" if fill.side > 0 else "sell",
                fill.qty,
                f"{price:f}",
                money(fill.fee_cents),
                fill.order_id,
                fill.liquidity,
            ]
        )
    return _csv_text(FILL_COLUMNS, rows)


def account_replay(
    days: Sequence[DayResult], rules: AccountRules
) -> list[tuple[DayOutcome, int, int]]:
    """Each day through the account rules: (outcome, start balance, floor in force), stopping
    after the day the account fails, as `rules replay` does."""
    state = AccountState.initial(rules)
    replay = []
    for day in days:
        start, floor = state.balance_cents, state.floor_cents
        state, outcome = apply_day(rules, state, DayPnl(day.day, day.net_cents, day.low_cents))
        replay.append((outcome, start, floor))
        if outcome.account_failed:
            break
    return replay


def _block(
    daily: list[int], trades: Any, fees_cents: int, dll_days: int | None, halted: int | None
) -> dict[str, Any]:
    """One sleeve's (or the account's) statistics, the same keys for both."""
    active = [pnl for pnl in daily if pnl != 0]
    worst = min(range(len(daily)), key=daily.__getitem__, default=None)
    return {
        "net_pnl": dollars(sum(daily)),
        "fees": dollars(fees_cents),
        "fills": trades.fills,
        "contracts": trades.contracts,
        "trades": trades.trades,
        "win_rate": None if trades.win_rate is None else round(trades.win_rate, 6),
        "win_rate_days": round(sum(p > 0 for p in active) / len(active), 6) if active else None,
        "open_at_end": list(trades.open_symbols),
        "sharpe": round(sharpe(daily), 6),
        "worst_day": None if worst is None else dollars(daily[worst]),
        "max_drawdown": dollars(max_drawdown_cents(daily)),
        "dll_days": dll_days,
        "halted_days": halted,
    }


def _data_file(data: DataFile) -> dict[str, Any]:
    return {
        "path": data.path,
        "kind": data.kind,
        "sha256": data.sha256,
        "proxy_label": data.proxy_label or None,
    }


def proxy_labels(result: BacktestResult) -> list[str]:
    """Distinct proxy labels in input order: every output names them."""
    return list(dict.fromkeys(d.proxy_label for d in result.data_files if d.proxy_label))


def summary(
    result: BacktestResult, rules: AccountRules = DEFAULT_RULES, timing: bool = True
) -> dict[str, Any]:
    """Everything summary.json holds except the Monte Carlo, in a fixed key order; with
    `timing` also elapsed_s and events_per_s (for printing; never in summary.json)."""
    check_result(result)
    table = instrument_table()

    def tick_value(symbol: str) -> int:
        return instrument_for(symbol, table).tick_value_cents

    days = result.days
    per_sleeve = {}
    series = []
    for name in result.sleeves:
        daily = [d.sleeve_net_cents.get(name, 0) for d in days]
        series.append(daily)
        trades = trade_stats((f for f in result.fills if f.sleeve == name), tick_value)
        per_sleeve[name] = _block(daily, trades, trades.fees_cents, None, None)
    account_trades = trade_stats(result.fills, tick_value)
    combined = _block(
        [d.net_cents for d in days],
        account_trades,
        account_trades.fees_cents,
        sum(d.dll_hit for d in days),
        sum(d.halted for d in days),
    )
    combined["max_drawdown_intraday"] = dollars(
        max_intraday_drawdown_cents((d.net_cents, d.low_cents) for d in days)
    )
    combined["max_contracts"] = max((d.max_contracts for d in days), default=0)
    replay = account_replay(days, rules)
    failed = next((o.day.isoformat() for o, _, _ in replay if o.account_failed), None)
    last = replay[-1][0] if replay else None
    lows = list(zip(replay, days, strict=False))  # the replay stops after a failing day
    document: dict[str, Any] = {
        "proxy_labels": proxy_labels(result),
        "first_day": days[0].day.isoformat() if days else None,
        "last_day": days[-1].day.isoformat() if days else None,
        "days": len(days),
        "sleeves": list(result.sleeves),
        "combined": combined,
        "per_sleeve": per_sleeve,
        "correlation": {"sleeves": list(result.sleeves), "matrix": _rounded(series)},
        "account": {
            "profile": rules.name,
            "failed_by_backtest": result.account_failed,
            "failed_on": failed,
            "final_balance": None if last is None else dollars(last.balance_cents),
            "final_mll_floor": None if last is None else dollars(last.mll_floor_cents),
            "min_distance_to_floor": (
                dollars(min(start + d.low_cents - floor for (_, start, floor), d in lows))
                if lows
                else None
            ),
        },
        "events": result.events,
        "orders": result.orders,
        "refusals": dict(sorted(result.refusals.items())),
        "risk_events": dict(sorted(result.risk_events.items())),
        "seed": result.seed,
        "data_files": [_data_file(d) for d in result.data_files],
    }
    if timing:
        document["elapsed_s"] = round(result.elapsed_s, 3)
        document["events_per_s"] = round(result.events_per_s, 1)
    return document


def _rounded(series: list[list[int]]) -> list[list[float | None]]:
    return [[None if v is None else round(v, 6) for v in row] for row in correlation_matrix(series)]


def timing_json(result: BacktestResult) -> dict[str, Any]:
    return {
        "elapsed_s": round(result.elapsed_s, 3),
        "events": result.events,
        "events_per_s": round(result.events_per_s, 1),
    }


def _json_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def write_outputs(
    result: BacktestResult,
    out_dir: Path,
    monte_carlo: bool = True,
    rules: AccountRules = DEFAULT_RULES,
) -> None:
    """Write every file of `--out DIR` (created if missing).  `rules` is the account profile
    the backtest ran under (the CLI passes `rules_from_settings(settings, account)`)."""
    from bot.backtest import report  # matplotlib and numpy load only when files are wanted

    document = summary(result, rules, timing=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(out_dir / "daily_pnl.csv", daily_csv(result))
    _write(out_dir / "fills.csv", fills_csv(result))
    study = report.run_monte_carlo(result.days, rules) if monte_carlo else None
    document["monte_carlo"] = report.monte_carlo_json(study, monte_carlo, len(result.days))
    _write(out_dir / "summary.json", _json_text(document))
    _write(out_dir / "timing.json", _json_text(timing_json(result)))
    report.write_report(result, document, rules, study, out_dir)


def _write(path: Path, text: str) -> None:
    """Always "\n" line ends and UTF-8, whatever the platform: part of byte identity."""
    path.write_bytes(text.encode("utf-8"))
