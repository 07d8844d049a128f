"""`topstep-quant research ...` through the real entry point: bad input is one line and exit 2;
the account and hedge studies read a walk-forward directory and are deterministic."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.research.grid import GRIDS


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(status: int, err: str, *words: str) -> None:
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], (word, lines[0])


def write_daily(path: Path, first: date, nets: list[float]) -> None:
    lines = ["day,net_pnl,low_pnl,max_contracts,sleeve_mr,sleeve_tf,sleeve_hedge"]
    day = first
    for i, net in enumerate(nets):
        while day.weekday() >= 5:
            day += timedelta(days=1)
        low = min(0.0, net)
        mr, tf = net / 2 + (i % 3), net / 2 - (i % 3)
        lines.append(f"{day},{net:.2f},{low:.2f},1,{mr:.2f},{tf:.2f},0.00")
        day += timedelta(days=1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def walkforward_dir(tmp_path: Path, nets: list[float], first: date = date(2020, 1, 2)) -> Path:
    folder = tmp_path / "wf"
    folder.mkdir()
    write_daily(folder / "oos_daily.csv", first, nets)
    write_daily(folder / "oos_daily_no_hedge.csv", first, [n - 5 for n in nets])
    chosen = {
        g.name: {
            "kind": g.kind,
            "allocation": g.allocation.model_dump(),
            "latest": {"params": g.candidates[0].model_dump()},
        }
        for g in GRIDS
    }
    (folder / "chosen.json").write_text(json.dumps(chosen), encoding="utf-8")
    return folder


def test_walkforward_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(["research", "walkforward", "--data", str(tmp_path / "none.zip")], capsys)
    one_line_error(status, err, "none.zip")
    lean = tmp_path / "two_days.zip"  # a real LEAN zip, but one year: no fold fits
    rows = [
        f"2019010{d} {h:02d}:00,3000000,3001000,2999000,3000500,100"
        for d in (2, 3)
        for h in range(9, 16)
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("spy.csv", "\n".join(rows) + "\n")
    lean.write_bytes(buffer.getvalue())
    status, _, err = run(["research", "walkforward", "--data", str(lean)], capsys)
    one_line_error(status, err, "no fold")
    with pytest.raises(SystemExit) as stopped:  # argparse's own one-line error
        main(["research", "walkforward", "--years", "2020-2019"])
    assert stopped.value.code == 2
    assert "first <= last" in capsys.readouterr().err


def test_account_and_hedge_need_a_walkforward_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for study in ("account", "hedge"):
        status, _, err = run(["research", study, "--walkforward", str(tmp_path / "x")], capsys)
        one_line_error(status, err, "oos_daily.csv")
    folder = walkforward_dir(tmp_path, [10.0] * 30)
    argv = ["research", "account", "--walkforward", str(folder), "--bootstrap", "block:99"]
    status, _, err = run(argv, capsys)
    one_line_error(status, err, "block:99")
    status, _, err = run([*argv[:4], "--scale", "0,x"], capsys)
    one_line_error(status, err, "--scale")
    (folder / "chosen.json").write_text("{not json", encoding="utf-8")
    status, _, err = run(["research", "hedge", "--walkforward", str(folder)], capsys)
    one_line_error(status, err, "chosen.json")


def test_a_steady_earner_reaches_the_target_and_a_bleeder_never_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """$60 a day every day reaches $7,600 within 147 days on every path; $-5 a day never."""
    good = walkforward_dir(tmp_path, [60.0] * 40)
    argv = [
        "research",
        "account",
        "--walkforward",
        str(good),
        "--paths",
        "500",
        "--json",
        "--scale",
        "1",
    ]
    status, out, _ = run(argv, capsys)
    assert status == 0
    document = json.loads(out)
    (row,) = document["factors"]
    assert row["p_target"] == 1.0 and row["p_breach"] == 0.0
    assert document["correlation"]["sleeves"] == ["mr", "tf", "hedge"]
    status, again, _ = run(argv, capsys)
    assert again == out  # deterministic
    bad = tmp_path / "bad"
    bad.mkdir()
    bleeder = walkforward_dir(bad, [-5.0] * 40)
    status, out, _ = run(
        ["research", "account", "--walkforward", str(bleeder), "--paths", "300", "--json"], capsys
    )
    rows = json.loads(out)["factors"]
    assert status == 0 and all(r["p_target"] == 0.0 and r["median_profit"] < 0 for r in rows)


def test_hedge_reports_the_crisis_windows_and_synthetic_shocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = walkforward_dir(tmp_path, [10.0, -30.0, 5.0] * 30)
    out_dir = tmp_path / "out"
    argv = [
        "research",
        "hedge",
        "--walkforward",
        str(folder),
        "--shocks",
        "1",
        "--json",
        "--out",
        str(out_dir),
    ]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    document = json.loads(out)
    (covid,) = document["crises_out_of_sample"]
    assert covid["window"].startswith("2020")
    # the no-hedge file is $5 a day worse by construction
    assert covid["with_hedge"]["net_pnl"] - covid["without_hedge"]["net_pnl"] == pytest.approx(
        5 * covid["with_hedge"]["days"]
    )
    (shock,) = document["synthetic"]["runs"]
    assert shock["with_hedge"]["days"] > 0
    assert (out_dir / "hedge.json").is_file() and (out_dir / "hedge.png").is_file()
