"""The fixed-size MBO decoder (numpy, straight from the bytes) against the record-object decoder."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import zstandard

from bot.book.mbo import MboRecord
from bot.marketdata.dbn import DbnReader
from bot.marketdata.errors import MarketDataError
from bot.marketdata.records import MBO_SIZE, mbo_batches, mbo_records, tick_nanos
from bot.marketdata.replay import decode_mbo_file

CME = "cme/"
MBO_FILES = (
    "esh4-glbx-mdp3-20231225.mbo.dbn.zst",
    "esh4-glbx-mdp3-20231224.mbo.dbn.zst",
    "esm4-orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst",
)
MBP1 = "esu4-futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst"
TICK = 250_000_000

MarketFile = Callable[[str], Path]


def _fast(path: Path) -> dict[int, list[MboRecord]]:
    out: dict[int, list[MboRecord]] = {}
    for batch in mbo_batches(path, TICK):
        for iid, rows in batch.items():
            out.setdefault(iid, []).extend(rows)
    return out


def _raw(path: Path) -> bytes:
    with path.open("rb") as fh:
        return zstandard.ZstdDecompressor().stream_reader(fh).read()


def _split(data: bytes) -> tuple[bytes, bytes]:
    size = 8 + int.from_bytes(data[4:8], "little")
    return data[:size], data[size:]


@pytest.mark.parametrize("name", MBO_FILES)
def test_same_records_as_the_object_decoder(market_file: MarketFile, name: str) -> None:
    path = market_file(CME + name)
    expected = mbo_records(DbnReader(path), TICK)
    assert _fast(path) == expected
    assert decode_mbo_file(path) == expected


def test_another_record_type_hands_the_rest_to_the_object_decoder(
    market_file: MarketFile, tmp_path: Path
) -> None:
    header, mbo = _split(_raw(market_file(CME + MBO_FILES[0])))
    _, mbp = _split(_raw(market_file(CME + MBP1)))
    mbp_record = mbp[: mbp[0] * 4]  # one MBP-1 record (80 bytes), not MBO
    mixed = tmp_path / "mixed.dbn"
    mixed.write_bytes(header + mbo[: 100 * MBO_SIZE] + mbp_record + mbo[100 * MBO_SIZE :])
    expected = mbo_records(DbnReader(mixed), TICK)
    assert sum(map(len, expected.values())) == len(mbo) // MBO_SIZE
    assert _fast(mixed) == expected


def test_a_partial_record_is_a_truncated_file(market_file: MarketFile, tmp_path: Path) -> None:
    header, mbo = _split(_raw(market_file(CME + MBO_FILES[1])))
    cut = tmp_path / "cut.dbn"
    cut.write_bytes(header + mbo[: 10 * MBO_SIZE + 7])
    with pytest.raises(MarketDataError, match="truncated file \\(7 bytes of a partial record\\)"):
        _fast(cut)


def test_an_off_grid_price_is_the_same_error(market_file: MarketFile) -> None:
    path = market_file(CME + MBO_FILES[1])
    wrong = tick_nanos(Decimal("0.5"))
    with pytest.raises(MarketDataError, match="tick grid") as fast:
        list(mbo_batches(path, wrong))
    with pytest.raises(MarketDataError, match="tick grid") as slow:
        mbo_records(DbnReader(path), wrong)
    assert str(fast.value) == str(slow.value)
