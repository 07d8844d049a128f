"""FIX-neutral answers of the venue to one owner: execution reports and cancel rejects."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# ExecType (150) in FIX 4.4 terms; the FIX layer maps Trade to 1/2 for a FIX 4.2 session.
EXEC_NEW = "0"
EXEC_CANCELED = "4"
EXEC_REPLACED = "5"
EXEC_REJECTED = "8"
EXEC_TRADE = "F"
EXEC_STATUS = "I"

# OrdRejReason (103)
REJ_UNKNOWN_SYMBOL = 1
REJ_DUPLICATE = 6
REJ_INCORRECT_QTY = 13
REJ_OTHER = 99


@dataclass(frozen=True, slots=True)
class ExecReport:
    """One ExecutionReport (8), with the order's state frozen at the moment it was made."""

    owner: str
    order_id: str
    cl_ord_id: str
    orig_cl_ord_id: str | None
    exec_id: str
    exec_type: str
    status: str
    symbol: str
    maturity: str | None
    side: int
    ord_type: int
    tif: int
    qty: int
    price: int | None
    stop_px: int | None
    cum_qty: int
    leaves_qty: int
    avg_px: Decimal
    tick_size: Decimal
    account: str = ""
    last_px: int | None = None
    last_qty: int = 0
    text: str = ""
    rej_reason: int | None = None
    mass_status_req_id: str | None = None
    tot_num_reports: int | None = None
    last_rpt_requested: bool | None = None


@dataclass(frozen=True, slots=True)
class CancelReject:
    """OrderCancelReject (9): `response_to` is '1' for F, '2' for G; reason 0 late, 1 unknown."""

    owner: str
    order_id: str
    cl_ord_id: str
    orig_cl_ord_id: str
    status: str
    response_to: str
    reason: int
    text: str


Report = ExecReport | CancelReject


@dataclass(frozen=True, slots=True)
class FillRecord:
    """One fill of an owner's order as the venue booked it (the simulator's fill log)."""

    owner: str
    exec_id: str
    order_id: str
    cl_ord_id: str
    side: int
    qty: int
    price: int
