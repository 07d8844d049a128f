"""`topstep-quant rules replay FILE.csv`: the account rules applied day by day to a P&L file."""

from __future__ import annotations

import argparse

from bot.config import Settings


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rules = commands.add_parser("rules", help="Topstep account rules")
    sub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    replay = sub.add_parser("replay", help="replay a daily P&L CSV through the account rules")
    replay.add_argument("file", help="CSV with header day,net_pnl,low_pnl,payout")
    replay.add_argument("--account", choices=("xfa-50k", "combine-50k"), default=None)
    replay.set_defaults(handler=run_replay)


def run_replay(args: argparse.Namespace, settings: Settings) -> int:
    raise NotImplementedError
