"""The backtest's output files: statistics checked by hand, the CSVs through the real readers,
byte identity of two writes, the proxy label and the report's charts."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.backtest.output import daily_csv, fills_csv, iso_utc, money, summary, write_outputs
from bot.backtest.results import BacktestResult, DataFile, DayResult, FillRow
from bot.backtest.stats import (
    correlation,
    instrument_for,
    max_drawdown_cents,
    max_intraday_drawdown_cents,
    sharpe,
    trade_stats,
)
from bot.cli.main import main

TS = 1_773_325_800_123_456_789  # 2026-03-12T14:30:00.123456789Z
MES, MNQ = 125, 50  # tick values in cents


def day(n: int, a: int, b: int, low: int | None = None, **flags: bool) -> DayResult:
    """Day n of March 2026 with sleeve P&L a and b (dollars); c never trades."""
    net = (a + b) * 100
    return DayResult(
        day=date(2026, 3, n),
        net_cents=net,
        low_cents=min(0, net) if low is None else low * 100,
        sleeve_net_cents={"a": a * 100, "b": b * 100, "c": 0},
        max_contracts=3,
        halted=flags.get("halted", False),
        dll_hit=flags.get("dll_hit", False),
    )


def fill(k: int, sleeve: str, symbol: str, side: int, qty: int, ticks: int) -> FillRow:
    return FillRow(TS + k, sleeve, symbol, side, qty, ticks, 37 * qty, f"O{k}", "maker")


FILLS = [
    fill(1, "a", "MES", +1, 2, 16_000),  # long 2 @ 4000.00
    fill(2, "a", "MES", -1, 2, 16_004),  # out @ 4001.00: +1000 - 148 fees = +852
    fill(3, "a", "MES", -1, 1, 16_004),  # short 1 @ 4001.00
    fill(4, "a", "MES", +1, 3, 16_008),  # flip @ 4002.00: -500 - 37 - 37 = -574, long 2
    fill(5, "a", "MES", -1, 2, 16_010),  # out @ 4002.50: +500 - 74 - 74 = +352
    fill(6, "b", "MNQZ6", +1, 1, 80_001),  # long 1 @ 20000.25, still open
]


@pytest.fixture
def small() -> BacktestResult:
    return BacktestResult(
        sleeves=["a", "b", "c"],
        days=[
            day(2, 100, -50),
            day(3, -200, 100, low=-150, halted=True, dll_hit=True),
            day(4, 300, -100),
            day(5, -100, 50),
        ],
        fills=list(FILLS),
        data_files=[DataFile("spy.zip", "ab" * 32, "lean", "SPY x 10 as an MES proxy")],
        events=1234,
        elapsed_s=2.0,
        orders=7,
        refusals={"position limit": 2, "dll buffer": 1},
        risk_events={"halted": 1},
        seed=5,
    )


def long_result(days: int = 30, label: str = "") -> BacktestResult:
    """A deterministic month or more of P&L, enough for the Monte Carlo."""
    first = date(2026, 1, 5)
    rows = []
    for i in range(days):
        a = (i * 37 % 23 - 10) * 1_000 + 5  # cents, some odd
        b = (i * 11 % 7 - 3) * 2_500
        net = a + b
        low = min(0, net) - (i % 5) * 1_000
        rows.append(
            DayResult(first + timedelta(days=i), net, low, {"mm": a, "tf": b}, i % 4, i == 3, False)
        )
    files = [DataFile("x.csv", "0" * 64, "bar-csv", label)]
    fills = [replace(f, sleeve="mm") for f in FILLS[:2]]
    return BacktestResult(["mm", "tf"], rows, fills, files, 99, 1.5, seed=3)


# --- statistics, by hand -----------------------------------------------------------------------


def test_sharpe_is_the_sample_mean_over_the_sample_deviation_times_root_252() -> None:
    # a = 100, -200, 300, -100 dollars: mean 25, squared deviations sum 147,500, n - 1 = 3
    expected = 25 / math.sqrt(147_500 / 3) * math.sqrt(252)
    assert sharpe([10_000, -20_000, 30_000, -10_000]) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(1.78980, abs=1e-5)
    assert sharpe([]) == sharpe([500]) == sharpe([300, 300, 300]) == 0.0


def test_max_drawdown_runs_from_the_running_peak_including_the_start() -> None:
    assert max_drawdown_cents([10_000, -20_000, 30_000, -10_000]) == 20_000  # 100 -> -100
    assert max_drawdown_cents([-500, -500, 2_000]) == 1_000  # below the starting 0
    assert max_drawdown_cents([100, 200]) == 0
    # combined 50, -100 (low -150), 200, -50: end of day 100, intraday 50 - (50 - 150) = 150
    pairs = [(5_000, 0), (-10_000, -15_000), (20_000, 0), (-5_000, -5_000)]
    assert max_drawdown_cents(n for n, _ in pairs) == 10_000
    assert max_intraday_drawdown_cents(pairs) == 15_000


def test_correlation_is_pearson_and_undefined_without_variance() -> None:
    a, b = [100, -200, 300, -100], [-50, 100, -100, 50]
    # deviations of a: 75, -225, 275, -125; of b: -50, 100, -100, 50; cross sum -60,000
    expected = -60_000 / math.sqrt(147_500 * 25_000)
    assert correlation(a, b) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(-0.98806, abs=1e-5)
    assert correlation(a, [0, 0, 0, 0]) is None
    assert correlation([1], [2]) is None
    assert correlation(a, [2 * x + 7 for x in a]) == pytest.approx(1.0)


def test_round_trips_split_a_flip_and_its_fee_by_quantity() -> None:
    trades = trade_stats(FILLS, lambda symbol: MNQ if symbol.startswith("MNQ") else MES)
    # +4 ticks x 2 = +1,000 - 148; -4 ticks x 1 = -500 - 37 - 37 (a third of the flip's 111);
    # +2 ticks x 2 = +500 - 74 (the flip's other two thirds) - 74
    assert trades.trips_cents == (852, -574, 352)
    assert (trades.wins, trades.open_symbols, trades.fees_cents) == (2, ("MNQZ6",), 407)
    partial = [fill(1, "a", "MES", +1, 3, 100), fill(2, "a", "MES", -1, 1, 104),
               fill(3, "a", "MES", -1, 2, 96)]  # fmt: skip
    # 1 out at +4, 2 out at -4: (4 - 8) x 125 = -500, fees 37 x 6
    assert trade_stats(partial, lambda _: MES).trips_cents == (-500 - 222,)


def test_summary_per_sleeve_and_combined(small: BacktestResult) -> None:
    doc = summary(small)
    a, b, c = (doc["per_sleeve"][s] for s in "abc")
    combined = doc["combined"]
    assert a["net_pnl"] == 100.0 and b["net_pnl"] == 0.0 and combined["net_pnl"] == 100.0
    assert a["sharpe"] == pytest.approx(25 / math.sqrt(147_500 / 3) * math.sqrt(252), abs=1e-6)
    assert c["sharpe"] == 0.0
    assert (a["max_drawdown"], combined["max_drawdown"]) == (200.0, 100.0)
    assert combined["max_drawdown_intraday"] == 150.0
    assert (a["worst_day"], b["worst_day"], combined["worst_day"]) == (-200.0, -100.0, -100.0)
    # round trips of sleeve a: +852, -574, +352 cents (the flip's fee split 37/74)
    assert (a["trades"], a["win_rate"]) == (3, pytest.approx(2 / 3, abs=1e-6))
    assert a["fees"] == 3.70 and a["fills"] == 5 and a["contracts"] == 10
    assert (b["trades"], b["win_rate"], b["open_at_end"]) == (0, None, ["MNQZ6"])
    assert (combined["trades"], combined["fees"], combined["open_at_end"]) == (3, 4.07, ["MNQZ6"])
    assert (a["win_rate_days"], c["win_rate_days"]) == (0.5, None)
    assert (combined["dll_days"], combined["halted_days"]) == (1, 1)
    assert a["dll_days"] is None and a["halted_days"] is None  # account-wide events
    matrix = doc["correlation"]["matrix"]
    assert matrix[0][1] == matrix[1][0] == pytest.approx(-0.98806, abs=1e-5)
    assert matrix[0][0] == 1.0 and matrix[2] == [None, None, None]
    assert list(doc["refusals"]) == ["dll buffer", "position limit"]  # sorted, stable
    assert doc["proxy_labels"] == ["SPY x 10 as an MES proxy"]
    assert (doc["events"], doc["events_per_s"], doc["seed"]) == (1234, 617.0, 5)
    assert "events_per_s" not in summary(small, timing=False)


def test_account_replay_in_the_summary(small: BacktestResult) -> None:
    account = summary(small)["account"]
    assert account["profile"] == "xfa-50k" and account["failed_on"] is None
    assert account["final_balance"] == 100.0
    # the floor trails end-of-day balances 50, -50, 150, 100: -1,950 after day 1, -1,850 after
    # day 3; closest on day 2: low 50 - 150 = -100 against -1,950
    assert account["final_mll_floor"] == -1_850.0
    assert account["min_distance_to_floor"] == 1_850.0


# --- the CSV files -------------------------------------------------------------------------------


def test_daily_csv_columns_and_exact_dollars(small: BacktestResult) -> None:
    rows = list(csv.reader(io.StringIO(daily_csv(small))))
    assert rows[0] == ["day", "net_pnl", "low_pnl", "max_contracts", "sleeve_a", "sleeve_b",
                       "sleeve_c"]  # fmt: skip
    assert rows[2] == ["2026-03-03", "-100.00", "-150.00", "3", "-200.00", "100.00", "0.00"]
    assert all(len(row) == len(rows[0]) for row in rows)  # no row with extra fields
    assert (money(-5), money(123_456), money(0)) == ("-0.05", "1234.56", "0.00")


def test_fills_csv_prices_times_sides(small: BacktestResult) -> None:
    rows = list(csv.DictReader(io.StringIO(fills_csv(small))))
    assert list(rows[0]) == ["time", "sleeve", "symbol", "side", "qty", "price", "fee",
                             "order_id", "liquidity"]  # fmt: skip
    assert rows[0]["time"] == "2026-03-12T14:30:00.123456790Z"
    assert (rows[0]["side"], rows[1]["side"]) == ("buy", "sell")
    assert [r["price"] for r in rows] == ["4000.00", "4001.00", "4001.00", "4002.00", "4002.50",
                                          "20000.25"]  # fmt: skip
    assert rows[3]["fee"] == "1.11" and rows[3]["qty"] == "3" and rows[5]["symbol"] == "MNQZ6"
    assert iso_utc(0) == "1970-01-01T00:00:00.000000000Z"
    assert instrument_for("MESZ26").symbol == "MES"
    with pytest.raises(ValueError, match="unknown symbol"):
        instrument_for("ZZZ")


def test_a_result_the_readers_would_refuse_is_refused_here(small: BacktestResult) -> None:
    bad = DayResult(date(2026, 3, 9), -100, 50, {"a": -100}, 1, False, False)
    small.days.append(bad)
    with pytest.raises(ValueError, match="2026-03-09: low"):
        summary(small)
    small.days[-1] = DayResult(date(2026, 3, 5), 0, 0, {}, 0, False, False)
    with pytest.raises(ValueError, match="is not after"):
        summary(small)


def test_daily_csv_through_the_real_rules_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = long_result()
    write_outputs(result, tmp_path, monte_carlo=False)
    assert main(["rules", "replay", str(tmp_path / "daily_pnl.csv")]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["day"] for row in lines] == [d.day.isoformat() for d in result.days]
    balance = 0
    for row, d in zip(lines, result.days, strict=True):
        balance += d.net_cents
        assert row["balance"] == balance / 100
    assert lines[-1]["mll_floor"] == summary(result)["account"]["final_mll_floor"]


def test_daily_csv_through_the_real_montecarlo_gives_the_report_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command the report prints, run on the file it wrote, gives the report's numbers:
    the report's Monte Carlo is the project's, not a copy."""
    write_outputs(long_result(), tmp_path)
    capsys.readouterr()
    page = (tmp_path / "report.html").read_text()
    command = re.findall(r"<code>topstep-quant (montecarlo [^<]+)</code>", page)[0].split()
    assert command[1] == "daily_pnl.csv"
    command[1] = str(tmp_path / "daily_pnl.csv")
    assert main([*command, "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    ours = json.loads((tmp_path / "summary.json").read_text())["monte_carlo"]
    assert ours["note"] is None and cli["paths"] == 10_000 and cli["rows"] == 30
    assert {k: v for k, v in ours.items() if k != "note"} == cli


# --- the whole directory -------------------------------------------------------------------------


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_two_writes_are_byte_identical_except_timing(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    write_outputs(long_result(label="SPY x 10 as an MES proxy"), first)
    again = long_result(label="SPY x 10 as an MES proxy")
    again.elapsed_s = 7.25  # a slower run: only timing.json may differ
    write_outputs(again, second)
    one, two = _files(first), _files(second)
    assert set(one) == {
        "daily_pnl.csv", "fills.csv", "summary.json", "timing.json", "report.html", "equity.png",
        "account.png", "daily_pnl_hist.png", "mc_balance_fan.png", "mc_profit_distribution.png",
    }  # fmt: skip
    assert {name for name in one if one[name] != two[name]} == {"timing.json"}
    assert json.loads(two["timing.json"]) == {"elapsed_s": 7.25, "events": 99,
                                              "events_per_s": 13.7}  # fmt: skip
    summary_text = one["summary.json"].decode()
    assert "elapsed" not in summary_text and "events_per_s" not in summary_text
    assert b"Software" not in one["equity.png"] and b"Creation" not in one["equity.png"]


def test_report_names_the_proxy_first_and_references_existing_pngs(tmp_path: Path) -> None:
    write_outputs(long_result(label="SPY x 10 as an MES proxy"), tmp_path)
    page = (tmp_path / "report.html").read_text()
    body = page[page.index("<body>") :]
    assert body.index("SPY x 10 as an MES proxy") < body.index("<h1>")
    sources = re.findall(r'<img src="([^"]+)"', page)
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert sorted(sources) == pngs and len(pngs) == 5
    for name in sources:
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from elsewhere
    summary_doc = json.loads((tmp_path / "summary.json").read_text())
    assert summary_doc["proxy_labels"] == ["SPY x 10 as an MES proxy"]
    assert summary_doc["data_files"][0]["proxy_label"] == "SPY x 10 as an MES proxy"


def test_too_few_days_skip_the_monte_carlo_with_a_note(
    small: BacktestResult, tmp_path: Path
) -> None:
    write_outputs(long_result(), tmp_path)
    assert len(list(tmp_path.glob("mc_*.png"))) == 2
    write_outputs(small, tmp_path)  # the same directory again: no stale Monte Carlo charts
    mc = json.loads((tmp_path / "summary.json").read_text())["monte_carlo"]
    assert mc == {"note": "not run: 4 day(s) of P&L, the Monte Carlo needs at least 20"}
    assert not list(tmp_path.glob("mc_*.png"))
    assert "the Monte Carlo needs at least 20" in (tmp_path / "report.html").read_text()


def test_no_days_still_writes_every_text_file(tmp_path: Path) -> None:
    write_outputs(BacktestResult(sleeves=["mm"]), tmp_path)
    assert (
        tmp_path / "daily_pnl.csv"
    ).read_text() == "day,net_pnl,low_pnl,max_contracts,sleeve_mm\n"
    assert json.loads((tmp_path / "summary.json").read_text())["combined"]["sharpe"] == 0.0
    assert "No trading days" in (tmp_path / "report.html").read_text()


def test_a_failed_account_is_dated_and_charted(small: BacktestResult, tmp_path: Path) -> None:
    small.days[1] = day(3, -200, 100, low=-2_100)  # 50 - 2,100 is below the -1,950 floor
    account = summary(small)["account"]
    assert account["failed_on"] == "2026-03-03"
    assert account["final_balance"] == -2_050.0  # the replay stops on the failing day
    assert account["min_distance_to_floor"] == -100.0
    write_outputs(small, tmp_path)
    assert (tmp_path / "account.png").stat().st_size > 0
