"""`topstep-quant risk status|clear`: read the persisted risk state; clear a HALTED engine.

HALTED lasts until a person looks.  This is how they look, and how they say "go on": the
clear is refused when the account has failed, and is journalled with the operator's name.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.cli.argtypes import operator_name
from bot.cli.errors import UserInputError
from bot.config import Settings

if TYPE_CHECKING:  # the engine pulls in the CME calendar (pandas): load it only when run
    from bot.ops.state_store import StateStore
    from bot.risk.engine import RiskEngine


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    risk = commands.add_parser("risk", help="inspect or clear the persisted risk state")
    sub = risk.add_subparsers(dest="risk_command", metavar="ACTION", required=True)
    status = sub.add_parser("status", help="print the persisted risk state as JSON")
    status.set_defaults(handler=run_status)
    clear = sub.add_parser("clear", help="clear HALTED after an operator has checked the account")
    clear.add_argument(
        "--operator",
        required=True,
        type=operator_name,
        help="who is clearing the halt (journalled)",
    )
    clear.set_defaults(handler=run_clear)


def _snapshot(store: StateStore) -> dict[str, Any] | None:
    from bot.ops.state_store import StateCorrupt

    try:
        return store.load_snapshot()
    except StateCorrupt as exc:
        raise UserInputError(f"risk state is unreadable, refusing to guess: {exc}") from None


def _load(settings: Settings) -> tuple[RiskEngine, StateStore]:
    from bot.ops.state_store import StateStore
    from bot.risk.factory import build_risk_engine
    from bot.risk.snapshot import SnapshotInvalid

    store = StateStore(settings.state_dir)
    snapshot = _snapshot(store)
    if snapshot is None:
        raise UserInputError(
            f"no risk snapshot in {settings.state_dir}: nothing to clear (`risk status` shows "
            "what the journal says; the bot rebuilds its state at startup)"
        )
    engine = build_risk_engine(settings)
    try:
        engine.restore(snapshot)
    except SnapshotInvalid as exc:
        raise UserInputError(f"risk state in {store.snapshot_path} is invalid: {exc}") from None
    return engine, store


def run_status(args: argparse.Namespace, settings: Settings) -> int:
    """The snapshot if there is one; else what the journal says; else an error."""
    from bot.ops.risk_journal import journal_status
    from bot.ops.state_store import StateCorrupt, StateStore

    store = StateStore(settings.state_dir)
    if _snapshot(store) is not None:
        engine, _ = _load(settings)
        sys.stdout.write(json.dumps(engine.snapshot(), sort_keys=True) + "\n")
        return 0
    try:
        events = store.read_events()
    except StateCorrupt as exc:
        raise UserInputError(f"risk journal is unreadable, refusing to guess: {exc}") from None
    if not events:
        raise UserInputError(f"no risk state in {settings.state_dir} (the bot has not run here)")
    sys.stdout.write(json.dumps(journal_status(events), sort_keys=True) + "\n")
    return 0


def run_clear(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.risk_journal import publish
    from bot.risk.engine import RiskState

    engine, store = _load(settings)
    if engine.state != RiskState.HALTED:
        print(f"nothing to clear: state is {engine.state}", file=sys.stderr)
        return 0
    cleared = engine.operator_clear(datetime.now(UTC), args.operator)
    publish(engine, store)
    if not cleared:
        print("refused: the account has failed; a halt after a breach is final", file=sys.stderr)
        return 1
    store.save_snapshot(engine.snapshot())
    print(f"state is now {engine.state}: {engine.state_reason}")
    return 0
