"""Databento record objects -> compact int tuples for the books (decoded once, before replay).

Prices go from DBN fixed point (1e-9) to integer ticks of the instrument; a price off the tick grid
means the wrong tick size was given, which would silently corrupt a book, so it is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import databento_dbn as dbn
import numpy as np
from numpy.typing import NDArray

from bot.book.codes import ACTION_CODES, NO_SIDE, NONE, SIDE_CODES, TRADE
from bot.book.mbo import MboRecord
from bot.book.mbp import Mbp1Record
from bot.marketdata.dbn import raw_stream
from bot.marketdata.errors import MarketDataError

UNDEF_PRICE = dbn.UNDEF_PRICE
PRICE_SCALE = dbn.FIXED_PRICE_SCALE

TradeRecord = tuple[int, int, int, int]
"""(ts_recv, price_ticks, size, aggressor side code)."""


def tick_nanos(tick_size: Decimal) -> int:
    """The tick size in DBN fixed-point units (0.25 -> 250_000_000)."""
    nanos = tick_size * PRICE_SCALE
    if nanos <= 0 or nanos != nanos.to_integral_value():
        raise MarketDataError(f"tick size {tick_size} is not a positive multiple of 1e-9")
    return int(nanos)


class _Ticks:
    """Fixed-point price -> ticks, refusing prices off the grid."""

    def __init__(self, tick: int) -> None:
        self.tick = tick

    def __call__(self, price: int) -> int:
        ticks, rest = divmod(price, self.tick)
        if rest:
            raise MarketDataError(
                f"price {price / PRICE_SCALE} is not on the {self.tick / PRICE_SCALE} tick grid "
                "(wrong tick size for this instrument?)"
            )
        return ticks

    def optional(self, price: int) -> int | None:
        return None if price == UNDEF_PRICE else self(price)


# Keyed by the decoder's enum and by the bare letter (the decoder yields a str for unknown codes).
_ACTIONS: dict[dbn.Action | str, int] = {k: v for k, v in ACTION_CODES.items()}
_ACTIONS.update({dbn.Action.from_str(letter): code for letter, code in ACTION_CODES.items()})
_SIDES: dict[dbn.Side | str, int] = {k: v for k, v in SIDE_CODES.items()}
_SIDES.update({dbn.Side.from_str(letter): code for letter, code in SIDE_CODES.items()})


def mbo_records(records: Iterable[object], tick: int) -> dict[int, list[MboRecord]]:
    """MBO messages grouped by instrument id, as `MboRecord` tuples.  Other record types skipped."""
    ticks = _Ticks(tick)
    actions, sides = _ACTIONS, _SIDES
    out: dict[int, list[MboRecord]] = {}
    for r in records:
        if not isinstance(r, dbn.MBOMsg):
            continue
        price = r.price
        px = 0 if price == UNDEF_PRICE else ticks(price)
        row: MboRecord = (
            actions.get(r.action, NONE),
            sides.get(r.side, NO_SIDE),
            px,
            r.size,
            r.order_id,
            r.flags,
            r.ts_recv,
            r.sequence,
        )
        bucket = out.get(r.instrument_id)
        if bucket is None:
            out[r.instrument_id] = [row]
        else:
            bucket.append(row)
    return out


def trade_records(records: Iterable[object], tick: int) -> list[TradeRecord]:
    """Trades from a trades (or MBP-1) file; other actions skipped."""
    ticks = _Ticks(tick)
    out: list[TradeRecord] = []
    for r in records:
        if isinstance(r, dbn.TradeMsg | dbn.MBP1Msg) and _ACTIONS.get(r.action) == TRADE:
            out.append((r.ts_recv, ticks(r.price), r.size, _SIDES.get(r.side, NO_SIDE)))
    return out


def mbp1_records(records: Iterable[object], tick: int) -> list[Mbp1Record]:
    """MBP-1 messages: the event plus the top of book after it."""
    ticks = _Ticks(tick)
    out: list[Mbp1Record] = []
    for r in records:
        if not isinstance(r, dbn.MBP1Msg):
            continue
        top = r.levels[0]
        out.append(
            (
                r.ts_recv,
                _ACTIONS.get(r.action, NONE),
                _SIDES.get(r.side, NO_SIDE),
                0 if r.price == UNDEF_PRICE else ticks(r.price),
                r.size,
                r.flags,
                ticks.optional(top.bid_px),
                top.bid_sz,
                top.bid_ct,
                ticks.optional(top.ask_px),
                top.ask_sz,
                top.ask_ct,
            )
        )
    return out


# ---------------------------------------------------------------- MBO straight from the bytes

# DBN's MboMsg, 56 bytes little-endian (the same in DBN versions 1 to 3).  A file of MBO records
# decodes with numpy a whole slice at a time, about ten times faster than record objects; the
# result is the same `MboRecord` tuples (tests compare the two decoders on every shared file).
MBO_DTYPE = np.dtype(
    [
        ("length", "u1"),  # in 4-byte words: 14
        ("rtype", "u1"),  # 0xA0
        ("publisher_id", "<u2"),
        ("instrument_id", "<u4"),
        ("ts_event", "<u8"),
        ("order_id", "<u8"),
        ("price", "<i8"),
        ("size", "<u4"),
        ("flags", "u1"),
        ("channel_id", "u1"),
        ("action", "u1"),
        ("side", "u1"),
        ("ts_recv", "<u8"),
        ("ts_in_delta", "<i4"),
        ("sequence", "<u4"),
    ]
)
MBO_SIZE = MBO_DTYPE.itemsize
MBO_RTYPE = 0xA0


def _letter_table(codes: dict[str, int], default: int) -> NDArray[np.int64]:
    table = np.full(256, default, dtype=np.int64)
    for letter, code in codes.items():
        table[ord(letter)] = code
    return table


_ACTION_TABLE = _letter_table(ACTION_CODES, NONE)
_SIDE_TABLE = _letter_table(SIDE_CODES, NO_SIDE)


def _mbo_rows(rows: NDArray[np.void], tick: int, out: dict[int, list[MboRecord]]) -> None:
    """Append decoded MBO rows to `out` by instrument, in file order (as `mbo_records`)."""
    price = rows["price"]
    undefined = price == UNDEF_PRICE
    ticks, rest = np.divmod(price, tick)
    off_grid = (rest != 0) & ~undefined
    if off_grid.any():
        _Ticks(tick)(int(price[np.argmax(off_grid)]))  # raises the decoder's own error
    columns = (
        _ACTION_TABLE[rows["action"]],
        _SIDE_TABLE[rows["side"]],
        np.where(undefined, 0, ticks),
        rows["size"],
        rows["order_id"],
        rows["flags"],
        rows["ts_recv"],
        rows["sequence"],
    )
    ids = rows["instrument_id"]
    if len(ids) and (ids == ids[0]).all():
        groups = [(int(ids[0]), columns)]
    else:
        groups = []
        for iid in dict.fromkeys(ids.tolist()):
            mask = ids == iid
            groups.append((iid, tuple(column[mask] for column in columns)))
    for iid, cols in groups:
        decoded: list[MboRecord] = list(zip(*(c.tolist() for c in cols), strict=True))
        out.setdefault(iid, []).extend(decoded)


def mbo_batches(path: Path | str, tick: int) -> Iterator[dict[int, list[MboRecord]]]:
    """An MBO file's records by instrument, a decompressed slice at a time (flat memory).

    Runs of MBO records decode straight from the bytes; from the first record of another type on
    (a live recording may carry system or symbol-mapping records), the rest of the file goes
    through `databento_dbn`'s decoder and `mbo_records`, which skip what is not MBO.
    """
    header, chunks = raw_stream(path)
    pending = b""
    decoder: dbn.DBNDecoder | None = None
    for chunk in chunks:
        out: dict[int, list[MboRecord]] = {}
        rest = chunk  # bytes for the record-object decoder, once it has taken over
        if decoder is None:
            data = pending + chunk
            whole = len(data) // MBO_SIZE
            rows = np.frombuffer(data, dtype=MBO_DTYPE, count=whole)
            fixed = (rows["length"] == MBO_SIZE // 4) & (rows["rtype"] == MBO_RTYPE)
            good = whole if fixed.all() else int(np.argmin(fixed))
            _mbo_rows(rows[:good], tick, out)
            pending, rest = data[good * MBO_SIZE :], b""
            if good < whole:  # another record type: the decoder takes the rest of the file
                decoder = _decoder(path, header)
                rest, pending = pending, b""
        if decoder is not None and rest:
            for iid, decoded in mbo_records(_decode(decoder, path, rest), tick).items():
                out.setdefault(iid, []).extend(decoded)
        if out:
            yield out
    left = len(pending) if decoder is None else len(decoder.buffer())
    if left:
        raise MarketDataError(f"{path}: truncated file ({left} bytes of a partial record)")


def _decoder(path: Path | str, header: bytes) -> dbn.DBNDecoder:
    decoder = dbn.DBNDecoder()
    _decode(decoder, path, header)
    return decoder


def _decode(decoder: dbn.DBNDecoder, path: Path | str, data: bytes) -> list[object]:
    try:
        decoder.write(data)
        return [r for r in decoder.decode() if not isinstance(r, dbn.Metadata)]
    except (dbn.DBNError, ValueError) as exc:
        raise MarketDataError(f"{path}: corrupt DBN data ({exc})") from None


@dataclass(frozen=True, slots=True)
class Definition:
    """The fields of an instrument definition the books need."""

    instrument_id: int
    raw_symbol: str
    tick_size: Decimal
    expiration_ns: int


def definitions(records: Iterable[object]) -> list[Definition]:
    """Instrument definitions, one per instrument id (the latest wins)."""
    found: dict[int, Definition] = {}
    for r in records:
        if isinstance(r, dbn.InstrumentDefMsg):
            tick = Decimal(r.min_price_increment) / PRICE_SCALE
            found[r.instrument_id] = Definition(
                r.instrument_id, r.raw_symbol, tick.normalize(), r.expiration
            )
    return list(found.values())
