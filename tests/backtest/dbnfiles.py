"""Small Databento files written record by record, for tests that need an exact market."""

from __future__ import annotations

from pathlib import Path

import databento_dbn as dbn

START = 1_709_564_400_000_000_000  # 2024-03-04 15:00 UTC
PX = 250_000_000  # one ES tick (0.25) in DBN fixed point
ACTIONS = {"A": dbn.Action.ADD, "C": dbn.Action.CANCEL, "T": dbn.Action.TRADE,
           "M": dbn.Action.MODIFY}  # fmt: skip
SIDES = {"B": dbn.Side.BID, "A": dbn.Side.ASK, "N": dbn.Side.NONE}

# (ms after START, action, side, price in ticks, size, order id)
MboRow = tuple[float, str, str, int, int, int]
# (ms after START, action, side, price in ticks, size, bid, bid size, ask, ask size)
Mbp1Row = tuple[float, str, str, int, int, int, int, int, int]


def _metadata(schema: dbn.Schema) -> bytes:
    return bytes(
        dbn.Metadata(
            dataset="GLBX.MDP3", schema=schema, start=START, stype_in=dbn.SType.RAW_SYMBOL,
            stype_out=dbn.SType.INSTRUMENT_ID, end=START + 10**12, symbols=["ESH4"], partial=[],
            not_found=[], mappings=[],
        ).encode()
    )  # fmt: skip


def _ts(ms: float) -> int:
    return START + round(ms * 1_000_000)


def write_mbo(path: Path, rows: list[MboRow]) -> Path:
    data = _metadata(dbn.Schema.MBO)
    for seq, (ms, action, side, price, size, oid) in enumerate(rows, start=1):
        last = seq == len(rows) or rows[seq][0] != ms  # F_LAST on the last record of a time
        data += bytes(
            dbn.MBOMsg(
                publisher_id=1, instrument_id=17077, ts_event=_ts(ms), order_id=oid,
                price=price * PX, size=size, action=ACTIONS[action], side=SIDES[side],
                ts_recv=_ts(ms), ts_in_delta=0, sequence=seq, flags=128 if last else 0,
                channel_id=0,
            )
        )  # fmt: skip
    path.write_bytes(data)
    return path


def write_mbp1(path: Path, rows: list[Mbp1Row]) -> Path:
    data = _metadata(dbn.Schema.MBP_1)
    for seq, (ms, action, side, price, size, bid, bsz, ask, asz) in enumerate(rows, start=1):
        top = dbn.BidAskPair(bid_px=bid * PX, ask_px=ask * PX, bid_sz=bsz, ask_sz=asz,
                             bid_ct=1, ask_ct=1)  # fmt: skip
        data += bytes(
            dbn.MBP1Msg(
                publisher_id=1, instrument_id=17077, ts_event=_ts(ms), price=price * PX,
                size=size, action=ACTIONS[action], side=SIDES[side], ts_recv=_ts(ms),
                ts_in_delta=0, sequence=seq, flags=128, depth=0, levels=top,
            )
        )  # fmt: skip
    path.write_bytes(data)
    return path
