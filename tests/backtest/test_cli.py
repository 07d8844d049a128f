"""`topstep-quant backtest` through the real entry point: bad input is one line and exit 2,
and the same inputs, config and seed give byte-identical files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.backtest.conftest import write_bars

SPY_HOUR = "spy/spy_hour_1998_2021.zip"


def day_rows(
    days: tuple[int, ...] = (4, 5, 6)
) -> list[tuple[str, float, float, float, float, int]]:
    """Five-minute bars, 08:30-15:10 Chicago (14:30-21:10 UTC), a gentle zigzag."""
    rows = []
    price = 5000.0
    for day in days:
        for i in range(80):
            minutes = 14 * 60 + 30 + 5 * i
            stamp = f"2024-03-0{day}T{minutes // 60:02d}:{minutes % 60:02d}:00Z"
            step = 1.25 if (i // 6) % 2 else -1.0
            o, c = price, price + step
            rows.append((stamp, o, max(o, c) + 0.5, min(o, c) - 0.5, c, 100 + i))
            price = c
    return rows


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status: int, err: str, *words: str) -> None:
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["backtest", "--data", str(tmp_path / "nope.csv")], capsys)
    assert_one_line_error(status, err, "nope.csv", "no such file")


def test_no_data_at_all(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["backtest"], capsys)
    assert_one_line_error(status, err, "--data")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x28\xb5\x2f\xfd" + b"\x00garbage" * 20, ("corrupt",)),
        (b"PK\x03\x04 not really a zip", ("zip",)),
        (b"\x00\x01\x02binary", ("not a known data file",)),
    ],
)
def test_corrupt_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, words: tuple[str, ...]
) -> None:
    path = tmp_path / "broken.bin"
    path.write_bytes(content)
    status, _, err = run(["backtest", "--data", str(path)], capsys)
    assert_one_line_error(status, err, "broken.bin", *words)


@pytest.mark.parametrize(
    ("second", "words"),
    [
        ("2024-03-04T14:31:00Z,5000,5001,4999,5000.x,1", (":3:", "close")),
        ("2024-03-04T14:29:00Z,5000,5001,4999,5000,1", (":3:", "unsorted")),
        ("2024-03-04T14:30:00Z,5000,5001,4999,5000,1", (":3:", "duplicate")),
    ],
)
def test_bad_rows_late_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], second: str, words: tuple[str, ...]
) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(
        "ts_event,open,high,low,close,volume\n2024-03-04T14:30:00Z,5000,5001,4999,5000,1\n"
        + second + "\n"
    )  # fmt: skip
    status, _, err = run(["backtest", "--data", str(path), "--bar-seconds", "60"], capsys)
    assert_one_line_error(status, err, "bars.csv", *words)


def test_bad_row_found_during_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = day_rows((4,))
    path = write_bars(tmp_path / "late.csv", rows)
    lines = path.read_text().splitlines()
    lines[60] = lines[60].replace(",", ";", 1)
    path.write_text("\n".join(lines) + "\n")
    status, _, err = run(["backtest", "--data", str(path)], capsys)
    assert_one_line_error(status, err, "late.csv:61:")


def test_unknown_sleeve_and_config_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(write_bars(tmp_path / "b.csv", day_rows((4,))))
    status, _, err = run(["backtest", "--data", data, "--sleeves", "mr,zz"], capsys)
    assert_one_line_error(status, err, "zz")
    config = tmp_path / "sleeves.toml"
    config.write_text("[sleeves.mr]\nkind = 'mean_reversion'\nsurprise = 1\n")
    status, _, err = run(["backtest", "--data", data, "--config", str(config)], capsys)
    assert_one_line_error(status, err, "sleeves.toml")
    status, _, err = run(["backtest", "--data", data, "--config", str(tmp_path / "x.toml")], capsys)
    assert_one_line_error(status, err, "x.toml")


def test_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(write_bars(tmp_path / "b.csv", day_rows((4,))))
    status, _, err = run(["backtest", "--data", data, "--from", "2024-03-05", "--to",
                          "2024-03-04"], capsys)  # fmt: skip
    assert_one_line_error(status, err, "--from")
    status, _, err = run(["backtest", "--data", data, "--symbol", "XYZ"], capsys)
    assert_one_line_error(status, err, "XYZ")


def test_json_summary_names_the_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_bars(tmp_path / "b.csv", day_rows())
    status, out, err = run(["backtest", "--data", str(data), "--json", "--sleeves", "mr,tf"],
                           capsys)  # fmt: skip
    assert status == 0, err
    document = json.loads(out)
    assert document["sleeves"] == ["mr", "tf"]
    assert document["days"] == 3
    (data_file,) = document["data_files"]
    assert data_file["kind"] == "bar-csv" and len(data_file["sha256"]) == 64


def outputs(out: Path) -> dict[str, bytes]:
    """Every file except timing.json (wall-clock numbers, kept apart for that reason)."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "timing.json"}


def twice(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, bytes]:
    """Run `backtest argv --out DIR` twice into two folders; the files must be identical."""
    runs = []
    for name in ("a", "b"):
        status, _, err = run(["backtest", *argv, "--out", str(tmp_path / name)], capsys)
        assert status == 0, err
        runs.append(outputs(tmp_path / name))
    assert runs[0] == runs[1]
    return runs[0]


def test_same_inputs_give_identical_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(write_bars(tmp_path / "b.csv", day_rows()))
    files = twice(["--data", data, "--seed", "5", "--latency-ms", "2"], tmp_path, capsys)
    assert {"daily_pnl.csv", "fills.csv", "summary.json", "report.html"} <= set(files)


def test_real_spy_quarter_is_deterministic_and_labelled(
    market_file: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spy = str(market_file(SPY_HOUR))
    argv = ["--data", spy, "--from", "2020-02-01", "--to", "2020-04-30", "--no-monte-carlo"]
    runs = [twice(argv, tmp_path, capsys)]
    summary = json.loads(runs[0]["summary.json"])
    assert summary["proxy_labels"] == ["SPY x 10 as an MES proxy"]
    assert summary["data_files"][0]["kind"] == "lean"


def test_bench_backtest_bars_prints_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(write_bars(tmp_path / "b.csv", day_rows()))
    status, out, err = run(["bench", "backtest", "--bars", data, "--passes", "1"], capsys)
    assert status == 0, err
    document = json.loads(out)
    assert document["bars"] == 240 and document["bars_per_s"] > 0
    assert document["peak_rss_mb"] > 0 and document["sleeves"] == ["mr", "tf", "hedge"]


@pytest.mark.slow
def test_bench_backtest_mbo_next_to_bench_book(
    es_mbo_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["bench", "backtest", "--mbo", str(es_mbo_path), "--passes", "1"],
                           capsys)  # fmt: skip
    assert status == 0, err
    document = json.loads(out)
    assert document["records"] == 60_067
    assert document["book_msgs_per_s"] > 0 and document["ratio_to_book"] > 0


def test_days_without_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(write_bars(tmp_path / "b.csv", day_rows((4,))))
    status, _, err = run(["backtest", "--data", data, "--from", "2025-01-02"], capsys)
    assert_one_line_error(status, err, "no data")


@pytest.mark.slow
def test_synthetic_market_run_is_deterministic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """All four sleeves on the simulator's seeded market, through the real kernel, twice."""
    argv = ["--synthetic-days", "1", "--seed", "4", "--latency-ms", "1", "--no-monte-carlo"]
    runs = [twice(argv, tmp_path, capsys)]
    summary = json.loads(runs[0]["summary.json"])
    assert summary["data_files"][0]["kind"] == "synthetic" and summary["seed"] == 4
