"""The `montecarlo` and `bench montecarlo` commands' contract, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.analysis.synthetic import mes_history, to_csv
from bot.cli.main import main

KEYS = {
    "p_target", "p_mll_breach", "median_profit", "p5_profit", "p95_profit", "mean_dll_days",
    "median_days_to_target", "mean_payouts", "paths", "days", "seed",
}  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 10-micro strategy; counted as TopstepX counts (10 micros a lot), so the scaling plan
    lets it trade at full size and the scale factors below change the outcomes."""
    monkeypatch.setenv("MICROS_PER_LOT", "10")
    path = tmp_path / "days.csv"
    path.write_text(to_csv(mes_history(rows=60)), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code, out, err = run(capsys, "montecarlo", *argv, "--json")
    assert code == 0, err
    result: dict[str, object] = json.loads(out)
    return result


def test_json_has_the_contract_keys_and_the_seed_reproduces(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_json(capsys, str(history), "--paths", "3000", "--seed", "17")
    assert set(first) >= KEYS
    assert (first["paths"], first["days"], first["seed"]) == (3000, 147, 17)
    assert 0 <= float(first["p_target"]) <= 1  # type: ignore[arg-type]
    assert run_json(capsys, str(history), "--paths", "3000", "--seed", "17") == first
    assert run_json(capsys, str(history), "--paths", "3000", "--seed", "18") != first


def test_without_a_seed_a_fresh_one_is_reported_and_reproduces(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_json(capsys, str(history), "--paths", "500")
    again = run_json(capsys, str(history), "--paths", "500", "--seed", str(first["seed"]))
    assert again == first


def test_payouts_none_takes_no_payouts(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    standard = run_json(capsys, str(history), "--paths", "2000", "--seed", "1")
    none = run_json(capsys, str(history), "--paths", "2000", "--seed", "1", "--payouts", "none")
    assert float(standard["mean_payouts"]) > 0 and none["mean_payouts"] == 0  # type: ignore[arg-type]
    assert none["payout_min_balance"] is None


def test_scales_report_each_factor_and_a_recommendation(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_json(capsys, str(history), "--paths", "4000", "--seed", "2", "--scale", "2,0.25,1")
    scales = result["scales"]
    assert isinstance(scales, list) and [s["scale"] for s in scales] == [0.25, 1.0, 2.0]
    breach = [s["p_mll_breach"] for s in scales]
    assert breach == sorted(breach) and breach[-1] > 0.02  # bigger size, more breaches
    ok = [s["scale"] for s in scales if s["p_mll_breach"] <= 0.02]
    assert result["recommended_scale"] == (max(ok) if ok else None)


def test_scaling_plan_caps_the_size_by_micros_per_lot(
    history: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 8 item 3 and "also": on the FIX route a micro is a lot, so the XFA's 2-lot start
    tier cuts a 10-micro day to 2/10 of it; half or full size makes no difference until the
    balance passes a tier.  Counted 10 to a lot (TopstepX), the sizes differ."""
    args = (str(history), "--paths", "2000", "--seed", "5", "--scale", "0.5,1")
    topstepx = run_json(capsys, *args)["scales"]
    assert isinstance(topstepx, list) and topstepx[0] != topstepx[1]
    monkeypatch.setenv("MICROS_PER_LOT", "1")
    fix_route = run_json(capsys, *args)["scales"]
    assert isinstance(fix_route, list)
    half, full = ({k: v for k, v in s.items() if k != "scale"} for s in fix_route)
    assert half == full
    assert float(fix_route[1]["p_mll_breach"]) < float(topstepx[1]["p_mll_breach"])


def test_config_limits_apply(
    history: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = run_json(capsys, str(history), "--paths", "2000", "--seed", "3")
    monkeypatch.setenv("DAILY_LOSS_LIMIT", "300")
    monkeypatch.setenv("DLL_SAFETY_THRESHOLD", "250")
    tight = run_json(capsys, str(history), "--paths", "2000", "--seed", "3")
    assert float(tight["mean_dll_days"]) > float(base["mean_dll_days"]) + 5  # type: ignore[arg-type]


def test_out_writes_summary_and_charts(
    history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    printed = run_json(capsys, str(history), "--paths", "2000", "--seed", "4", "--out", str(out))
    assert json.loads((out / "summary.json").read_text()) == printed
    for name in ("balance_fan.png", "profit_distribution.png"):
        assert (out / name).read_bytes()[:8] == PNG
    run_json(capsys, str(history), "--paths", "500", "--scale", "0.5,1", "--out", str(out))
    for name in ("sizing.png", "balance_fan_x0.5.png", "profit_distribution_x1.png"):
        assert (out / name).read_bytes()[:8] == PNG


def test_text_report(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "montecarlo", str(history), "--paths", "500", "--scale", "0.5,1")
    assert code == 0
    assert "P(target)" in out and "largest scale with P(breach) <= 2%" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--days", "0"], "--days must be between"),
        (["--days", "x"], "--days must be a whole number"),
        (["--paths", "-5"], "--paths must be between"),
        (["--target", "-1"], "--target must be a positive number"),
        (["--target", "1.001"], "whole cents"),
        (["--payouts", "some"], "--payouts must be none or standard"),
        (["--bootstrap", "block:0"], "block length must be between"),
        (["--bootstrap", "block:x"], "block length must be a whole number"),
        (["--bootstrap", "blocks"], "--bootstrap must be iid or block:N"),
        (["--bootstrap", "block:61"], "longer than the 60 days"),
        (["--scale", "0.5,0"], "--scale factor must be a positive number"),
        (["--scale", "a"], "--scale factor must be a number"),
        (["--scale", ","], "--scale needs at least one factor"),
        (["--seed", "-1"], "--seed must be between"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    history: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "montecarlo", str(history), "--paths", "10", *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_short_and_malformed_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = tmp_path / "short.csv"
    short.write_text(to_csv(mes_history(rows=19)), encoding="utf-8")
    code, _, err = run(capsys, "montecarlo", str(short))
    assert code == 2 and "19 day(s)" in err and "at least 20" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("day,net_pnl,low_pnl\n2026-01-05,abc,0\n", encoding="utf-8")
    code, _, err = run(capsys, "montecarlo", str(bad))
    assert code == 2 and f"{bad}:2" in err
    code, _, err = run(capsys, "montecarlo", str(tmp_path / "missing.csv"))
    assert code == 2 and "no such file" in err


def test_bench_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bench", "montecarlo", "--paths", "2000", "--repeat", "1")
    result = json.loads(out)
    assert code == 0 and result["paths"] == 2000 and result["paths_per_s"] > 0
    assert result["max_rss_mb"] > 0


def test_combine_has_no_payouts(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, str(history), "--paths", "500", "--account", "combine-50k")
    assert result["account"] == "combine-50k" and result["payouts"] == "none"
    assert result["mean_payouts"] == 0


def test_huge_pnl_is_refused_before_it_could_overflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.csv"
    rows = [f"2026-01-{d:02d},999999999999,-1," for d in range(1, 21)]
    path.write_text("day,net_pnl,low_pnl,payout\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "montecarlo", str(path), "--paths", "10", "--scale", "1000")
    assert code == 2 and "too large" in err


def test_out_that_is_a_file_exits_2(
    history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("", encoding="utf-8")
    code, out, err = run(capsys, "montecarlo", str(history), "--paths", "10", "--out", str(blocker))
    assert code == 2 and out == "" and "cannot create the directory" in err
