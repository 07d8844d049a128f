"""The market-making study as files and a printed table: one row per run and instrument
(`runs.csv`), the parameter search (`grid.csv`), the summaries per split and instrument with
what the numbers cannot support (`summary.json`), the runtime apart (`timing.json`), so every
other file is byte-identical for the same inputs."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.research.market_making import GRID, RunResult, Study
from bot.research.mm_metrics import HORIZONS_S, SymbolStats, interval95, mean

SPLITS = ("train", "test", "real")


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _usd(cents: float | None) -> float | None:
    return None if cents is None else round(cents / 100, 2)


def run_row(run: RunResult, s: SymbolStats) -> dict[str, Any]:
    row: dict[str, Any] = {
        "split": run.split,
        "source": run.source,
        "seed": "" if run.seed is None else run.seed,
        "symbol": s.symbol,
        "hours": _r(s.hours, 3),
        "quotes": s.quotes,
        "maker_fills": s.maker_fills,
        "taker_fills": s.taker_fills,
        "fill_rate": _r(s.fill_rate),
        "contracts": s.contracts,
        "net_usd": _usd(s.net_cents),
        "fees_usd": _usd(s.fees_cents),
        "pnl_per_contract_usd": _usd(s.net_cents / s.contracts) if s.contracts else None,
        "captured_ticks": _r(mean(s.captured_ticks)),
    }
    for h in HORIZONS_S:
        row[f"mid_move_{h}s_ticks"] = _r(mean(s.moves_ticks[h]))
    row["max_inventory"] = s.max_inventory
    row["worst_open_usd"] = _usd(s.worst_open_cents)
    return row


def summarize(stats: list[SymbolStats]) -> dict[str, Any]:
    """Pooled over runs: totals, means weighted by fills, and 95% intervals of the per-run
    net P&L and of the per-contract P&L of single trades."""
    contracts = sum(s.contracts for s in stats)
    net = sum(s.net_cents for s in stats)
    quotes = sum(s.quotes for s in stats)
    maker = sum(s.maker_fills for s in stats)
    per_trade = [
        cents / lots / 100
        for s in stats
        for cents, lots in zip(s.trades, s.trade_lots, strict=True)
        if lots
    ]
    per_run = [s.net_cents / 100 for s in stats]
    out: dict[str, Any] = {
        "runs": len(stats),
        "hours": _r(sum(s.hours for s in stats), 3),
        "quotes": quotes,
        "maker_fills": maker,
        "taker_fills": sum(s.taker_fills for s in stats),
        "fill_rate": _r(maker / quotes) if quotes else None,
        "contracts": contracts,
        "trades": len(per_trade),
        "net_usd": _usd(net),
        "fees_usd": _usd(sum(s.fees_cents for s in stats)),
        "net_usd_per_run": _r(mean(per_run), 2),
        "net_usd_per_run_ci95": _ci(interval95(per_run)),
        "pnl_per_contract_usd": _usd(net / contracts) if contracts else None,
        "pnl_per_contract_ci95": _ci(interval95(per_trade)),
        "captured_ticks": _r(mean([v for s in stats for v in s.captured_ticks])),
    }
    for h in HORIZONS_S:
        moves = [v for s in stats for v in s.moves_ticks[h]]
        out[f"mid_move_{h}s_ticks"] = _r(mean(moves))
        out[f"mid_move_{h}s_ci95"] = _ci(interval95(moves))
    out["max_inventory"] = max((s.max_inventory for s in stats), default=0)
    out["worst_open_usd"] = _usd(min((s.worst_open_cents for s in stats), default=0))
    return out


def _ci(bounds: tuple[float, float] | None) -> list[float] | None:
    return None if bounds is None else [round(bounds[0], 4), round(bounds[1], 4)]


def summaries(study: Study) -> dict[str, dict[str, Any]]:
    """split -> symbol (and "all") -> summary."""
    out: dict[str, dict[str, Any]] = {}
    for split in SPLITS:
        stats = [s for r in study.runs if r.split == split for s in r.stats]
        if not stats:
            continue
        symbols = sorted({s.symbol for s in stats})
        out[split] = {sym: summarize([s for s in stats if s.symbol == sym]) for sym in symbols}
    return out


def caveats(table: dict[str, dict[str, Any]]) -> list[str]:
    """What the numbers cannot support, said from the numbers themselves."""
    notes: list[str] = [
        "The synthetic market is the simulator's model of a book (regimes, order arrivals), "
        "not the market: its numbers say how the sleeve does against that model, not what it "
        "would earn at CME."
    ]
    for split, label in (("test", "synthetic test seeds"), ("real", "the real ES data")):
        for symbol, s in sorted(table.get(split, {}).items()):
            ci = s["pnl_per_contract_ci95"]
            where = f"{label}, {symbol}: {s['trades']} trades in {s['hours']} h"
            if ci is None:
                notes.append(f"{where}: too few trades for any estimate of P&L per contract.")
            elif ci[0] <= 0 <= ci[1]:
                notes.append(
                    f"{where}: the 95% interval of P&L per contract is {ci[0]:+.2f} .. "
                    f"{ci[1]:+.2f} $: it cannot tell a profit from a loss."
                )
            else:
                sign = "loss" if ci[1] < 0 else "profit"
                notes.append(
                    f"{where}: a {sign} per contract ({ci[0]:+.2f} .. {ci[1]:+.2f} $, 95%), "
                    "on this sample only."
                )
    real = table.get("real", {})
    if real:
        hours = sum(s["hours"] or 0 for s in real.values())
        notes.append(
            f"Real data: {hours:.2f} h of trading after the open, one session (the Globex "
            "reopen after Christmas, a thin holiday evening, ES as an MES stand-in): no "
            "statement about other days, regular hours, other regimes, MNQ, or a daily P&L "
            "distribution can rest on it."
        )
    return notes


def write(study: Study, out: Path, meta: dict[str, Any], elapsed_s: float) -> None:
    """The study's files under `out` (created)."""
    out.mkdir(parents=True, exist_ok=True)
    rows = [run_row(r, s) for r in study.runs for s in r.stats]
    _csv(out / "runs.csv", rows)
    grid_rows = [
        {**{k: getattr(p, k) for k in GRID}, "train_net_usd_per_session": round(v, 2)}
        for p, v in study.grid
    ]
    if grid_rows:
        _csv(out / "grid.csv", grid_rows)
    table = summaries(study)
    document = {
        **meta,
        "grid": {k: list(v) for k, v in GRID.items()},
        "chosen": study.chosen.model_dump(),
        "summary": table,
        "caveats": caveats(table),
    }
    (out / "summary.json").write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
    (out / "timing.json").write_text(json.dumps({"elapsed_s": round(elapsed_s, 2)}) + "\n")


