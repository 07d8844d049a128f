"""Venue reports to FIX messages and FIX requests to venue requests, per FIX version.

FIX 4.4 and 4.2 differ where it matters for fills: 4.4 reports a trade as ExecType F with
OrdStatus 1/2; 4.2 uses ExecType 1/2 and needs ExecTransType (20).
"""

from __future__ import annotations

from decimal import Decimal

import quickfix as fix

from bot.exchange.orders import DAY, GTC, IOC, LIMIT, MARKET, STOP, STOP_LIMIT
from bot.exchange.reports import (
    EXEC_STATUS,
    EXEC_TRADE,
    REJ_OTHER,
    CancelReject,
    ExecReport,
)
from bot.exchange.venue import MdEntry, NewOrder, OrderRejected, ReplaceTerms
from fix.build import add_groups, message, transact_time
from fix.wire import FixFields, format_decimal, price_text

SIDE_IN = {"1": 0, "2": 1}
SIDE_OUT = {0: "1", 1: "2"}
ORD_TYPE_IN = {"1": MARKET, "2": LIMIT, "3": STOP, "4": STOP_LIMIT}
ORD_TYPE_OUT = {v: k for k, v in ORD_TYPE_IN.items()}
TIF_IN = {"0": DAY, "1": GTC, "3": IOC}
TIF_OUT = {DAY: "0", GTC: "1", IOC: "3"}


def is_fix42(owner: str) -> bool:
    return owner.startswith("FIX.4.2")


def new_order_from_fix(owner: str, f: FixFields) -> NewOrder:
    """A D message as a venue request; unsupported enum values raise OrderRejected."""
    side = SIDE_IN.get(f.get(54) or "")
    ord_type = ORD_TYPE_IN.get(f.get(40) or "")
    tif = TIF_IN.get(f.get(59) or "0")
    if side is None:
        raise OrderRejected(REJ_OTHER, f"unsupported side {f.get(54)}")
    if ord_type is None:
        raise OrderRejected(REJ_OTHER, f"unsupported order type {f.get(40)}")
    if tif is None:
        raise OrderRejected(REJ_OTHER, f"unsupported time in force {f.get(59)}")
    return NewOrder(
        owner=owner,
        cl_ord_id=f.require(11),
        symbol=f.get(55) or "",
        side=side,
        ord_type=ord_type,
        qty_text=f.get(38) or "0",
        price_text=f.get(44),
        stop_text=f.get(99),
        tif=tif,
        account=f.get(1) or "",
        maturity=f.get(200),
    )


def replace_terms_from_fix(f: FixFields) -> ReplaceTerms:
    """What a G says about the order that a replace may not change."""
    return ReplaceTerms(
        side=SIDE_IN.get(f.get(54) or ""),
        ord_type=ORD_TYPE_IN.get(f.get(40) or ""),
        symbol=f.get(55) or "",
        maturity=f.get(200),
    )


def failure_reply(owner: str, f: FixFields, text: str) -> fix.Message:
    """The answer to a request the venue failed to process: a rejected order (D), a cancel
    reject (F, G) or a BusinessMessageReject (anything else) - never silence."""
    if f.msg_type == "D":
        return reject_for_bad_enum(owner, f, OrderRejected(REJ_OTHER, text))
    if f.msg_type in ("F", "G"):
        return message(
            "9",
            [
                (37, "NONE"), (11, f.get(11) or "NONE"), (41, f.get(41) or "NONE"), (39, "8"),
                (434, "1" if f.msg_type == "F" else "2"), (102, "99"), (58, text[:200]),
            ],
        )  # fmt: skip
    return message(
        "j",
        [(45, f.get(34) or "0"), (372, f.msg_type or "?"), (379, f.get(11) or ""), (380, "0"),
         (58, text[:200])],
    )  # fmt: skip


