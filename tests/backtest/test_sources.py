"""Each data source, on small constructed files and on the real files (skipped without them):
events in time order, nothing early, the right prices in ticks."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.backtest.data import detect_kind, read_bar_csv, read_lean
from bot.book.l2 import PriceBook
from bot.instruments.specs import instrument_table
from bot.marketdata.errors import MarketDataError
from bot.model.commands import Command
from bot.model.events import (
    BarEvent,
    BookDelta,
    Event,
    OrderAccepted,
    OrderFilled,
    TradeEvent,
)
from bot.model.orders import OrderType
from bot.model.side import Side
from bot.model.units import to_datetime
from tests.backtest.conftest import Runner, minute
from tests.backtest.fakes import FakeKernel

MES = instrument_table()["MES"]
SPY_HOUR = "spy/spy_hour_1998_2021.zip"
ES_MBP1 = "cme/esu4-futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst"
ROWS = [
    (minute(0), 100.0, 101.0, 99.0, 100.5, 10),
    (minute(1), 101.0, 102.0, 100.0, 101.5, 10),
    (minute(3), 101.0, 101.5, 99.5, 100.0, 10),  # a missing minute: the spacing is still 60 s
]


def in_time_order(kernel: FakeKernel) -> bool:
    stamps = [e.ts_ns for e in kernel.events]
    return stamps == sorted(stamps)


def once(make: Callable[[FakeKernel], Command]) -> Callable[[FakeKernel, Event], list[Command]]:
    def script(kernel: FakeKernel, event: Event) -> list[Command]:
        if "sent" in kernel.flags or isinstance(event, OrderAccepted | OrderFilled):
            return []
        kernel.flags.add("sent")
        return [make(kernel)]

    return script


# ---------------------------------------------------------------------- bar CSV


def test_bar_csv_infers_the_bar_length_and_sends_quotes_first(
    run_files: Runner, bars_file: Callable[..., Path]
) -> None:
    rows = [(*r, r[4] - 0.25, r[4] + 0.25) for r in ROWS]
    kernel = run_files([bars_file(rows, quotes=True)])
    kinds = [type(e) for e in kernel.events]
    assert kinds == [BookDelta, BarEvent] * 3
    bars = [e.bar for e in kernel.of_type(BarEvent)]
    assert [b.end_ns - b.start_ns for b in bars] == [60_000_000_000] * 3
    assert (bars[0].open, bars[0].high, bars[0].low, bars[0].close) == (400, 404, 396, 402)
    book = kernel.books()[0]
    assert book.snapshot and [(lv.side_index, lv.price_ticks) for lv in book.levels] == [
        (0, 401),
        (1, 403),
    ]


def test_bar_seconds_overrides_the_spacing(bars_file: Callable[..., Path]) -> None:
    bar_ns, bars = read_bar_csv(bars_file(ROWS), MES, 30_000_000_000)
    assert bar_ns == 30_000_000_000
    assert [b.end_ns - b.start_ns for b, _ in bars] == [30_000_000_000] * 3


def test_from_and_to_select_trading_days(run_files: Runner, tmp_path: Path) -> None:
    path = tmp_path / "days.csv"
    lines = ["ts_event,open,high,low,close,volume"]
    for day in (4, 5, 6):  # 2024-03-04..06, 15:00 UTC = 09:00 Chicago
        lines.append(f"2024-03-0{day}T15:00:00+00:00,100,101,99,100,1")
    path.write_text("\n".join(lines) + "\n")
    kernel = run_files([path], from_day=date(2024, 3, 5), to_day=date(2024, 3, 5))
    (bar,) = kernel.of_type(BarEvent)
    assert isinstance(bar, BarEvent) and bar.bar.start_ns == 1709650800000000000


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("2024-03-04T14:00:00Z,100,101,99,100.5,10\n2024-03-04T14:01:00Z,1O1,102,100,101,1\n", 3,
         "open"),
        ("2024-03-04T14:01:00Z,100,101,99,100.5,10\n2024-03-04T14:00:00Z,100,101,99,100,1\n", 3,
         "unsorted"),
        ("2024-03-04T14:00:00Z,100,101,99,100.5,10\n2024-03-04T14:00:00Z,100,101,99,100,1\n", 3,
         "duplicate"),
        ("2024-03-04T14:00:00,100,101,99,100.5,10\n", 2, "offset"),
        ("2024-03-04T14:00:00Z,100,99,101,100.5,10\n", 2, "out of order"),
        ("2024-03-04T14:00:00Z,100,101,99,100.5\n", 2, "fields"),
        ("2024-03-04T14:00:00Z,100,101,99,100.5,-1\n", 2, "negative"),
    ],
)  # fmt: skip
def test_bad_rows_name_file_and_line(tmp_path: Path, body: str, line: int, words: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ts_event,open,high,low,close,volume\n" + body)
    with pytest.raises(MarketDataError, match=rf"bad\.csv:{line}: .*{words}"):
        list(read_bar_csv(path, MES, 60_000_000_000)[1])


def test_overlapping_bars_and_a_lone_bar(tmp_path: Path, bars_file: Callable[..., Path]) -> None:
    with pytest.raises(MarketDataError, match="before the previous bar ends"):
        list(read_bar_csv(bars_file(ROWS), MES, 120_000_000_000)[1])
    with pytest.raises(MarketDataError, match="bar-seconds"):
        read_bar_csv(bars_file(ROWS[:1], name="one.csv"), MES)


def test_detect_kind(tmp_path: Path, bars_file: Callable[..., Path]) -> None:
    assert detect_kind(bars_file(ROWS)) == "bar-csv"
    other = tmp_path / "x.txt"
    other.write_text("hello\n")
    with pytest.raises(MarketDataError, match="not a known data file"):
        detect_kind(other)
    with pytest.raises(MarketDataError, match="no such file"):
        detect_kind(tmp_path / "missing.csv")


# ---------------------------------------------------------------------- LEAN


def lean_zip(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "spy.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("spy.csv", "\n".join(lines) + "\n")
    return path


def test_lean_proxy_prices_and_eastern_times(run_files: Runner, tmp_path: Path) -> None:
    path = lean_zip(tmp_path, ["19980102 09:00,973100,975300,970300,970300,384500",
                               "19980102 10:00,970200,971300,965300,970500,585900",
                               "19980706 10:00,970200,971300,965300,970500,585900"])  # fmt: skip
    kernel = run_files([path])
    bars = [e.bar for e in kernel.of_type(BarEvent)]
    assert bars[0].open == 3892 and bars[0].high == 3901  # 97.31 x 10 = 973.10 -> 973.00
    assert bars[0].start_ns == 883749600000000000  # 1998-01-02 14:00 UTC (EST)
    assert bars[2].start_ns == 899733600000000000  # 1998-07-06 14:00 UTC (EDT)
    assert bars[0].end_ns - bars[0].start_ns == 3_600_000_000_000


def test_lean_bad_line(tmp_path: Path) -> None:
    path = lean_zip(tmp_path, ["19980102 09:00,973100,975300,970300,970300,384500",
                               "19980102 10:00,970200,971300"])  # fmt: skip
    with pytest.raises(MarketDataError, match=r"spy\.csv:2: expected 6"):
        list(read_lean(path, MES, 3_600_000_000_000)[1])


def test_real_spy_hourly(market_file: Callable[[str], Path], run_files: Runner) -> None:
    kernel = run_files([market_file(SPY_HOUR)], once(lambda k: k.order(Side.BUY)))
    bars = kernel.of_type(BarEvent)
    assert len(bars) >= 40_831 and in_time_order(kernel)
    (filled,) = kernel.of_type(OrderFilled)
    assert (
        isinstance(filled, OrderFilled) and filled.fill.price_ticks == 3881
    )  # 97.02 x 10 x 4 = 3880.8
    backtest = kernel.backtest
    assert backtest.stats.records == len(bars)


# ---------------------------------------------------------------------- Databento


def test_real_mbo_replay_through_the_simulator(es_mbo_path: Path, run_files: Runner) -> None:
    kernel = run_files([es_mbo_path], once(lambda k: k.order(Side.BUY)))
    first = kernel.events[0]
    assert isinstance(first, BookDelta) and first.snapshot and len(first.levels) > 20
    assert in_time_order(kernel)
    trades = kernel.of_type(TradeEvent)
    assert len(trades) > 1000
    (filled,) = kernel.of_type(OrderFilled)
    assert isinstance(filled, OrderFilled) and filled.fill.liquidity == "taker"
    assert kernel.backtest.stats.records == 60_067


def test_real_mbo_passive_order_waits_for_its_queue(es_mbo_path: Path, run_files: Runner) -> None:
    """A bid joined at the touch (behind the lots already there) fills as a maker, at its price,
    later, and only once real prints have reached its price."""
    state: dict[str, int] = {"trades": 0}
    book = PriceBook()

    def join_bid(kernel: FakeKernel, event: Event) -> list[Command]:
        if isinstance(event, BookDelta):
            if event.snapshot:
                book.clear()
            for lv in event.levels:
                book.set_level(lv.side_index, lv.price_ticks, lv.size)
        state["trades"] += isinstance(event, TradeEvent)
        if "price" in state or state["trades"] < 200 or not isinstance(event, BookDelta):
            return []
        state["price"], state["sent"] = book.best_price(0) or 0, kernel.clock.now_ns()
        return [kernel.order(Side.BUY, 1, OrderType.LIMIT, state["price"])]

    kernel = run_files([es_mbo_path], join_bid)
    filled = kernel.of_type(OrderFilled)[0]
    assert isinstance(filled, OrderFilled)
    assert filled.fill.liquidity == "maker" and filled.fill.price_ticks == state["price"]
    assert filled.fill.ts_ns > state["sent"]
    reached = [
        e for e in kernel.of_type(TradeEvent)
        if state["sent"] < e.ts_ns <= filled.ts_ns and e.trade.price_ticks <= state["price"]
    ]  # fmt: skip
    assert reached


def test_real_mbp1_top_of_book(market_file: Callable[[str], Path], run_files: Runner) -> None:
    kernel = run_files([market_file(ES_MBP1)], once(lambda k: k.order(Side.SELL)))
    assert in_time_order(kernel)
    books = kernel.books()
    assert books and all(b.snapshot and len(b.levels) <= 2 for b in books)
    trades = kernel.of_type(TradeEvent)
    assert trades and all(t.trade.aggressor is not None for t in trades)
    (filled,) = kernel.of_type(OrderFilled)
    assert isinstance(filled, OrderFilled)
    bid = next(lv.price_ticks for lv in books[0].levels if lv.side_index == 0)
    assert filled.fill.price_ticks == bid  # a market sell at the touch


# ---------------------------------------------------------------------- synthetic


def test_synthetic_market_is_seeded(run_files: Runner) -> None:
    def run(seed: int) -> list[Event]:
        kernel = run_files([], once(lambda k: k.order(Side.BUY)), synthetic_days=1, seed=seed)
        assert in_time_order(kernel)
        return kernel.events

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert isinstance(first[0], BookDelta) and first[0].snapshot
    assert any(isinstance(e, OrderFilled) for e in first)


def test_synthetic_days_skip_holidays_and_stop_at_to() -> None:
    from bot.backtest.market import synthetic_windows

    windows = synthetic_windows(date(2024, 3, 28), 3)  # Good Friday 2024-03-29 is closed
    assert [to_datetime(a).date() for a, _ in windows] == [
        date(2024, 3, 28),
        date(2024, 4, 1),
        date(2024, 4, 2),
    ]
    assert all(to_datetime(a).hour == 13 and to_datetime(b).hour == 20 for a, b in windows)
    assert len(synthetic_windows(date(2024, 3, 28), 5, date(2024, 4, 1))) == 2
