"""The simulated venue: instruments, order ids, validation, matching, positions, market data.

FIX-neutral and single-threaded by design: the acceptor feeds it from one worker thread, so the
books need no locks.  Every request returns the reports owed to the requesting owner (and to the
owners of any resting orders it filled).

Identifiers never repeat across restarts: ExecIDs carry a persisted, strictly increasing run
prefix, and with a state directory (`open_state`) the OrderID counter, every FIX owner's order,
the positions, the fills and the used ClOrdIDs are journalled (`bot.exchange.journal`) before
any report about them leaves (`checkpoint`), and restored on start.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from bot.exchange.events import Accepted, Canceled, Event, Fill, Replaced, Trade, Triggered
from bot.exchange.journal import Record, VenueJournal
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
    SELL,
    STOP,
    STOP_LIMIT,
    SimOrder,
)
from bot.exchange.positions import DEFAULT_ACCOUNT, Position, Positions
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
from bot.instruments.contracts import Contract, front_contract, parse_maturity, third_friday
from bot.instruments.contracts import roll_date as contract_roll_date
from bot.instruments.specs import Instrument, PriceOffGrid
from fix.clordid import ClOrdIdSource, base36

ContractKey = tuple[str, str]  # (root symbol, YYYYMM)
REJ_EXCHANGE_CLOSED = 2  # OrdRejReason: exchange closed (here: the contract is not trading)
CXL_REJ_DUPLICATE = 6  # CxlRejReason: duplicate ClOrdID received
DEFAULT_MAX_ORDER_QTY = 1_000
LISTED_MONTHS = 5  # contract months open for trading from the front month on
MAX_PRICE_TICKS = 10**9  # far beyond any real price; keeps every price a sane integer


@dataclass(frozen=True, slots=True)
class VenueLimits:
    """Sanity limits on every order (new or replaced): a maximum size per instrument (root
    symbol; `default_max_qty` for the others) and the number of listed contract months."""

    max_order_qty: Mapping[str, int] = field(default_factory=dict)
    default_max_qty: int = DEFAULT_MAX_ORDER_QTY
    listed_months: int = LISTED_MONTHS

    def max_qty(self, symbol: str) -> int:
        return self.max_order_qty.get(symbol, self.default_max_qty)


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
class ReplaceTerms:
    """What a cancel/replace request says about the order that it may not change."""

    side: int | None
    ord_type: int | None
    symbol: str
    maturity: str | None = None

    def check(self, order: SimOrder, key: ContractKey) -> None:
        if self.side != order.side:
            raise OrderRejected(REJ_OTHER, "a replace cannot change the side")
        if self.ord_type != order.ord_type:
            raise OrderRejected(REJ_OTHER, "a replace cannot change the order type")
        if self.symbol != key[0] or (self.maturity and self.maturity != key[1]):
            raise OrderRejected(REJ_OTHER, "a replace cannot change the instrument")


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
        limits: VenueLimits | None = None,
    ) -> None:
        self.instruments = dict(instruments)
        self.today = today
        self.limits = limits or VenueLimits()
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
        self._exec_prefix = ""  # open_state's persisted run; none in memory (deterministic)
        self._used_clids: set[tuple[str, str]] = set()  # every (owner, ClOrdID) ever received
        self._clids_of: dict[int, list[str]] = {}  # every ClOrdID an owner's order has had
        self.journal: VenueJournal | None = None
        self._dirty_orders: dict[int, SimOrder] = {}
        self._dirty_positions: set[tuple[str, str, str]] = set()
        self._dirty_contracts: set[ContractKey] = set()
        self._pending_records: list[Record] = []
        self._journalled_next_id = 0

    # ------------------------------------------------------------------ durable state

    def open_state(self, directory: Path) -> int:
        """Restore the books from `directory` and journal every later change there; returns
        the number of orders restored.  Call it on a fresh venue, before any market source."""
        if self.journal is not None or self.engines or self._by_id:
            raise RuntimeError("open_state needs a fresh venue")
        directory.mkdir(parents=True, exist_ok=True)
        self._exec_prefix = base36(ClOrdIdSource(directory / "exec.run").run)
        journal = VenueJournal(directory)
        restored = self._restore(journal.load())
        self.journal = journal
        return restored

    def checkpoint(self) -> None:
        """Journal what changed since the last call (call before sending reports about it)."""
        if self.journal is None:
            return
        records = self._pending_records
        for order in self._dirty_orders.values():
            records.append(self._order_record(order))
        for key in self._dirty_positions:
            pos = self.positions.get(*key)
            if pos is not None:
                records.append({"k": "pos", "account": pos.account, "symbol": pos.symbol,
                                "maturity": pos.maturity, "net": pos.net, "bought": pos.bought,
                                "sold": pos.sold})  # fmt: skip
        for contract in self._dirty_contracts:
            engine = self.engines.get(contract)
            if engine is not None and engine.last_trade is not None:
                records.append({"k": "last", "symbol": contract[0], "maturity": contract[1],
                                "px": engine.last_trade})  # fmt: skip
        if self._next_order_id != self._journalled_next_id and records:
            records.append({"k": "ids", "next_order_id": self._next_order_id})
            self._journalled_next_id = self._next_order_id
        if records:
            self.journal.append(records)
        self._pending_records = []
        self._dirty_orders.clear()
        self._dirty_positions.clear()
        self._dirty_contracts.clear()

    def _order_record(self, order: SimOrder) -> Record:
        key = self._contract_of[order.order_id]
        clids = self._clids_of.get(order.order_id, [])
        return {
            "k": "order", "order_id": order.order_id, "side": order.side,
            "ord_type": order.ord_type, "qty": order.qty, "price": order.price,
            "stop_px": order.stop_px, "tif": order.tif, "owner": order.owner,
            "cl_ord_id": order.cl_ord_id, "account": order.account, "symbol": key[0],
            "maturity": key[1], "cum_qty": order.cum_qty, "notional": order.notional,
            "status": order.status, "triggered": order.triggered, "clids": clids,
        }  # fmt: skip

    def _restore(self, records: list[Record]) -> int:
        restored = 0
        for r in records:
            kind = r.get("k")
            if kind == "order":
                self._restore_order(r)
                restored += 1
            elif kind == "pos":
                self.positions.restore(
                    Position(r["account"], r["symbol"], r["maturity"], r["net"], r["bought"],
                             r["sold"])
                )  # fmt: skip
            elif kind == "fill":
                self.fill_log.append(FillRecord(**{k: v for k, v in r.items() if k != "k"}))
            elif kind == "clid":
                self._used_clids.add((r["owner"], r["cl_ord_id"]))
            elif kind == "last":
                self.engine((r["symbol"], r["maturity"])).last_trade = r["px"]
            elif kind == "ids":
                self._next_order_id = max(self._next_order_id, int(r["next_order_id"]))
        self._journalled_next_id = self._next_order_id
        for engine in self.engines.values():
            engine.events.clear()
        return restored

    def _restore_order(self, r: Record) -> None:
        order = SimOrder(
            r["order_id"], r["side"], r["ord_type"], r["qty"], r["price"], r["stop_px"],
            r["tif"], r["owner"], r["cl_ord_id"], r["account"], r["symbol"],
        )  # fmt: skip
        order.cum_qty, order.notional = r["cum_qty"], r["notional"]
        order.status, order.triggered = r["status"], r["triggered"]
        key = (r["symbol"], r["maturity"])
        self._by_id[order.order_id] = self._by_owned[order.order_id] = order
        self._contract_of[order.order_id] = key
        for clid in r["clids"]:
            self._index(r["owner"], clid, order)
            self._used_clids.add((r["owner"], clid))
        self._next_order_id = max(self._next_order_id, order.order_id + 1)
        if order.is_open:
            self.engine(key).restore(order)

    def _index(self, owner: str, cl_ord_id: str, order: SimOrder) -> None:
        self._by_clid[(owner, cl_ord_id)] = order
        self._clids_of.setdefault(order.order_id, []).append(cl_ord_id)

    def claim_cl_ord_id(self, owner: str, cl_ord_id: str) -> bool:
        """Record a ClOrdID as used by `owner`; False when it was used before (by any message,
        accepted or rejected): ClOrdIDs are never reused."""
        if (owner, cl_ord_id) in self._used_clids:
            return False
        self._used_clids.add((owner, cl_ord_id))
        if self.journal is not None:
            self._pending_records.append({"k": "clid", "owner": owner, "cl_ord_id": cl_ord_id})
        return True

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
            if not self._listed(instrument, contract):
                raise OrderRejected(
                    REJ_EXCHANGE_CLOSED, f"{symbol} {maturity} is expired or not listed"
                )
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
        if not self._exec_prefix:  # in memory (tests, backtests): E1, E2, ... as always
            return f"E{eid}"
        return f"E{self._exec_prefix}-{base36(eid)}"

    def _listed(self, instrument: Instrument, contract: Contract) -> bool:
        """Trading today: not past its last trading day (equity quarterlies: the third Friday;
        others: the roll date, an approximation) and within the listed months."""
        last_day = (
            third_friday(contract.year, contract.month)
            if instrument.month_cycle == "quarterly"
            else contract_roll_date(instrument, contract.year, contract.month)
        )
        if last_day < self.today:
            return False
        front = front_contract(instrument, self.today)
        year, month = front.year, front.month
        listed = 0
        while listed < self.limits.listed_months:
            maturity = f"{year:04d}{month:02d}"
            try:
                parse_maturity(instrument, maturity)
            except ValueError:
                pass
            else:
                listed += 1
                if maturity >= contract.maturity:
                    return True
            year, month = (year, month + 1) if month < 12 else (year + 1, 1)
        return False

    # ------------------------------------------------------------------ requests

    def new_order(self, req: NewOrder) -> list[Report]:
        """Validate, accept and match a new order; a refused order gets a 150=8 report."""
        key: ContractKey | None = None
        try:
            if not self.claim_cl_ord_id(req.owner, req.cl_ord_id):
                raise OrderRejected(REJ_DUPLICATE, f"duplicate ClOrdID {req.cl_ord_id}")
            key = self.contract(req.symbol, req.maturity)
            qty, price, stop_px = self._checked(
                key, req.side, req.ord_type, req.qty_text, req.price_text, req.stop_text
            )
        except OrderRejected as exc:
            return [self._reject_new(req, exc, key)]
        engine = self.engine(key)
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
        self._index(req.owner, req.cl_ord_id, order)
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

    def sweep(self, key: ContractKey, ticks: int, depth: int = 50) -> list[Report]:
        """Move the market `ticks` (negative: down) from the touch, as the anonymous flow: a
        resting order of `depth` lots is placed one tick beyond the new level (the market that
        moved has a bid and an offer there), then one aggressive order fills every resting
        order it passes (the FIX owners' ones reported to them) and rests its last lot at the
        new level.  Stops elected by its prints fill against the new level's liquidity.  The
        operator's and the tests' deterministic adverse move; nothing when the side it would
        take is empty or `ticks` is 0."""
        if ticks == 0:
            return []
        book = self.engine(key).book
        taken = BUY if ticks < 0 else SELL  # a move down sells into the bids
        best = book.best_price(taken)
        if best is None:
            return []
        target = best + ticks
        qty = 1
        for price in book.prices(taken):  # best first
            if (price < target) if ticks < 0 else (price > target):
                break
            qty += book.level_size(taken, price)
        beyond = target - 1 if ticks < 0 else target + 1
        reports = self.submit_anonymous(
            key, SimOrder(self.new_order_id(), taken, LIMIT, depth, beyond)
        )
        aggressor = SimOrder(self.new_order_id(), 1 - taken, LIMIT, qty, target)
        return reports + self.submit_anonymous(key, aggressor)

    def _checked(
        self,
        key: ContractKey,
        side: int,
        ord_type: int,
        qty_text: str,
        price_text: str | None,
        stop_text: str | None,
        check_stop: bool = True,
    ) -> tuple[int, int | None, int | None]:
        """Quantity, price and stop of a new or replacing order, or OrderRejected: a positive
        whole quantity within the instrument's maximum, positive prices on the tick grid, and a
        stop price that the last trade has not already reached."""
        instrument = self.instruments[key[0]]
        qty = _quantity(qty_text)
        limit = self.limits.max_qty(key[0])
        if qty > limit:
            raise OrderRejected(
                REJ_INCORRECT_QTY, f"quantity {qty} is above the {key[0]} maximum of {limit}"
            )
        price, stop_px = _prices(instrument, ord_type, price_text, stop_text)
        for what, value in (("price", price), ("stop price", stop_px)):
            if value is not None and value <= 0:
                raise OrderRejected(REJ_OTHER, f"{what} must be positive")
        last = self.engine(key).last_trade
        if (
            check_stop
            and stop_px is not None
            and last is not None
            and (stop_px <= last if side == BUY else stop_px >= last)
        ):
            raise OrderRejected(REJ_OTHER, "stop price is at or through the last trade")
        return qty, price, stop_px

    def cancel(self, owner: str, cl_ord_id: str, orig_cl_ord_id: str) -> list[Report]:
        order = self._by_clid.get((owner, orig_cl_ord_id))
        if not self.claim_cl_ord_id(owner, cl_ord_id):
            return [_duplicate(owner, cl_ord_id, orig_cl_ord_id, order, "1")]
        if order is None:
            return [_cancel_reject(owner, cl_ord_id, orig_cl_ord_id, None, "1", 1, "unknown order")]
        key = self._contract_of[order.order_id]
        engine = self.engine(key)
        if not order.is_open or not engine.cancel(order, "user"):
            return [_cancel_reject(owner, cl_ord_id, orig_cl_ord_id, order, "1", 0, "too late")]
        self._index(owner, cl_ord_id, order)
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
        unchangeable: ReplaceTerms | None = None,
    ) -> list[Report]:
        """Cancel/replace: checked like a new order (`_checked`); side, order type and
        instrument (`unchangeable`, as the request states them) must be the order's own."""
        order = self._by_clid.get((owner, orig_cl_ord_id))
        if not self.claim_cl_ord_id(owner, cl_ord_id):
            return [_duplicate(owner, cl_ord_id, orig_cl_ord_id, order, "2")]
        if order is None:
            return [_cancel_reject(owner, cl_ord_id, orig_cl_ord_id, None, "2", 1, "unknown order")]
        key = self._contract_of[order.order_id]
        if not order.is_open or order.order_id not in self.engine(key).orders:
            return [_cancel_reject(owner, cl_ord_id, orig_cl_ord_id, order, "2", 0, "too late")]
        try:
            if unchangeable is not None:
                unchangeable.check(order, key)
            qty, price, stop_px = self._checked(
                key, order.side, order.ord_type, qty_text, price_text, stop_text,
                check_stop=not order.triggered,
            )  # fmt: skip
            if qty <= order.cum_qty:
                raise OrderRejected(REJ_INCORRECT_QTY, "new quantity is not above the filled qty")
        except OrderRejected as exc:
            return [_cancel_reject(owner, cl_ord_id, orig_cl_ord_id, order, "2", 99, exc.text)]
        self._index(owner, cl_ord_id, order)
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
        journal = self.journal is not None
        for event in events:
            if journal and not isinstance(event, Trade) and event.order.owner is not None:
                self._dirty_orders[event.order.order_id] = event.order
                self._dirty_contracts.add(key)
            if isinstance(event, Fill):
                order = event.order
                if order.owner is None:
                    continue
                account = order.account or self.positions.default_account
                self.positions.apply_fill(account, key[0], maturity, order.side, event.qty)
                if journal:
                    self._dirty_positions.add((account, key[0], maturity))
                report = self._report(
                    order,
                    EXEC_TRADE,
                    last=(event.price, event.qty),
                    state=(event.cum_qty, event.notional),
                )
                record = FillRecord(
                    order.owner, report.exec_id, report.order_id, order.cl_ord_id,
                    order.side, event.qty, event.price,
                )  # fmt: skip
                self.fill_log.append(record)
                if journal:
                    self._pending_records.append({"k": "fill", **dataclasses.asdict(record)})
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
                for side, price in engine.touched_levels():
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
    """A positive whole number of lots; any text that is not one is a reject, never an error
    (every decimal failure is an ArithmeticError)."""
    try:
        value = Decimal(text)
        whole = value.is_finite() and value > 0 and value == value.to_integral_value()
    except ArithmeticError:
        raise OrderRejected(REJ_INCORRECT_QTY, f"quantity {text!r} is not a number") from None
    if not whole or value.adjusted() > 18:
        raise OrderRejected(REJ_INCORRECT_QTY, f"quantity {text} must be a positive whole number")
    return int(value)


def _tick(instrument: Instrument, text: str | None, what: str) -> int:
    if text is None or text == "":
        raise OrderRejected(REJ_OTHER, f"missing {what}")
    try:
        ticks = instrument.to_ticks(text)
    except PriceOffGrid as exc:
        raise OrderRejected(REJ_OTHER, f"{what} {exc}") from None
    except ArithmeticError:  # e.g. 29 digits: more than the decimal context can divide
        raise OrderRejected(REJ_OTHER, f"{what} {text!r} is not a usable price") from None
    if abs(ticks) > MAX_PRICE_TICKS:
        raise OrderRejected(REJ_OTHER, f"{what} {text} is out of range")
    return ticks


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
    """The quantity to echo in a reject: the number if it is a sane one, else 0."""
    try:
        value = Decimal(text)
        return int(value) if value.is_finite() and abs(value) < 10**12 else 0
    except (ArithmeticError, ValueError):
        return 0


def _duplicate(
    owner: str, cl_ord_id: str, orig: str, order: SimOrder | None, response_to: str
) -> CancelReject:
    text = f"duplicate ClOrdID {cl_ord_id}"
    return _cancel_reject(owner, cl_ord_id, orig, order, response_to, CXL_REJ_DUPLICATE, text)


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
