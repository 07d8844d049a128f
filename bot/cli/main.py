"""Entry point: parse arguments, load and validate the whole configuration, run one command.

Each command module exposes `register(commands, bench)`: it adds its sub-parser(s) and sets
`handler` to a function `(args, settings) -> exit status`.  Only the module of the command being
run is imported: the others appear in `--help` from the tables below (name and one-line help), so
no command pays for another's imports (QuickFIX, numpy, Databento, matplotlib).  Adding a command
is one line in a table below; `tests/cli/test_lazy_commands.py` checks the tables against the
modules.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, Protocol, TypeAlias, cast

from bot import __version__
from bot.cli.errors import UserInputError
from bot.config import ConfigError, Settings, load_settings
from bot.ops.logs import configure_logging

# command -> (module that registers it, its one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "rules": ("bot.cli.rules_cmd", "Topstep account rules"),
    "risk": ("bot.cli.risk_cmd", "inspect or clear the persisted risk state"),
    "montecarlo": (
        "bot.cli.montecarlo_cmd",
        "odds of reaching the profit target without breaking the account rules",
    ),
    "book": ("bot.cli.book_cmd", "replay a Databento MBO file and print the final book"),
    "exchange": ("bot.cli.exchange_cmd", "run the FIX exchange simulator (foreground)"),
    "backtest": (
        "bot.cli.backtest_cmd",
        "run the sleeves, portfolio, risk and execution on history",
    ),
    "run": ("bot.cli.run_cmd", "the trading process (BOT_MODE: sim, dry-run, live)"),
    "status": ("bot.cli.run_cmd", "state, positions, orders, P&L, from the journal"),
    "flatten": ("bot.cli.run_cmd", "emergency: cancel everything, flatten, confirm"),
    "health": ("bot.cli.health_cmd", "exit 0 if the running bot is healthy (metrics)"),
}
BENCHMARKS: dict[str, tuple[str, str]] = {
    "montecarlo": ("bot.cli.montecarlo_cmd", "Monte Carlo paths per second (JSON)"),
    "book": ("bot.cli.book_cmd", "order book replay speed on an MBO file"),
    "matching": ("bot.cli.exchange_cmd", "orders per second of the matching engine"),
    "fix-rtt": ("bot.cli.exchange_cmd", "loopback FIX round trip: D sent to New received"),
    "backtest": ("bot.cli.backtest_cmd", "backtest speed on bars or an MBO day"),
    "tick-to-trade": ("bot.cli.run_cmd", "market data -> order, the bot vs a FIX echo"),
}
COMMAND_MODULES: tuple[str, ...] = tuple(
    dict.fromkeys(m for m, _ in (*COMMANDS.values(), *BENCHMARKS.values()))
)

Handler = Callable[[argparse.Namespace, Settings], int]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class CommandModule(Protocol):
    def register(self, commands: Subparsers, bench: Subparsers) -> None: ...


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line (no usage block) and exit status 2, like every other error.
    Sub-parsers inherit the class, so every command behaves the same; `-h` still shows usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def modules_for(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The command modules a command line needs: only the named command's (all for None)."""
    if argv is None:
        return COMMAND_MODULES
    words = [a for a in argv if not a.startswith("-")]
    if words and words[0] == "bench":
        entry = BENCHMARKS.get(words[1]) if len(words) > 1 else None
    else:
        entry = COMMANDS.get(words[0]) if words else None
    return (entry[0],) if entry is not None else ()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv` (every command fully when None); commands whose module is not
    needed are listed by name and help only."""
    parser: argparse.ArgumentParser = OneLineParser(
        prog="topstep-quant",
        description="TopstepQuant: CME micro futures in a Topstep 50K account, under its rules.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    bench_parser = commands.add_parser("bench", help="benchmarks that print JSON numbers")
    bench = bench_parser.add_subparsers(dest="bench", metavar="BENCHMARK", required=True)
    for name in modules_for(argv):
        cast(CommandModule, importlib.import_module(name)).register(commands, bench)
    for table, subparsers in ((COMMANDS, commands), (BENCHMARKS, bench)):
        for command, (_module, text) in table.items():
            if command not in subparsers.choices:
                subparsers.add_parser(command, help=text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status (2 for bad configuration or input)."""
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(words).parse_args(words)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    handler = cast(Handler, args.handler)
    try:
        return handler(args, settings)
    except UserInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: one line, never a traceback
        logging.getLogger("bot.cli").debug("unhandled", exc_info=True)
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