def reject_for_bad_enum(owner: str, f: FixFields, exc: OrderRejected) -> fix.Message:
    """A 150=8 report for a D whose side/type/TIF the venue does not support."""
    fields = [
        (37, "NONE"),
        (11, f.get(11) or ""),
        (17, f"X{f.get(34) or ''}-{f.get(11) or ''}"),
    ]
    if is_fix42(owner):
        fields.append((20, "0"))
    fields += [
        (150, "8"),
        (39, "8"),
        (103, str(exc.reason)),
        (55, f.get(55) or "?"),
        (54, f.get(54) or "1"),
        (38, f.get(38) or "0"),
        (151, "0"),
        (14, "0"),
        (6, "0"),
        (58, exc.text),
        transact_time(),
    ]
    return message("8", fields)


def _exec_type(report: ExecReport, fix42: bool) -> str:
    if not fix42:
        return report.exec_type
    if report.exec_type == EXEC_TRADE:
        return "2" if report.status == "2" else "1"
    if report.exec_type == EXEC_STATUS:
        return report.status
    return report.exec_type


def execution_report(report: ExecReport) -> fix.Message:
    fix42 = is_fix42(report.owner)
    tick = report.tick_size
    fields: list[tuple[int, str]] = [
        (37, report.order_id),
        (11, report.cl_ord_id),
        (41, report.orig_cl_ord_id or ""),
        (17, report.exec_id),
    ]
    if fix42:
        fields.append((20, "0"))
    fields += [
        (150, _exec_type(report, fix42)),
        (39, report.status),
        (103, "" if report.rej_reason is None else str(report.rej_reason)),
        (1, report.account),
        (55, report.symbol or "?"),
        (200, report.maturity or ""),
        (54, SIDE_OUT[report.side]),
        (38, str(report.qty)),
        (40, ORD_TYPE_OUT.get(report.ord_type, "2")),
        (44, "" if report.price is None else price_text(report.price, tick)),
        (99, "" if report.stop_px is None else price_text(report.stop_px, tick)),
        (59, TIF_OUT.get(report.tif, "0")),
    ]
    if report.last_px is not None:
        fields += [(32, str(report.last_qty)), (31, price_text(report.last_px, tick))]
    fields += [
        (151, str(report.leaves_qty)),
        (14, str(report.cum_qty)),
        (6, format_decimal(report.avg_px.quantize(Decimal("0.000001")))),
        (58, report.text),
        transact_time(),
    ]
    if report.mass_status_req_id is not None and not fix42:
        fields += [
            (584, report.mass_status_req_id),
            (911, str(report.tot_num_reports)),
            (912, "Y" if report.last_rpt_requested else "N"),
        ]
    return message("8", fields)


def cancel_reject(report: CancelReject) -> fix.Message:
    return message(
        "9",
        [
            (37, report.order_id),
            (11, report.cl_ord_id),
            (41, report.orig_cl_ord_id),
            (39, report.status),
            (434, report.response_to),
            (102, str(report.reason)),
            (58, report.text),
        ],
    )


def _md_entry_fields(entry: MdEntry, tick: Decimal) -> list[tuple[int, str]]:
    return [(270, price_text(entry.price, tick)), (271, str(entry.size))]


def snapshot(
    req_id: str, symbol: str, maturity: str, entries: list[MdEntry], tick: Decimal
) -> fix.Message:
    msg = message("W", [(262, req_id), (55, symbol), (200, maturity)])
    if not entries:  # an empty book: the required group is present with no entries
        msg.setField(fix.StringField(268, "0"))
        return msg
    add_groups(msg, 268, 269, [[(269, e.entry_type), *_md_entry_fields(e, tick)] for e in entries])
    return msg


def incremental(
    req_id: str, symbol: str, maturity: str, entries: list[MdEntry], tick: Decimal
) -> fix.Message:
    msg = message("X", [(262, req_id)])
    add_groups(
        msg,
        268,
        279,
        [
            [
                (279, e.action),
                (269, e.entry_type),
                (55, symbol),
                (200, maturity),
                *_md_entry_fields(e, tick),
            ]
            for e in entries
        ],
    )
    return msg


def md_reject(req_id: str, text: str) -> fix.Message:
    return message("Y", [(262, req_id), (281, "0"), (58, text)])
