"""The `rules replay` command's fixed contract, through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main

REPO = Path(__file__).resolve().parents[2]
HEADER = "day,net_pnl,low_pnl,payout\n"
KEYS = {
    "day",
    "balance",
    "mll_floor",
    "dll_hit",
    "mll_breached",
    "account_failed",
    "winning_days",
    "payout_eligible",
    "max_payout",
    "payout_paid",
    "max_micros",
}


def replay(
    tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, list[dict[str, object]], str]:
    path = tmp_path / "days.csv"
    path.write_text(body, encoding="utf-8")
    code = main(["rules", "replay", str(path), *extra])
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    return code, rows, captured.err


def test_every_day_has_the_contract_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows, _ = replay(tmp_path, HEADER + "2026-01-05,200,-50,\n2026-01-06,-100,,\n", capsys)
    assert code == 0 and len(rows) == 2
    for row in rows:
        assert set(row) >= KEYS
    assert rows[0] == {
        "day": "2026-01-05",
        "balance": 200.0,
        "mll_floor": -1800.0,
        "dll_hit": False,
        "mll_breached": False,
        "account_failed": False,
        "winning_day": True,
        "winning_days": 1,
        "payout_eligible": False,
        "max_payout": 0.0,
        "payout_paid": 0.0,
        "max_micros": 2,
    }
    assert rows[1]["balance"] == 100.0 and rows[1]["mll_floor"] == -1800.0


def test_low_defaults_to_min_of_zero_and_net(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows, _ = replay(tmp_path, "day,net_pnl\n2026-01-05,-2000\n", capsys)
    assert code == 0 and rows[0]["account_failed"] is True and rows[0]["balance"] == -2000.0


def test_processing_stops_after_the_failing_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = HEADER + "2026-01-05,-100,-2100,\n2026-01-06,500,-10,\n"
    code, rows, _ = replay(tmp_path, body, capsys)
    assert code == 0 and len(rows) == 1
    assert rows[0]["mll_breached"] is True and rows[0]["balance"] == -2100.0


def test_refused_payout_carries_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows, _ = replay(tmp_path, HEADER + "2026-01-05,500,0,100\n", capsys)
    assert code == 0
    assert rows[0]["payout_paid"] == 0.0 and "not eligible" in str(rows[0]["payout_refused"])


def test_combine_account_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, rows, _ = replay(
        tmp_path, HEADER + "2026-01-05,500,0,\n", capsys, "--account", "combine-50k"
    )
    assert code == 0 and rows[0]["max_micros"] == 5


def test_configured_daily_loss_limit_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAILY_LOSS_LIMIT", "600")
    monkeypatch.setenv("DLL_SAFETY_THRESHOLD", "500")
    code, rows, _ = replay(tmp_path, HEADER + "2026-01-05,-600,-600,\n", capsys)
    assert code == 0 and rows[0]["dll_hit"] is True


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("day,low_pnl\n2026-01-05,0\n", 1, "missing column"),
        (HEADER + "2026-01-05,abc,0,\n", 2, "not a number"),
        (HEADER + "2026-01-05,10,0,\n2026-01-05,10,0,\n", 3, "duplicate"),
        (HEADER + "2026-01-06,10,0,\n2026-01-05,10,0,\n", 3, "out of order"),
        (HEADER + "05/01/2026,10,0,\n", 2, "YYYY-MM-DD"),
        (HEADER + "2026-01-05,10,5,\n", 2, "low_pnl"),
        (HEADER + "2026-01-05,10.001,0,\n", 2, "fraction of a cent"),
        (HEADER + "2026-01-05,10,0,-5\n", 2, "payout must not be negative"),
        (HEADER + "2026-01-05,,0,\n", 2, "net_pnl is empty"),
    ],
)
def test_malformed_input_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, line: int, words: str
) -> None:
    code, _rows, err = replay(tmp_path, body, capsys)
    assert code == 2
    assert f"days.csv:{line}" in err and words in err
    assert "Traceback" not in err


def test_missing_file_and_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "replay", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    code, _, err = replay(tmp_path, HEADER, capsys)
    assert code == 2 and "no data rows" in err


def test_real_command_line_on_the_shipped_example() -> None:
    """The README's main job: the console entry point on the example file, in a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "rules", "replay", str(REPO / "examples/rules_replay.csv")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows[-1]["account_failed"] is True  # the example ends with a breach after a payout
    assert any(row["payout_paid"] for row in rows)
    assert any("payout_refused" in row for row in rows)
    assert len(rows) < sum(1 for _ in (REPO / "examples/rules_replay.csv").open()) - 1


def test_bad_configuration_is_one_line_and_status_2(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DAILY_LOSS_LIMIT": "lots", "TOPSTEP_API_PASS": "hunter2"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "rules", "replay", "x.csv"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("configuration error: DAILY_LOSS_LIMIT")
    assert "hunter2" not in proc.stderr and "Traceback" not in proc.stderr
