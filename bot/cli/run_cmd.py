"""`topstep-quant run` (the trading process), `status` and `flatten`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from bot.cli.argtypes import iso_day, non_negative_float, positive_int
from bot.cli.errors import UserInputError
from bot.config import Settings


def _hhmm(text: str) -> dtime:
    try:
        return dtime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a HH:MM time") from None


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = commands.add_parser("run", help="the trading process (BOT_MODE: sim, dry-run, live)")
    replay_help = "sim: replay this MBO file (default: the ES day in MARKET_DATA_DIR)"
    run.add_argument("--replay", type=Path, default=None, help=replay_help)
    run.add_argument("--synthetic", action="store_true", help="sim: the synthetic market")
    run.add_argument("--seed", type=int, default=1, help="sim: seed of the synthetic market")
    run.add_argument("--speed", type=non_negative_float, default=1.0,
                     help="sim: market clock and data speed factor")  # fmt: skip
    run.add_argument("--duration", type=non_negative_float, default=None, metavar="SECONDS",
                     help="stop (flatten, summary) after this many wall seconds")  # fmt: skip
    run.add_argument("--market-day", type=iso_day, default=None, metavar="YYYY-MM-DD",
                     help="sim: the trading day the market clock starts on "
                     "(default: the latest regular trading day)")  # fmt: skip
    run.add_argument("--market-time", type=_hhmm, default=dtime(8, 30), metavar="HH:MM",
                     help="sim: Chicago time the market clock starts (default 08:30)")  # fmt: skip
    run.add_argument("--sleeves", type=Path, default=None, help="sleeves.toml")
    run.add_argument("--sleeve", action="append", default=None, help="run only these sleeves")
    run.add_argument("--bar-seconds", type=positive_int, default=60)
    run.set_defaults(handler=run_trading)

    status = commands.add_parser("status", help="state, positions, orders, P&L, from the journal")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=run_status)

    ttt = bench.add_parser("tick-to-trade", help="market data -> order, the bot vs a FIX echo")
    ttt.add_argument("--samples", type=positive_int, default=2_000)
    ttt.add_argument("--warmup", type=positive_int, default=200)
    ttt.set_defaults(handler=run_bench_tick_to_trade)

    flat = commands.add_parser("flatten", help="emergency: cancel everything, flatten, confirm")
    flat.set_defaults(handler=run_flatten)


def live_refusal(settings: Settings) -> str | None:
    """Why BOT_MODE=live must not start (None: it may)."""
    if settings.bot_mode != "live":
        return None
    missing = []
    if not settings.topstep_api_user:
        missing.append("TOPSTEP_API_USER")
    if not settings.topstep_api_pass.get_secret_value():
        missing.append("TOPSTEP_API_PASS")
    if "fix_host" not in settings.model_fields_set:
        missing.append("FIX_HOST (the broker's host, explicitly)")
    if missing:
        return f"BOT_MODE=live refused: missing {', '.join(missing)}"
    if settings.live_confirm != settings.fix_account:
        return (
            f"BOT_MODE=live refused: LIVE_CONFIRM must name the account "
            f"(FIX_ACCOUNT={settings.fix_account})"
        )
    return None


def _default_replay(settings: Settings) -> Path | None:
    base = settings.market_data_dir
    shared = base / "cme" / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"  # the shared real ES day
    if shared.is_file():
        return shared
    found = sorted(base.glob("**/*.mbo.dbn.zst"), key=lambda p: p.stat().st_size)
    return found[-1] if found else None


def _options(args: argparse.Namespace, settings: Settings, flatten_only: bool) -> Any:
    from bot.live.process import RunOptions

    replay = getattr(args, "replay", None)
    synthetic = bool(getattr(args, "synthetic", False))
    if replay is not None and not replay.is_file():
        raise UserInputError(f"--replay {replay}: no such file")
    if settings.bot_mode == "sim" and not synthetic and replay is None and not flatten_only:
        replay = _default_replay(settings)
        if replay is None:
            print(f"no MBO file under MARKET_DATA_DIR={settings.market_data_dir}: "
                  "trading the synthetic market", file=sys.stderr)  # fmt: skip
            synthetic = True
    return RunOptions(
        mode=settings.bot_mode,
        replay=replay,
        synthetic=synthetic,
        seed=getattr(args, "seed", 1),
        speed=max(getattr(args, "speed", 1.0) or 1.0, 0.01),
        duration_s=getattr(args, "duration", None),
        market_day=getattr(args, "market_day", None),
        market_time=getattr(args, "market_time", dtime(8, 30)),
        sleeves_path=getattr(args, "sleeves", None),
        sleeve_names=getattr(args, "sleeve", None),
        flatten_only=flatten_only,
        bar_seconds=getattr(args, "bar_seconds", 60),
    )


def _run(args: argparse.Namespace, settings: Settings, flatten_only: bool) -> int:
    refusal = live_refusal(settings)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    import uvloop

    from bot.live.journal import JournalError
    from bot.live.process import LiveProcess, format_summary
    from bot.strategy.config import SleeveConfigError

    options = _options(args, settings, flatten_only)
    try:
        process = LiveProcess(settings, options)
    except JournalError as exc:
        raise UserInputError(str(exc)) from None
    try:
        status = uvloop.run(process.run())
    except SleeveConfigError as exc:
        raise UserInputError(str(exc)) from None
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_summary(process.summary))
    if status == 3:
        print("NOT FLAT: the venue did not confirm flat; broker-side stops left working",
              file=sys.stderr)  # fmt: skip
    return status


def run_trading(args: argparse.Namespace, settings: Settings) -> int:
    return _run(args, settings, flatten_only=False)


def run_flatten(args: argparse.Namespace, settings: Settings) -> int:
    if settings.bot_mode == "dry-run":
        raise UserInputError("BOT_MODE=dry-run never sends orders: flatten refused")
    if settings.bot_mode == "sim" and "fix_port" not in settings.model_fields_set:
        raise UserInputError("flatten connects to a running venue: set FIX_HOST/FIX_PORT")
    return _run(args, settings, flatten_only=True)


def run_status(args: argparse.Namespace, settings: Settings) -> int:
    from bot.live.journal import JOURNAL_NAME, Journal, JournalError

    path = settings.state_dir / JOURNAL_NAME
    if not path.is_file():
        raise UserInputError(f"no journal at {path}: the bot has not run with STATE_DIR here")
    try:
        journal = Journal(path, readonly=True)
        found = journal.get_with_time("status")
        risk = journal.get("risk")
        account = journal.get("account")
        last = list(journal.events("process.exit"))
        starts = list(journal.events("process.start"))
    except JournalError as exc:
        raise UserInputError(str(exc)) from None
    if found is None:
        raise UserInputError(f"{path}: no status recorded yet")
    wall_ns, status = found
    running = bool(starts) and (not last or last[-1].id < starts[-1].id)
    out = {
        **status,
        "running": running and _alive(status.get("pid")),
        "recorded_at": datetime.fromtimestamp(wall_ns / 1e9).astimezone().isoformat(),
        "risk_snapshot_day": (risk or {}).get("day"),
        "account": account,
    }
    if args.json:
        print(json.dumps(out, sort_keys=True, default=str))
        return 0
    print(_human(out))
    return 0


def _alive(pid: object) -> bool:
    import os

    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _human(s: dict[str, Any]) -> str:
    def usd(cents: object) -> str:
        return f"${int(cents) / 100:,.2f}" if isinstance(cents, int) else "-"

    lines = [
        f"process: {'running' if s.get('running') else 'not running'} "
        f"(last recorded {s.get('process')}, {s.get('recorded_at')}, mode {s.get('mode')})",
        f"market time: {s.get('market_time')}  FIX logged on: {s.get('fix_logged_on')}",
        f"risk state: {s.get('risk_state')} ({s.get('risk_reason')})",
        f"day P&L: {usd(s.get('day_net_cents'))}  buffer to the safety lines: "
        f"{usd(s.get('buffer_cents'))}",
        f"balance: {usd(s.get('balance_cents'))}  MLL floor: {usd(s.get('floor_cents'))}  "
        f"winning days: {s.get('winning_days')}",
        f"payout eligible: {s.get('payout_eligible')}  (max {usd(s.get('max_payout_cents'))})",
        f"positions: {s.get('positions') or 'flat'}",
    ]
    orders = s.get("working_orders") or []
    lines.append(f"working orders: {len(orders)}")
    for o in orders:
        lines.append(f"  {o.get('cl_ord_id')} {o.get('side')} {o.get('qty')} {o.get('symbol')} "
                     f"{o.get('type')} px={o.get('price')} stop={o.get('stop')}")  # fmt: skip
    sleeves = s.get("sleeves") or {}
    for name, cents in sorted(sleeves.items()):
        lines.append(f"  sleeve {name}: {usd(cents)}")
    if s.get("blocks"):
        lines.append(f"blocks: {s.get('blocks')}")
    return "\n".join(lines)


def run_bench_tick_to_trade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.live.bench import run_tick_to_trade_bench

    try:
        result = run_tick_to_trade_bench(args.samples, args.warmup)
    except RuntimeError as exc:
        print(f"error: bench tick-to-trade: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0
