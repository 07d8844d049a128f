"""The simulated venue: instruments, order ids, validation, matching, positions, market data.

FIX-neutral and single-threaded by design: the acceptor feeds it from one worker thread, so the
books need no locks.  Every request returns the reports owed to the requesting owner (and to the
owners of any resting orders it filled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from bot.exchange.events import Accepted, Canceled, Event, Fill, Replaced, Trade, Triggered
from bot.exchange.matching import MatchingEngine
from bot.exchange.orders import (
    BUY,
    CANCELED,
    FILLED,
    LIMIT,
    MARKET,
    NEW,
    PARTIAL,
    REJECTED,
    STOP,
    STOP_LIMIT,
    SimOrder,
)
from bot.exchange.positions import DEFAULT_ACCOUNT, Positions
from bot.exchange.reports import (
    EXEC_CANCELED,
    EXEC_NEW,
    EXEC_REJECTED,
    EXEC_REPLACED,
    EXEC_STATUS,
    EXEC_TRADE,
    REJ_DUPLICATE,
    REJ_INCORRECT_QTY,
    REJ_OTHER,
    REJ_UNKNOWN_SYMBOL,
    CancelReject,
    ExecReport,
    FillRecord,
    Report,
)
from bot.instruments.contracts import front_contract, parse_maturity
from bot.instruments.specs import Instrument, PriceOffGrid

ContractKey = tuple[str, str]  # (root symbol, YYYYMM)


class OrderRejected(Exception):
    """A request the venue refuses; carries OrdRejReason (103) and the text (58)."""

    def __init__(self, reason: int, text: str) -> None:
        super().__init__(text)
        self.reason = reason
        self.text = text


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A NewOrderSingle in venue terms; prices are still wire text (validated here)."""

    owner: str
    cl_ord_id: str
    symbol: str
    side: int
    ord_type: int
    qty_text: str
    price_text: str | None = None
    stop_text: str | None = None
    tif: int = 0
    account: str = ""
    maturity: str | None = None


@dataclass(frozen=True, slots=True)
class MdEntry:
    """One market-data entry: action 0 new / 1 change / 2 delete; type 0 bid, 1 offer, 2 trade."""

    action: str
    entry_type: str
    price: int
    size: int


