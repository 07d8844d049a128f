"""Every command imports only what it needs: `--help` and the commands that do not trade never
import QuickFIX (nor numpy, Databento or matplotlib when they do not use them)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import BENCHMARKS, COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("quickfix", "numpy", "databento_dbn", "matplotlib", "pandas", "exchange_calendars")


def _imported_after(argv: list[str], tmp_path: Path) -> set[str]:
    code = f"""
import contextlib, io, json, sys
sys.path.insert(0, {str(ROOT)!r})
from bot.cli.main import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        main({argv!r})
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_help_imports_no_command_module(tmp_path: Path) -> None:
    assert _imported_after(["--help"], tmp_path) == set()


@pytest.mark.parametrize(
    "argv",
    [
        ["rules", "replay", str(ROOT / "examples" / "rules_replay.csv")],
        ["risk", "status"],
        ["book", "--help"],
        ["montecarlo", "--help"],
        ["bench", "matching", "--help"],
    ],
)
def test_commands_that_do_not_trade_never_import_quickfix(argv: list[str], tmp_path: Path) -> None:
    assert "quickfix" not in _imported_after(argv, tmp_path)


def test_the_tables_list_every_command_with_its_modules_own_help() -> None:
    parser = build_parser(None)  # every module registers itself
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    bench = next(
        a for a in sub.choices["bench"]._actions if isinstance(a, argparse._SubParsersAction)
    )
    for table, action in ((COMMANDS, sub), (BENCHMARKS, bench)):
        helps = {c.dest: c.help for c in action._choices_actions}
        assert {k: v[1] for k, v in table.items()} == {k: helps[k] for k in table}
        assert set(action.choices) - {"bench"} == set(table)
