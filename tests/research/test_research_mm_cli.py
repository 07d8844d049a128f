"""`topstep-quant research-mm` end to end: deterministic files, the search picks its best
training row, the real ES day is measured, bad input is one line and exit status 2."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bot.cli.main import main

QUICK = ["research-mm", "--no-real", "--train-seeds", "1", "--test-seeds", "1", "--minutes", "3"]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_same_seeds_give_the_same_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a", "b"):
        code, out, _ = _run([*QUICK, "--no-search", "--out", str(tmp_path / name)], capsys)
        assert code == 0 and "runtime" in out
    for file in ("runs.csv", "summary.json"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()
    rows = list(csv.DictReader((tmp_path / "a" / "runs.csv").open()))
    seen = {(r["split"], r["seed"], r["symbol"]) for r in rows}
    assert seen == {(split, seed, sym) for split, seed in (("train", "1"), ("test", "1001"))
                    for sym in ("MES", "MNQ")}  # fmt: skip
    assert "elapsed_s" in json.loads((tmp_path / "a" / "timing.json").read_text())


def test_the_search_chooses_the_best_training_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = _run([*QUICK, "--minutes", "2", "--out", str(tmp_path)], capsys)
    assert code == 0
    grid = list(csv.DictReader((tmp_path / "grid.csv").open()))
    assert len(grid) == 16
    best = max(grid, key=lambda r: float(r["train_net_usd_per_session"]))  # first of equals
    chosen = json.loads((tmp_path / "summary.json").read_text())["chosen"]
    for key in ("queue_horizon_s", "take_profit_ticks", "stop_ticks", "trend_pull_ticks"):
        assert float(best[key]) == float(chosen[key])


def test_the_real_es_day_is_measured(
    es_mbo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["research-mm", "--data", str(es_mbo_path), "--train-seeds", "0", "--test-seeds", "0"]
    code, _, _ = _run([*argv, "--no-search", "--out", str(tmp_path)], capsys)
    assert code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    real = summary["summary"]["real"]["MES"]
    assert (
        0.9 < real["hours"] < 1.0
    )  # 23:00-24:00 UTC after the reopen; the hour before is pre-open
    assert real["maker_fills"] > 0 and real["quotes"] >= real["maker_fills"]
    assert any("one session" in note for note in summary["caveats"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--data", "/nonexistent/x.dbn.zst"], "no such file"),
        (["--train-seeds", "0"], "--no-search"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(["research-mm", "--test-seeds", "0", *extra], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_file_that_is_not_mbo_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bars = tmp_path / "bars.csv"
    bars.write_text("ts_event,open,high,low,close,volume\n2024-03-04T14:30:00Z,1,1,1,1,1\n")
    code, _, err = _run(
        ["research-mm", "--data", str(bars), "--test-seeds", "0", "--no-search"], capsys
    )
    assert code == 2 and "needs Databento MBO" in err and len(err.strip().splitlines()) == 1


def test_minutes_out_of_range_is_an_argument_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["research-mm", "--minutes", "999"])
    assert exit_info.value.code == 2
    assert "at most 405" in capsys.readouterr().err
