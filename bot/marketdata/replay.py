"""Replay a DBN MBO file into one `MboBook` per instrument, batch by batch (flat memory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from bot.book.mbo import LastListener, MboBook, MboRecord
from bot.marketdata.dbn import DbnReader
from bot.marketdata.errors import MarketDataError
from bot.marketdata.records import mbo_batches, tick_nanos
from bot.marketdata.symbols import tick_size_for


@dataclass
class MboReplay:
    """The books after a replay, keyed by instrument id, with what the file said about itself."""

    path: Path
    symbols: list[str]
    tick_size: Decimal
    books: dict[int, MboBook] = field(default_factory=dict)

    def only_book(self, instrument_id: int | None = None) -> tuple[int, MboBook]:
        """The one book asked for, or the only one; a clear error when that is ambiguous."""
        if instrument_id is not None:
            if instrument_id not in self.books:
                known = ", ".join(str(i) for i in sorted(self.books)) or "none"
                raise MarketDataError(f"{self.path}: no instrument {instrument_id} (has {known})")
            return instrument_id, self.books[instrument_id]
        if len(self.books) != 1:
            known = ", ".join(str(i) for i in sorted(self.books)) or "none"
            raise MarketDataError(
                f"{self.path}: {len(self.books)} instruments ({known}); choose one by id"
            )
        return next(iter(self.books.items()))


def open_mbo(path: Path | str, tick_size: Decimal | None = None) -> tuple[DbnReader, Decimal]:
    """Open an MBO file and settle its tick size (given, or from the file's symbol)."""
    reader = DbnReader(path)
    reader.require_schema("mbo")
    if tick_size is None:
        symbols = list(reader.metadata.symbols)
        found = [tick_size_for(s) for s in symbols]
        ticks = {t for t in found if t is not None}
        if len(ticks) != 1 or len(found) != len([t for t in found if t is not None]):
            named = ", ".join(symbols) or "its symbols"
            raise MarketDataError(f"{reader.path}: cannot tell the tick size of {named}; give it")
        tick_size = ticks.pop()
    return reader, tick_size


def decode_mbo_file(
    path: Path | str, tick_size: Decimal | None = None
) -> dict[int, list[MboRecord]]:
    """The whole file decoded to `MboRecord` lists per instrument (for benchmarks and tests)."""
    reader, tick = open_mbo(path, tick_size)
    out: dict[int, list[MboRecord]] = {}
    for batch in mbo_batches(reader.path, tick_nanos(tick)):
        for instrument_id, rows in batch.items():
            out.setdefault(instrument_id, []).extend(rows)
    return out


def replay_mbo_file(
    path: Path | str, tick_size: Decimal | None = None, on_last: LastListener | None = None
) -> MboReplay:
    """Stream the file through per-instrument books; only the books stay in memory."""
    reader, tick = open_mbo(path, tick_size)
    result = MboReplay(reader.path, list(reader.metadata.symbols), tick)
    for batch in mbo_batches(reader.path, tick_nanos(tick)):
        for instrument_id, rows in batch.items():
            book = result.books.get(instrument_id)
            if book is None:
                book = result.books[instrument_id] = MboBook()
            book.replay(rows, on_last)
    return result
