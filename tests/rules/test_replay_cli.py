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
        # issue 8 item 14: extra fields, repeated or unknown columns, odd digits
        (HEADER + "2026-01-05,10,0,,99\n", 2, "5 field(s), the header has 4"),
        (HEADER + "2026-01-05,10\n", 2, "2 field(s), the header has 4"),
        ("day,net_pnl,net_pnl\n2026-01-05,10,20\n", 1, "net_pnl appear more than once"),
        ("day,net_pnl,lowpnl\n2026-01-05,10,0\n", 1, "unknown column(s) lowpnl"),
        (HEADER + "2026-01-05,1_500,0,\n", 2, "not a number"),
        (HEADER + "2026-01-05,\u0661\u0665\u0660\u0660,0,\n", 2, "not a number"),
        (HEADER + "2026-01-05,1e3,0,\n", 2, "not a number"),
        (HEADER + "2026-01-05, 12 ,0,\n2026-01-0\u0666,10,0,\n", 3, "YYYY-MM-DD"),
        # issue 8 item 13: numbers no account has are refused at once, not computed with
        (HEADER + "2026-01-05,1e400,0,\n", 2, "not a number"),
        (HEADER + "2026-01-05,1000000000000,0,\n", 2, "under $1 trillion"),
        (HEADER[:-1] + ",max_contracts\n2026-01-05,10,0,,-1\n", 2, "whole number of contracts"),
    ],
)
def test_malformed_input_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, line: int, words: str
) -> None:
    code, _rows, err = replay(tmp_path, body, capsys)
    assert code == 2
    assert f"days.csv:{line}" in err and words in err
    assert "Traceback" not in err


def test_a_dll_day_counts_at_its_low(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 8 item 4: Topstep liquidates at the DLL, so +$500 after a -$1,200 low is -$1,200
    (the day's low stands for the loss at liquidation), not a winning day."""
    code, rows, _ = replay(tmp_path, HEADER + "2026-01-05,500,-1200,\n", capsys)
    assert code == 0 and rows[0]["dll_hit"] is True
    assert rows[0]["balance"] == -1200.0 and rows[0]["winning_day"] is False
    # 400 closes after -600 lows are fine at size 1 ...
    body = HEADER + "".join(f"2026-01-{d:02d},400,-600,\n" for d in range(5, 10))
    code, rows, _ = replay(tmp_path, body, capsys)
    assert rows[-1]["balance"] == 2000.0 and rows[-1]["winning_days"] == 5
    # ... but at twice the size every day reaches the DLL: -1,200 each, failed on day 2
    body = HEADER + "".join(f"2026-01-{d:02d},800,-1200,\n" for d in range(5, 10))
    code, rows, _ = replay(tmp_path, body, capsys)
    assert [r["balance"] for r in rows] == [-1200.0, -2400.0]
    assert rows[-1]["account_failed"] is True


def test_combine_reports_target_and_consistency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 8 item 16: the Combine's $3,000 target counts only with the best day at most 50%
    of max(total profit, target)."""
    body = HEADER + "2026-01-05,2000,0,\n2026-01-06,1000,0,\n2026-01-07,600,0,\n"
    code, rows, _ = replay(tmp_path, body, capsys, "--account", "combine-50k")
    assert code == 0
    assert [(r["target_reached"], r["consistency_ok"], r["passed"]) for r in rows] == [
        (False, False, False),  # $2,000 of a $3,000 target: best day 67%
        (True, False, False),  # $3,000: best day $2,000 > 50%
        (True, False, False),  # $3,600: 2,000 / 3,600 = 56%
    ]
    body = HEADER + "2026-01-05,1500,0,\n2026-01-06,1500,0,\n"
    code, rows, _ = replay(tmp_path, body, capsys, "--account", "combine-50k")
    assert rows[-1]["passed"] is True
    code, rows, _ = replay(tmp_path, body, capsys)  # the XFA has no target to report
    assert "passed" not in rows[-1]


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


def test_a_backtests_sleeve_columns_are_carried_along(tmp_path: Path) -> None:
    """The backtest's daily_pnl.csv (max_contracts and sleeve_* columns) replays as is; any
    other unknown column is still refused."""
    from bot.rules.daily_csv import DailyCsvError, read_daily_pnl

    good = tmp_path / "bt.csv"
    good.write_text(
        "day,net_pnl,low_pnl,max_contracts,sleeve_tf,sleeve_mr\n2024-03-05,10,-5,1,4,6\n"
    )
    (row,) = read_daily_pnl(good)
    assert row.net_pnl_cents == 1000
    bad = tmp_path / "bad.csv"
    bad.write_text("day,net_pnl,colour\n2024-03-05,10,red\n")
    with pytest.raises(DailyCsvError, match="unknown column"):
        read_daily_pnl(bad)
