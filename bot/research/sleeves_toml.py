"""`sleeves.toml` from a walk-forward's choices: each bar sleeve with the latest fold's choice
(trained on the two years before the last test year), a comment naming where it came from and
how often the folds chose it, and the market maker with its class defaults (its own research
tunes those)."""

from __future__ import annotations

from typing import Any

from bot.strategy.sleeves.market_making import MarketMakingParams

MM_ALLOCATION = {"risk_share": 0.2, "max_contracts": 2, "max_drawdown": 300.0}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def render(chosen: dict[str, Any], data_label: str, folds: int) -> str:
    lines = [
        "# The sleeves the bot runs: `run --sleeves sleeves.toml` (make run does),",
        "# `backtest --config sleeves.toml`.",
        "# Bar sleeves: the parameters `topstep-quant research walkforward` chose on the latest",
        f"# fold's training years ({data_label}),",
        "# hourly bars. Regenerate with",
        "# `topstep-quant research walkforward --out DIR` (DIR/sleeves.toml).",
        "",
        "[sleeves.mm]",
        'kind = "market_making"',
        'symbols = ["MES"]',
        "[sleeves.mm.allocation]",
        *(f"{k} = {_value(v)}" for k, v in MM_ALLOCATION.items()),
        "[sleeves.mm.params]  # the class defaults; the market-making research tunes these",
        *(f"{k} = {_value(v)}" for k, v in MarketMakingParams().model_dump().items()),
    ]
    for name, entry in chosen.items():
        latest, often = entry["latest"], entry["most_often"]
        same = latest["params"] == often["params"]
        years = "-".join(str(y) for y in latest["fold_train_years"])
        lines += [
            "",
            f"[sleeves.{name}]",
            f'kind = "{entry["kind"]}"',
            'symbols = ["MES"]',
            f"[sleeves.{name}.allocation]",
            *(f"{k} = {_value(v)}" for k, v in entry["allocation"].items()),
            f"# chosen by the walk-forward on {years} (the latest fold's training years);",
            f"# the most often chosen over {folds} folds"
            + (
                f" too ({often['times']} of {folds})"
                if same
                else f" ({often['times']} of {folds}) differs in: "
                + ", ".join(
                    f"{k} = {_value(v)}"
                    for k, v in often["params"].items()
                    if latest["params"].get(k) != v
                )
            ),
            f"[sleeves.{name}.params]",
            *(f"{k} = {_value(v)}" for k, v in latest["params"].items()),
        ]
    return "\n".join(lines) + "\n"
