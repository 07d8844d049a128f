"""LEAN bar zips: the real SPY history, and damaged files reported by file and line."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.marketdata.errors import MarketDataError
from bot.marketdata.lean import EASTERN, LeanBar, read_lean_bars


def make_zip(tmp_path: Path, lines: list[str], name: str = "spy.csv") -> Path:
    path = tmp_path / "bars.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, "\n".join(lines) + "\n")
    return path


def test_real_spy_hourly_history(market_file: Callable[[str], Path]) -> None:
    bars = list(read_lean_bars(market_file("spy/spy_hour_1998_2021.zip")))
    assert len(bars) == 40_832
    first, last = bars[0], bars[-1]
    assert first == LeanBar(
        datetime(1998, 1, 2, 9, 0, tzinfo=EASTERN), 973100, 975300, 970300, 970300, 384500
    )
    assert last.time == datetime(2021, 3, 31, 15, 0, tzinfo=EASTERN)
    assert LeanBar.price(last.close) == Decimal("396.33")
    # 2008: SPY fell below $70 intraday in November; the reader must keep the real lows.
    lows_2008 = [b.low for b in bars if b.time.year == 2008]
    assert LeanBar.price(min(lows_2008)) < 75
    days = {b.time.date() for b in bars}
    assert 5_800 <= len(days) <= 5_900


def test_real_spy_daily(market_file: Callable[[str], Path]) -> None:
    bars = list(read_lean_bars(market_file("spy/spy_daily_1998_2021.zip")))
    assert len(bars) == 5_849 and bars[0].time.hour == 0
    assert all(b.low <= b.close <= b.high for b in bars)


def test_good_synthetic_file_and_zone(tmp_path: Path) -> None:
    path = make_zip(tmp_path, ["20200309 09:30,2850000,2860000,2740000,2750000,1000"])
    (bar,) = read_lean_bars(path)
    assert bar.time.utcoffset() is not None and bar.time.hour == 9
    assert bar.time.astimezone(EASTERN).isoformat() == "2020-03-09T09:30:00-04:00"  # after DST
    assert LeanBar.price(bar.low) == Decimal("274")


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["20200309 09:30,1,2,1,2"], ":1: expected 6"),
        (["20200309 09:30,1,2,1,2,5", "2020-03-09 10:30,1,2,1,2,5"], ":2: time data"),
        (["20200309 09:30,1,2,1,2,x"], "invalid literal"),
        (["20200309 09:30,5,4,1,2,5"], "prices out of order"),
        (["20200309 10:30,1,2,1,2,5", "20200309 09:30,1,2,1,2,5"], ":2: bar time goes backwards"),
    ],
)
def test_bad_lines_name_the_line(tmp_path: Path, lines: list[str], message: str) -> None:
    path = make_zip(tmp_path, lines)
    with pytest.raises(MarketDataError, match=message):
        list(read_lean_bars(path))


def test_not_a_zip_and_wrong_contents(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK? no")
    with pytest.raises(MarketDataError, match="not a readable zip"):
        list(read_lean_bars(junk))
    with pytest.raises(MarketDataError, match="expected one CSV"):
        list(read_lean_bars(make_zip(tmp_path, ["x"], name="readme.txt")))
    with pytest.raises(MarketDataError, match="not a readable zip"):
        list(read_lean_bars(tmp_path / "missing.zip"))
