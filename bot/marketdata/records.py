"""Databento record objects -> compact int tuples for the books (decoded once, before replay).

Prices go from DBN fixed point (1e-9) to integer ticks of the instrument; a price off the tick grid
means the wrong tick size was given, which would silently corrupt a book, so it is an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import databento_dbn as dbn

from bot.book.codes import ACTION_CODES, NO_SIDE, NONE, SIDE_CODES, TRADE
from bot.book.mbo import MboRecord
from bot.book.mbp import Mbp1Record
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
