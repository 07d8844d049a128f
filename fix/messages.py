"""The gateway's outgoing messages (D, F, G, H, AF, AN, V) for FIX 4.2 and 4.4.

FIX 4.2 needs HandlInst (21) on orders and has no AF/AN; prices go out as exact decimal text.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import quickfix as fix

from fix.build import add_groups, message, transact_time
from fix.orders import OrderRequest, TrackedOrder
from fix.wire import format_decimal

SIDE = {"buy": "1", "sell": "2"}
ORD_TYPE = {"market": "1", "limit": "2", "stop": "3", "stop_limit": "4"}
TIF = {"day": "0", "gtc": "1", "ioc": "3"}


def _px(value: Decimal | None) -> str:
    return "" if value is None else format_decimal(value)


def new_order_single(cl_ord_id: str, req: OrderRequest, account: str, fix42: bool) -> fix.Message:
    fields = [
        (11, cl_ord_id),
        (1, req.account or account),
        (21, "1" if fix42 else ""),
        (55, req.symbol),
        (200, req.maturity or ""),
        (54, SIDE[req.side]),
        transact_time(),
        (38, str(req.qty)),
        (40, ORD_TYPE[req.ord_type]),
        (44, _px(req.price) if req.ord_type in ("limit", "stop_limit") else ""),
        (99, _px(req.stop_px) if req.ord_type in ("stop", "stop_limit") else ""),
        (59, TIF[req.tif]),
    ]
    return message("D", fields)


def cancel_request(cl_ord_id: str, order: TrackedOrder) -> fix.Message:
    req = order.request
    return message(
        "F",
        [
            (41, order.cl_ord_id),
            (37, order.order_id or ""),
            (11, cl_ord_id),
            (55, req.symbol),
            (200, req.maturity or ""),
            (54, SIDE[req.side]),
            transact_time(),
            (38, str(order.qty)),
        ],
    )


def replace_request(
    cl_ord_id: str,
    order: TrackedOrder,
    qty: int,
    price: Decimal | None,
    stop_px: Decimal | None,
    fix42: bool,
) -> fix.Message:
    req = order.request
    return message(
        "G",
        [
            (41, order.cl_ord_id),
            (37, order.order_id or ""),
            (11, cl_ord_id),
            (21, "1" if fix42 else ""),
            (55, req.symbol),
            (200, req.maturity or ""),
            (54, SIDE[req.side]),
            transact_time(),
            (38, str(qty)),
            (40, ORD_TYPE[req.ord_type]),
            (44, _px(price)),
            (99, _px(stop_px)),
            (59, TIF[req.tif]),
        ],
    )


def status_request(order: TrackedOrder) -> fix.Message:
    req = order.request
    return message(
        "H",
        [
            (37, order.order_id or ""),
            (11, order.pending_cl_ord_id or order.cl_ord_id),
            (55, req.symbol),
            (200, req.maturity or ""),
            (54, SIDE[req.side]),
        ],
    )


def mass_status_request(req_id: str) -> fix.Message:
    return message("AF", [(584, req_id), (585, "7")])


def request_for_positions(req_id: str, account: str, business_day: date) -> fix.Message:
    return message(
        "AN",
        [
            (710, req_id),
            (724, "0"),
            (1, account),
            (581, "1"),
            (715, business_day.strftime("%Y%m%d")),
            transact_time(),
        ],
    )


def market_data_request(
    req_id: str, symbol: str, maturity: str | None, subscribe: bool, depth: int = 0
) -> fix.Message:
    msg = message(
        "V",
        [(262, req_id), (263, "1" if subscribe else "2"), (264, str(depth)), (265, "1")],
    )
    add_groups(msg, 267, 269, [[(269, "0")], [(269, "1")], [(269, "2")]])
    add_groups(msg, 146, 55, [[(55, symbol), (200, maturity or "")]])
    return msg