def _csv(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    if not rows:
        path.write_text("")
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def print_table(study: Study, elapsed_s: float) -> None:
    table = summaries(study)
    chosen = {k: getattr(study.chosen, k) for k in GRID}
    print(f"chosen on the training seeds: {chosen}")
    head = (
        f"{'split':6} {'sym':4} {'runs':>4} {'hours':>6} {'quotes':>7} {'fills':>6} "
        f"{'rate':>6} {'contr':>6} {'net $':>9} {'$/contr':>8} "
        + " ".join(f"{'mv' + str(h) + 's':>6}" for h in HORIZONS_S)
        + f" {'maxinv':>6} {'worst $':>8}"
    )
    print(head)
    for split, per in table.items():
        for symbol, s in per.items():
            moves = " ".join(_fmt(s[f"mid_move_{h}s_ticks"], 6) for h in HORIZONS_S)
            print(
                f"{split:6} {symbol:4} {s['runs']:>4} {s['hours']:>6} {s['quotes']:>7} "
                f"{s['maker_fills']:>6} {_fmt(s['fill_rate'], 6)} {s['contracts']:>6} "
                f"{s['net_usd']:>9} {_fmt(s['pnl_per_contract_usd'], 8)} {moves} "
                f"{s['max_inventory']:>6} {s['worst_open_usd']:>8}"
            )
    for note in caveats(table):
        print(f"- {note}")
    print(f"runtime {elapsed_s:.1f} s")


def _fmt(value: float | None, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.3f}"
