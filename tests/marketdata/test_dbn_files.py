"""DBN reading on the real CME files: schemas, definitions, MBP-1 top of book against trades."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import databento_dbn as dbn
import pytest
import zstandard

from bot.book.codes import ADD, ASK, BID, F_SNAPSHOT, TRADE
from bot.book.mbo import MboBook, Phase
from bot.book.mbp import Mbp1Book
from bot.marketdata.dbn import DbnReader
from bot.marketdata.errors import MarketDataError
from bot.marketdata.records import (
    definitions,
    mbo_records,
    mbp1_records,
    tick_nanos,
    trade_records,
)
from bot.marketdata.replay import decode_mbo_file, replay_mbo_file
from bot.marketdata.symbols import root_of, tick_size_for

CME = "cme/"
ESU4_MBP1 = CME + "esu4-futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst"
ESU4_TRADES = CME + "esu4-futures_trades_2024-07-01T23-58_2024-07-02T00-02.dbn.zst"
ESU4_DEF = CME + "esu4-futures_definition.dbn.zst"
ESM4_MBO = CME + "esm4-orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst"
ESM4_DEF = CME + "esm4-orderbooks_definition.dbn.zst"
TICK = tick_nanos(Decimal("0.25"))

MarketFile = Callable[[str], Path]


def test_mbp1_tape_equals_the_trades_file_and_top_is_never_crossed_after_open(
    market_file: MarketFile,
) -> None:
    mbp = DbnReader(market_file(ESU4_MBP1))
    mbp.require_schema("mbp-1")
    rows = mbp1_records(mbp, TICK)
    trades = DbnReader(market_file(ESU4_TRADES))
    trades.require_schema("trades")
    prints = trade_records(trades, TICK)
    assert len(rows) == 2_288 and len(prints) == 120

    feed = Mbp1Book()
    feed.replay(rows)
    tape = feed.tape.recent(1_000)
    assert [(t.ts, t.price, t.size, t.aggressor) for t in tape] == prints
    assert feed.tape.volume == sum(p[2] for p in prints) == 253
    assert feed.phase is Phase.CONTINUOUS and feed.valid and feed.anomalies == {}
    last = rows[-1]
    assert feed.book.top() == (last[6], last[7], last[9], last[10])
    assert feed.book.depth(BID, 5) == [(last[6], last[7], last[8])]
    assert 22_000 <= feed.book.best_price(ASK) <= 22_200  # ~5,530 points in ticks


def test_definitions_give_tick_size_and_match_the_mbo_instrument(market_file: MarketFile) -> None:
    (esm4,) = definitions(DbnReader(market_file(ESM4_DEF)))
    assert esm4.raw_symbol == "ESM4" and esm4.tick_size == Decimal("0.25")
    books = replay_mbo_file(market_file(ESM4_MBO)).books
    assert list(books) == [esm4.instrument_id]
    by_symbol = {d.raw_symbol: d for d in definitions(DbnReader(market_file(ESU4_DEF)))}
    assert by_symbol["ESU4"].instrument_id == 118 and by_symbol["NQU4"].tick_size == Decimal("0.25")


def test_snapshot_after_clear_rebuilds_a_valid_book(market_file: MarketFile) -> None:
    (rows,) = decode_mbo_file(market_file(ESM4_MBO)).values()
    assert rows[0][5] & F_SNAPSHOT and rows[0][0] != ADD  # the file opens with R in a snapshot
    (feed,) = replay_mbo_file(market_file(ESM4_MBO)).books.values()
    assert feed.valid and feed.anomalies == {} and feed.records == 13_796
    assert feed.bid_px is not None and feed.ask_px is not None and feed.bid_px < feed.ask_px
    assert sum(1 for r in rows if r[0] == TRADE) == feed.tape.count == 5


def test_streamed_replay_equals_whole_file_replay(market_file: MarketFile) -> None:
    """Reading in small chunks (many decoder batches) must not change a single level."""
    path = market_file(ESM4_MBO)
    reader = DbnReader(path, chunk_size=4_096)
    batches = list(reader.batches())
    assert len(batches) > 3
    # Memory stays flat: however much one read expands, a decode batch stays small.
    assert max(len(b) for b in DbnReader(path).batches()) <= 5_000
    whole = mbo_records(DbnReader(path), TICK)
    streamed = mbo_records((r for b in batches for r in b), TICK)
    assert whole == streamed
    (rows,) = whole.values()
    one_go, in_batches = MboBook(), MboBook()
    one_go.replay(rows)
    for batch in batches:
        for part in mbo_records(batch, TICK).values():
            in_batches.replay(part)
    for side in (BID, ASK):
        assert one_go.book.depth(side, 1_000) == in_batches.book.depth(side, 1_000)
    assert one_go.last_ts_recv == in_batches.last_ts_recv and in_batches.valid


def test_multi_frame_zstd_and_raw_dbn_read_the_same(
    market_file: MarketFile, tmp_path: Path
) -> None:
    raw = zstandard.ZstdDecompressor().stream_reader(market_file(ESM4_MBO).read_bytes()).read()
    cctx = zstandard.ZstdCompressor()
    two_frames = tmp_path / "two.dbn.zst"
    two_frames.write_bytes(cctx.compress(raw[:100_003]) + cctx.compress(raw[100_003:]))
    plain = tmp_path / "plain.dbn"
    plain.write_bytes(raw)
    a = mbo_records(DbnReader(two_frames, chunk_size=10_000), TICK)
    b = mbo_records(DbnReader(plain), TICK)
    assert a == b and sum(len(v) for v in a.values()) == 13_796


def test_off_grid_prices_and_wrong_schema_are_errors(market_file: MarketFile) -> None:
    with pytest.raises(MarketDataError, match="tick grid"):
        mbo_records(DbnReader(market_file(ESM4_MBO)), tick_nanos(Decimal("0.5")))
    with pytest.raises(MarketDataError, match="schema is definition, need mbo"):
        DbnReader(market_file(ESM4_DEF)).require_schema("mbo")
    with pytest.raises(MarketDataError, match="positive multiple"):
        tick_nanos(Decimal("1e-10"))


def test_other_record_types_are_skipped() -> None:
    assert mbo_records([object(), "x"], TICK) == {}
    assert mbp1_records([dbn.Metadata], TICK) == []


@pytest.mark.parametrize(
    ("symbol", "root", "tick"),
    [
        ("ESH4", "ES", Decimal("0.25")),
        ("MESZ26", "MES", Decimal("0.25")),
        ("RTYM5", "RTY", Decimal("0.10")),
        ("CLF25", "CL", Decimal("0.01")),
        ("ESH4-ESM4", None, None),
        ("ZZZH4", "ZZZ", None),
    ],
)
def test_tick_size_from_symbol(symbol: str, root: str | None, tick: Decimal | None) -> None:
    assert root_of(symbol) == root
    assert tick_size_for(symbol) == tick