class Venue:
    """All simulated contracts and every order on them."""

    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        today: date,
        default_account: str = DEFAULT_ACCOUNT,
    ) -> None:
        self.instruments = dict(instruments)
        self.today = today
        self.engines: dict[ContractKey, MatchingEngine] = {}
        self.positions = Positions(default_account)
        self.fill_log: list[FillRecord] = []
        self._by_clid: dict[tuple[str, str], SimOrder] = {}
        self._by_id: dict[int, SimOrder] = {}
        self._by_owned: dict[int, SimOrder] = {}  # FIX owners' orders, open or not
        self._contract_of: dict[int, ContractKey] = {}
        self._published: dict[ContractKey, dict[tuple[int, int], int]] = {}
        self._trades: dict[ContractKey, list[Trade]] = {}
        self._next_order_id = 1
        self._next_exec_id = 1

    # ------------------------------------------------------------------ contracts

    def contract(self, symbol: str, maturity: str | None = None) -> ContractKey:
        """The (root, maturity) an order or subscription refers to; default the front month."""
        instrument = self.instruments.get(symbol)
        if instrument is None:
            raise OrderRejected(REJ_UNKNOWN_SYMBOL, f"unknown symbol {symbol!r}")
        if maturity:
            try:
                contract = parse_maturity(instrument, maturity)
            except ValueError as exc:
                raise OrderRejected(REJ_UNKNOWN_SYMBOL, str(exc)) from None
        else:
            contract = front_contract(instrument, self.today)
        return symbol, contract.maturity

    def engine(self, key: ContractKey) -> MatchingEngine:
        engine = self.engines.get(key)
        if engine is None:
            engine = self.engines[key] = MatchingEngine()
            self._published[key] = {}
            self._trades[key] = []
        return engine

    def new_order_id(self) -> int:
        oid = self._next_order_id
        self._next_order_id += 1
        return oid

    def _exec_id(self) -> str:
        eid = self._next_exec_id
        self._next_exec_id += 1
        return f"E{eid}"

    # ------------------------------------------------------------------ requests

    def new_order(self, req: NewOrder) -> list[Report]:
        """Validate, accept and match a new order; a refused order gets a 150=8 report."""
        try:
            key = self.contract(req.symbol, req.maturity)
            instrument = self.instruments[key[0]]
            qty = _quantity(req.qty_text)
            price, stop_px = _prices(instrument, req.ord_type, req.price_text, req.stop_text)
            if (req.owner, req.cl_ord_id) in self._by_clid:
                raise OrderRejected(REJ_DUPLICATE, f"duplicate ClOrdID {req.cl_ord_id}")
        except OrderRejected as exc:
            return [self._reject_new(req, exc)]
        engine = self.engine(key)
        last = engine.last_trade
        if (
            stop_px is not None
            and last is not None
            and (stop_px <= last if req.side == BUY else stop_px >= last)
        ):
            late = OrderRejected(REJ_OTHER, "stop price is at or through the last trade")
            return [self._reject_new(req, late, key)]
        order = SimOrder(
            self.new_order_id(),
            req.side,
            req.ord_type,
            qty,
            price,
            stop_px,
            req.tif,
            req.owner,
            req.cl_ord_id,
            req.account or self.positions.default_account,
            req.symbol,
        )
        self._by_clid[(req.owner, req.cl_ord_id)] = order
        self._by_id[order.order_id] = order
        self._by_owned[order.order_id] = order
        self._contract_of[order.order_id] = key
        engine.submit(order)
        return self._drain(key)

    def submit_anonymous(self, key: ContractKey, order: SimOrder) -> list[Report]:
        """An order of the synthetic flow: never reported itself, but the resting orders it
        fills are, to their owners.  Not indexed: the venue keeps only FIX owners' orders."""
        self.engine(key).submit(order)
        return self._drain(key)

    def cancel(self, owner: str, cl_ord_id: str, orig_cl_ord_id: str) -> list[Report]:
        order = self._by_clid.get((owner, orig_cl_ord_id))
        if order is None:
            return [_cancel_reject(owner, cl_ord_id, orig_cl_ord_id, None, "1", 1, "unknown order")]
        key = self._contract_of[order.order_id]
        engine = self.engine(key)
        if not order.is_open or not engine.cancel(order, "user"):
            return [_cancel_reject(owner, cl_ord_id, orig_cl_ord_id, order, "1", 0, "too late")]
        self._by_clid[(owner, cl_ord_id)] = order
        order.cl_ord_id = cl_ord_id
        return self._drain(key, orig_cl_ord_id)

    def replace(
        self,
        owner: str,
        cl_ord_id: str,
        orig_cl_ord_id: str,
        qty_text: str,
        price_text: str | None,
        stop_text: str | None,
    ) -> list[Report]:
        order = self._by_clid.get((owner, orig_cl_ord_id))
        if order is None:
            return [_cancel_reject(owner, cl_ord_id, orig_cl_ord_id, None, "2", 1, "unknown order")]
        key = self._contract_of[order.order_id]
        instrument = self.instruments[key[0]]
        if not order.is_open or order.order_id not in self.engine(key).orders:
            return [_cancel_reject(owner, cl_ord_id, orig_cl_ord_id, order, "2", 0, "too late")]
        try:
            qty = _quantity(qty_text)
            price, stop_px = _prices(instrument, order.ord_type, price_text, stop_text)
            if qty <= order.cum_qty:
                raise OrderRejected(REJ_INCORRECT_QTY, "new quantity is not above the filled qty")
            if (owner, cl_ord_id) in self._by_clid:
                raise OrderRejected(REJ_DUPLICATE, f"duplicate ClOrdID {cl_ord_id}")
        except OrderRejected as exc:
            return [_cancel_reject(owner, cl_ord_id, orig_cl_ord_id, order, "2", 99, exc.text)]
        self._by_clid[(owner, cl_ord_id)] = order
        order.cl_ord_id = cl_ord_id
        self.engine(key).replace(order, qty, price, stop_px)
        return self._drain(key, orig_cl_ord_id)

    def status(self, owner: str, cl_ord_id: str) -> list[Report]:
        """An OrderStatusRequest (H): 150=I with the order's state, or a reject if unknown."""
        order = self._by_clid.get((owner, cl_ord_id))
        if order is None:
            return [
                ExecReport(
                    owner, "NONE", cl_ord_id, None, self._exec_id(), EXEC_STATUS, REJECTED,
                    "", None, BUY, LIMIT, 0, 0, None, None, 0, 0, Decimal(0), Decimal(1),
                    text="unknown order",
                )
            ]  # fmt: skip
        return [self._report(order, EXEC_STATUS)]

    def mass_status(self, owner: str, req_id: str) -> list[Report]:
        """OrderMassStatusRequest (AF): one 150=I report per working order of the owner."""
        working = self.working_orders(owner)  # insertion order = order id order
        total = len(working)
        return [
            self._report(o, EXEC_STATUS, mass=(req_id, total, i == total - 1))
            for i, o in enumerate(working)
        ]

    def working_orders(self, owner: str | None = None) -> list[SimOrder]:
        """Open orders of FIX owners (all owners when `owner` is None); never the flow's."""
        return [
            o for o in self._by_id.values() if o.is_open and (owner is None or o.owner == owner)
        ]

    def order_by_clid(self, owner: str, cl_ord_id: str) -> SimOrder | None:
        return self._by_clid.get((owner, cl_ord_id))

    # ------------------------------------------------------------------ events -> reports

    def drain_reports(self, key: ContractKey) -> list[Report]:
        """Reports owed for events a market source caused directly on an engine."""
        return self._drain(key) if key in self.engines else []

    def _drain(self, key: ContractKey, orig_cl_ord_id: str | None = None) -> list[Report]:
        engine = self.engines[key]
        events: list[Event] = engine.events
        if not events:
            return []
        reports: list[Report] = []
        maturity = key[1]
        for event in events:
            if isinstance(event, Fill):
                order = event.order
                if order.owner is None:
                    continue
                self.positions.apply_fill(order.account, key[0], maturity, order.side, event.qty)
                report = self._report(
                    order,
                    EXEC_TRADE,
                    last=(event.price, event.qty),
                    state=(event.cum_qty, event.notional),
                )
                self.fill_log.append(
                    FillRecord(
                        order.owner, report.exec_id, report.order_id, order.cl_ord_id,
                        order.side, event.qty, event.price,
                    )
                )  # fmt: skip
                reports.append(report)
            elif isinstance(event, Trade):
                self._trades[key].append(event)
            elif event.order.owner is None:
                continue
            elif isinstance(event, Accepted):
                reports.append(self._report(event.order, EXEC_NEW, state=(0, 0)))
            elif isinstance(event, Canceled):
                text = "" if event.reason == "user" else event.reason
                reports.append(self._report(event.order, EXEC_CANCELED, orig_cl_ord_id, text))
            elif isinstance(event, Replaced):
                state = (event.cum_qty, event.notional)
                reports.append(
                    self._report(event.order, EXEC_REPLACED, orig_cl_ord_id, state=state)
                )
            elif isinstance(event, Triggered):
                continue
        events.clear()
        return reports

    def _report(
        self,
        order: SimOrder,
        exec_type: str,
        orig_cl_ord_id: str | None = None,
        text: str = "",
        last: tuple[int, int] | None = None,
        mass: tuple[str, int, bool] | None = None,
        state: tuple[int, int] | None = None,
    ) -> ExecReport:
        """A report of `order`; `state` is (cum qty, notional) at the event, when not final."""
        key = self._contract_of[order.order_id]
        tick = self.instruments[key[0]].tick_size
        cum, notional = state if state is not None else (order.cum_qty, order.notional)
        if state is None:
            status = order.status
        else:
            status = FILLED if cum >= order.qty else (PARTIAL if cum else NEW)
        leaves = 0 if status in (CANCELED, REJECTED, FILLED) else order.qty - cum
        return ExecReport(
            owner=order.owner or "",
            order_id=str(order.order_id),
            cl_ord_id=order.cl_ord_id,
            orig_cl_ord_id=orig_cl_ord_id,
            exec_id=self._exec_id(),
            exec_type=exec_type,
            status=status,
            symbol=key[0],
            maturity=key[1],
            side=order.side,
            ord_type=order.ord_type,
            tif=order.tif,
            qty=order.qty,
            price=order.price,
            stop_px=order.stop_px,
            cum_qty=cum,
            leaves_qty=leaves,
            avg_px=(Decimal(notional) * tick / cum) if cum else Decimal(0),
            tick_size=tick,
            account=order.account,
            last_px=last[0] if last else None,
            last_qty=last[1] if last else 0,
            text=text,
            mass_status_req_id=mass[0] if mass else None,
            tot_num_reports=mass[1] if mass else None,
            last_rpt_requested=mass[2] if mass else None,
        )

    def _reject_new(
        self, req: NewOrder, exc: OrderRejected, key: ContractKey | None = None
    ) -> ExecReport:
        tick = (
            self.instruments[req.symbol].tick_size if req.symbol in self.instruments else Decimal(1)
        )
        return ExecReport(
            owner=req.owner,
            order_id="NONE",
            cl_ord_id=req.cl_ord_id,
            orig_cl_ord_id=None,
            exec_id=self._exec_id(),
            exec_type=EXEC_REJECTED,
            status=REJECTED,
            symbol=req.symbol,
            maturity=key[1] if key else req.maturity,
            side=req.side,
            ord_type=req.ord_type,
            tif=req.tif,
            qty=_safe_int(req.qty_text),
            price=None,
            stop_px=None,
            cum_qty=0,
            leaves_qty=0,
            avg_px=Decimal(0),
            tick_size=tick,
            account=req.account,
            text=exc.text,
            rej_reason=exc.reason,
        )

    # ------------------------------------------------------------------ market data

    def drain_market_data(self) -> dict[ContractKey, list[MdEntry]]:
        """Book-level and trade changes since the last call, per contract (for X messages)."""
        out: dict[ContractKey, list[MdEntry]] = {}
        for key, engine in self.engines.items():
            entries: list[MdEntry] = []
            published = self._published[key]
            if engine.touched:
                book = engine.book
                for side, price in sorted(engine.touched):
                    new = book.level_size(side, price)
                    old = published.get((side, price), 0)
                    if new == old:
                        continue
                    action = "0" if old == 0 else ("2" if new == 0 else "1")
                    entries.append(MdEntry(action, str(side), price, new if new else old))
                    if new:
                        published[(side, price)] = new
                    else:
                        del published[(side, price)]
                engine.touched.clear()
            trades = self._trades[key]
            if trades:
                entries.extend(MdEntry("0", "2", t.price, t.qty) for t in trades)
                trades.clear()
            if entries:
                out[key] = entries
        return out

    def snapshot(self, key: ContractKey) -> list[MdEntry]:
        """The whole book as last published (bids then offers, best first) for a W message.

        Full depth, because the X incrementals that follow cover every level: a snapshot cut
        at N levels would leave the subscriber's book without the deeper levels those
        incrementals then change, and it would (rightly) mark its book invalid."""
        self.engine(key)
        published = self._published[key]
        bids = sorted((p for s, p in published if s == 0), reverse=True)
        asks = sorted(p for s, p in published if s == 1)
        entries = [MdEntry("0", "0", p, published[(0, p)]) for p in bids]
        entries += [MdEntry("0", "1", p, published[(1, p)]) for p in asks]
        return entries


