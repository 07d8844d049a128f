"""Entry point: parse arguments, load and validate the whole configuration, run one command.

Each command module exposes `register(commands, bench)`: it adds its sub-parser(s) and sets
`handler` to a function `(args, settings) -> exit status`. Adding a command is one line below.
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

COMMAND_MODULES: tuple[str, ...] = (
    "bot.cli.rules_cmd",
    "bot.cli.risk_cmd",
    "bot.cli.montecarlo_cmd",
    "bot.cli.book_cmd",
    "bot.cli.exchange_cmd",
    "bot.cli.backtest_cmd",
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


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = OneLineParser(
        prog="topstep-quant",
        description="TopstepQuant: CME micro futures in a Topstep 50K account, under its rules.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    bench_parser = commands.add_parser("bench", help="benchmarks that print JSON numbers")
    bench = bench_parser.add_subparsers(dest="bench", metavar="BENCHMARK", required=True)
    for name in COMMAND_MODULES:
        cast(CommandModule, importlib.import_module(name)).register(commands, bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status (2 for bad configuration or input)."""
    args = build_parser().parse_args(argv)
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
