"""`topstep-quant rules replay FILE.csv`: the account rules applied day by day to a P&L file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.errors import UserInputError
from bot.config import Settings
from bot.rules.account import AccountState, DayOutcome, apply_day
from bot.rules.daily_csv import DailyCsvError, read_daily_pnl
from bot.rules.profiles import AccountRules, rules_from_settings


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rules = commands.add_parser("rules", help="Topstep account rules")
    sub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    replay = sub.add_parser(
        "replay", help="replay a daily P&L CSV through the account rules, one JSON line per day"
    )
    replay.add_argument("file", type=Path, help="CSV with header day,net_pnl,low_pnl,payout")
    replay.add_argument(
        "--account",
        choices=("xfa-50k", "combine-50k"),
        default=None,
        help="account profile (default: ACCOUNT_PROFILE, xfa-50k)",
    )
    replay.set_defaults(handler=run_replay)


def _dollars(cents: int) -> float:
    return cents / 100


def outcome_json(outcome: DayOutcome, rules: AccountRules | None = None) -> dict[str, Any]:
    """The replay's fixed output contract for one day."""
    row: dict[str, Any] = {
        "day": outcome.day.isoformat(),
        "balance": _dollars(outcome.balance_cents),
        "mll_floor": _dollars(outcome.mll_floor_cents),
        "dll_hit": outcome.dll_hit,
        "mll_breached": outcome.mll_breached,
        "account_failed": outcome.account_failed,
        "winning_day": outcome.winning_day,
        "winning_days": outcome.winning_days,
        "payout_eligible": outcome.payout_eligible,
        "max_payout": _dollars(outcome.max_payout_cents),
        "payout_paid": _dollars(outcome.payout_paid_cents),
        "max_micros": outcome.max_micros,
    }
    if outcome.payout_refused is not None:
        row["payout_refused"] = outcome.payout_refused
    if rules is not None and rules.profit_target_cents is not None:
        row["target_reached"] = outcome.target_reached
        row["consistency_ok"] = outcome.consistency_ok
        row["passed"] = outcome.passed
    return row


def run_replay(args: argparse.Namespace, settings: Settings) -> int:
    rules = rules_from_settings(settings, args.account)
    try:
        days = read_daily_pnl(args.file)
    except DailyCsvError as exc:
        raise UserInputError(str(exc)) from None
    state = AccountState.initial(rules)
    for pnl in days:
        state, outcome = apply_day(rules, state, pnl)
        sys.stdout.write(json.dumps(outcome_json(outcome, rules)) + "\n")
        if outcome.account_failed:
            break
    return 0
