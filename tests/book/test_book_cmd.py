"""The `book` and `bench book` commands: output contracts, and bad input as one clean line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

from bot.cli.main import main

ESM4_MBO = "cme/esm4-orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst"
ESU4_TRADES = "cme/esu4-futures_trades_2024-07-01T23-58_2024-07-02T00-02.dbn.zst"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_clean_error(result: tuple[int, str, str], *words: str) -> None:
    status, out, err = result
    assert status == 2 and out == ""
    assert "Traceback" not in err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, err


def test_book_json_is_the_contract(
    capsys: pytest.CaptureFixture[str], market_file: Callable[[str], Path]
) -> None:
    path = market_file(ESM4_MBO)
    status, out, _ = run(capsys, "book", str(path), "--json", "--depth", "3")
    assert status == 0
    doc = json.loads(out)
    assert set(doc) == {"bids", "asks", "ts_recv"}
    assert len(doc["bids"]) == 3 and len(doc["asks"]) == 3
    best_bid, best_ask = doc["bids"][0], doc["asks"][0]
    assert best_bid[0] < best_ask[0] and (best_ask[0] - best_bid[0]) % 0.25 == 0
    assert [row[0] for row in doc["bids"]] == sorted((row[0] for row in doc["bids"]), reverse=True)
    assert [row[0] for row in doc["asks"]] == sorted(row[0] for row in doc["asks"])
    assert all(size >= count >= 1 for _, size, count in doc["bids"] + doc["asks"])
    assert doc["ts_recv"] == 1715126401995697728  # the file's last record


def test_es_day_json_top_levels(capsys: pytest.CaptureFixture[str], es_mbo_path: Path) -> None:
    status, out, _ = run(capsys, "book", str(es_mbo_path), "--json", "--depth", "2")
    assert status == 0
    doc = json.loads(out)
    assert doc["bids"] == [[4810.0, 22, 22], [4809.75, 47, 22]]
    assert doc["asks"] == [[4810.25, 28, 18], [4810.5, 40, 27]]


def test_book_text_reports_state(capsys: pytest.CaptureFixture[str], es_mbo_path: Path) -> None:
    status, out, _ = run(capsys, "book", str(es_mbo_path), "--depth", "1")
    assert status == 0
    assert "68,792 records" in out and "book valid" in out and "anomalies: none" in out
    assert "bid" in out and "4810.00" in out and "4810.25" in out


def test_bench_prints_one_json_object(
    capsys: pytest.CaptureFixture[str], market_file: Callable[[str], Path]
) -> None:
    path = market_file(ESM4_MBO)
    status, out, _ = run(capsys, "bench", "book", str(path), "--passes", "1")
    assert status == 0
    doc = json.loads(out)
    assert doc["records"] == 13_796
    assert doc["seconds"] > 0 and doc["msgs_per_s"] == pytest.approx(13_796 / doc["seconds"], 0.01)


def test_missing_empty_and_garbage_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert_clean_error(run(capsys, "book", str(tmp_path / "nope.dbn.zst")), "cannot open")
    empty = tmp_path / "empty.dbn"
    empty.write_bytes(b"")
    assert_clean_error(run(capsys, "book", str(empty)), "empty file")
    garbage = tmp_path / "garbage.dbn"
    garbage.write_bytes(b"not a dbn file at all" * 50)
    assert_clean_error(run(capsys, "book", str(garbage)), "not a DBN file")
    bad_zstd = tmp_path / "bad.dbn.zst"
    bad_zstd.write_bytes(b"\x28\xb5\x2f\xfd" + b"\xff" * 200)
    assert_clean_error(run(capsys, "bench", "book", str(bad_zstd)), "corrupt zstd")


def test_truncated_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, market_file: Callable[[str], Path]
) -> None:
    raw = market_file(ESM4_MBO).read_bytes()
    cut = tmp_path / "cut.dbn.zst"
    cut.write_bytes(raw[: len(raw) // 2])
    assert_clean_error(run(capsys, "book", str(cut)), "truncated")
    plain = zstandard.ZstdDecompressor().stream_reader(raw).read()
    mid_record = tmp_path / "cut.dbn"
    mid_record.write_bytes(plain[:-10])
    assert_clean_error(run(capsys, "bench", "book", str(mid_record)), "truncated", "partial")
    header_only = tmp_path / "header.dbn"
    header_only.write_bytes(plain[:20])
    assert_clean_error(run(capsys, "book", str(header_only)), "no complete DBN header")


def test_wrong_schema_and_bad_arguments(
    capsys: pytest.CaptureFixture[str], market_file: Callable[[str], Path]
) -> None:
    trades = market_file(ESU4_TRADES)
    assert_clean_error(run(capsys, "book", str(trades)), "schema is trades", "need mbo")
    path = market_file(ESM4_MBO)
    assert_clean_error(run(capsys, "book", str(path), "--instrument-id", "1"), "no instrument 1")
    # A tick size the prices are not on would corrupt the book: refused, not applied.
    assert_clean_error(run(capsys, "book", str(path), "--tick-size", "0.3"), "tick grid")
    with pytest.raises(SystemExit) as exc:
        main(["book", str(path), "--depth", "0"])
    assert exc.value.code == 2