# ---------------------------------------------------------------------- validation


def _quantity(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise OrderRejected(REJ_INCORRECT_QTY, f"quantity {text!r} is not a number") from None
    if not value.is_finite() or value <= 0 or value != value.to_integral_value():
        raise OrderRejected(REJ_INCORRECT_QTY, f"quantity {text} must be a positive whole number")
    return int(value)


def _tick(instrument: Instrument, text: str | None, what: str) -> int:
    if text is None or text == "":
        raise OrderRejected(REJ_OTHER, f"missing {what}")
    try:
        return instrument.to_ticks(text)
    except PriceOffGrid as exc:
        raise OrderRejected(REJ_OTHER, f"{what} {exc}") from None


def _prices(
    instrument: Instrument, ord_type: int, price_text: str | None, stop_text: str | None
) -> tuple[int | None, int | None]:
    if ord_type == MARKET:
        return None, None
    if ord_type == LIMIT:
        return _tick(instrument, price_text, "price"), None
    if ord_type == STOP:
        return None, _tick(instrument, stop_text, "stop price")
    if ord_type == STOP_LIMIT:
        return _tick(instrument, price_text, "price"), _tick(instrument, stop_text, "stop price")
    raise OrderRejected(REJ_OTHER, f"unsupported order type {ord_type}")


def _safe_int(text: str) -> int:
    try:
        return int(Decimal(text))
    except (InvalidOperation, ValueError, OverflowError):
        return 0


def _cancel_reject(
    owner: str,
    cl_ord_id: str,
    orig: str,
    order: SimOrder | None,
    response_to: str,
    reason: int,
    text: str,
) -> CancelReject:
    status = order.status if order is not None else REJECTED
    if order is not None and status == CANCELED:
        status = CANCELED
    return CancelReject(
        owner,
        str(order.order_id) if order is not None else "NONE",
        cl_ord_id,
        orig,
        status,
        response_to,
        reason,
        text,
    )
