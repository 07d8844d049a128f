"""`SimVenueClient`: the `ExecutionClient` over the project's in-process exchange simulator
(`bot.exchange.Venue`), for MBO replays and the synthetic market.

Converts once, here: `Order` -> `NewOrder` (Side +1/-1 -> venue BUY 0 / SELL 1, ticks -> price
text on the instrument's grid), and the venue's reports -> model events (with fees per side from
the instrument table and maker/taker).  The ClOrdID at the venue is `Order.order_id`; a cancel or
replace needs a fresh ClOrdID, so the adapter makes `<id>~<n>` and maps the chain back: the model
only ever sees the one `order_id`.  The venue's published L2 changes and prints become
`BookDelta` and `TradeEvent`, the same view the bot gets over FIX live.
"""

from __future__ import annotations

from bot.backtest.models import FeeModel
from bot.exchange.orders import DAY, GTC, IOC, LIMIT, MARKET, STOP, STOP_LIMIT
from bot.exchange.reports import (
    EXEC_CANCELED,
    EXEC_NEW,
    EXEC_REJECTED,
    EXEC_REPLACED,
    EXEC_TRADE,
    CancelReject,
    Report,
)
from bot.exchange.venue import ContractKey, NewOrder, Venue
from bot.execution.client import EventSink
from bot.model.commands import CancelOrder, Command, ReplaceOrder, SubmitOrder
from bot.model.events import (
    BookDelta,
    BookLevel,
    CancelRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    TradeEvent,
)
from bot.model.fills import Fill, Liquidity
from bot.model.market import TradeTick
from bot.model.orders import Order, OrderType, TimeInForce

OWNER = "bot"
_ORD_TYPE = {
    OrderType.MARKET: MARKET,
    OrderType.LIMIT: LIMIT,
    OrderType.STOP: STOP,
    OrderType.STOP_LIMIT: STOP_LIMIT,
}
_TIF = {TimeInForce.DAY: DAY, TimeInForce.GTC: GTC, TimeInForce.IOC: IOC}
_TERMINAL = frozenset({"2", "4", "8"})  # OrdStatus filled, canceled, rejected
_ALWAYS_TAKER = frozenset({OrderType.MARKET, OrderType.STOP, OrderType.STOP_LIMIT})


class _Chain:
    """Our view of one order at the venue: its ClOrdIDs so far and its current prices."""

    __slots__ = ("clids", "current", "order", "price", "trigger")

    def __init__(self, order: Order) -> None:
        self.order = order
        self.clids = [order.order_id]
        self.current = order.order_id  # the ClOrdID the venue last acknowledged
        self.price = order.price_ticks
        self.trigger = order.trigger_ticks


class SimVenueClient:
    """See the module docstring.  The feed that moves the venue's market calls `absorb` with
    the reports it caused and `publish` after each exchange event."""

    def __init__(self, venue: Venue, sink: EventSink, delay_ns: int, fees: FeeModel) -> None:
        self.venue = venue
        self.sink = sink
        self.delay_ns = delay_ns
        self.fees = fees
        self._chains: dict[str, _Chain] = {}  # model order id -> chain
        self._root: dict[str, str] = {}  # any ClOrdID of the chain -> model order id
        self.fills = 0

    # ------------------------------------------------------------------ commands

    def send(self, command: Command, now_ns: int) -> None:
        if isinstance(command, SubmitOrder):
            self._submit(command.order, now_ns)
        elif isinstance(command, CancelOrder):
            chain = self._chains.get(command.order_id)
            if chain is None:
                self._unknown(command.order_id, now_ns)
                return
            clid = self._next_clid(chain)
            self.absorb(self.venue.cancel(OWNER, clid, chain.current), now_ns)
        else:
            self._replace(command, now_ns)
        self.publish(now_ns)

    def _submit(self, order: Order, now_ns: int) -> None:
        instrument = self.venue.instruments.get(order.symbol)
        if instrument is None or order.order_id in self._chains:
            why = "duplicate order id" if instrument else f"unknown symbol {order.symbol}"
            self.sink(OrderRejected(now_ns + self.delay_ns, order.order_id, why))
            return
        price, trigger = order.price_ticks, order.trigger_ticks
        request = NewOrder(
            owner=OWNER,
            cl_ord_id=order.order_id,
            symbol=order.symbol,
            side=order.side.index,
            ord_type=_ORD_TYPE[order.order_type],
            qty_text=str(order.qty),
            price_text=None if price is None else str(instrument.to_price(price)),
            stop_text=None if trigger is None else str(instrument.to_price(trigger)),
            tif=_TIF[order.tif],
        )
        chain = _Chain(order)
        self._chains[order.order_id] = chain
        self._root[order.order_id] = order.order_id
        self.absorb(self.venue.new_order(request), now_ns, order.order_id)

    def _replace(self, command: ReplaceOrder, now_ns: int) -> None:
        chain = self._chains.get(command.order_id)
        if chain is None:
            self._unknown(command.order_id, now_ns)
            return
        instrument = self.venue.instruments[chain.order.symbol]
        price = command.price_ticks if command.price_ticks is not None else chain.price
        trigger = command.trigger_ticks if command.trigger_ticks is not None else chain.trigger
        clid = self._next_clid(chain)
        reports = self.venue.replace(
            OWNER,
            clid,
            chain.current,
            str(command.qty),
            None if price is None else str(instrument.to_price(price)),
            None if trigger is None else str(instrument.to_price(trigger)),
        )
        self.absorb(reports, now_ns, command.order_id)

    def _next_clid(self, chain: _Chain) -> str:
        clid = f"{chain.order.order_id}~{len(chain.clids)}"
        chain.clids.append(clid)
        self._root[clid] = chain.order.order_id
        return clid

    def _unknown(self, order_id: str, now_ns: int) -> None:
        self.sink(CancelRejected(now_ns + self.delay_ns, order_id, "unknown order", True))

    # ------------------------------------------------------------------ reports -> events

    def absorb(self, reports: list[Report], now_ns: int, taker_id: str = "") -> None:
        """Turn venue reports (made at venue time `now_ns`) into model events for the bot.
        `taker_id` is the order whose own request caused these reports: its fills took
        liquidity; fills of our other (resting) orders made it."""
        at = now_ns + self.delay_ns
        sink = self.sink
        for r in reports:
            if r.owner != OWNER:
                continue
            if isinstance(r, CancelReject):
                oid = self._root.get(r.orig_cl_ord_id) or self._root.get(r.cl_ord_id, r.cl_ord_id)
                gone = r.reason == 1 or r.status in _TERMINAL
                sink(CancelRejected(at, oid, r.text or "refused", gone))
                lost = self._chains.get(oid)
                if gone and lost is not None:
                    self._forget(lost)
                continue
            oid = self._root.get(r.cl_ord_id, r.cl_ord_id)
            chain = self._chains.get(oid)
            kind = r.exec_type
            if kind == EXEC_TRADE and chain is not None and r.last_px is not None:
                order = chain.order
                taker = order.order_type in _ALWAYS_TAKER or oid == taker_id
                self.fills += 1
                fill = Fill(
                    ts_ns=now_ns,
                    order_id=oid,
                    symbol=order.symbol,
                    side=order.side,
                    qty=r.last_qty,
                    price_ticks=r.last_px,
                    fee_cents=self.fees.fee_cents(order.symbol, r.last_qty),
                    exec_id=r.exec_id,
                    venue_order_id=r.order_id,
                    liquidity=Liquidity.TAKER if taker else Liquidity.MAKER,
                    leaves_qty=r.leaves_qty,
                )
                sink(OrderFilled(at, fill))
            elif kind == EXEC_NEW:
                sink(OrderAccepted(at, oid, r.order_id))
            elif kind == EXEC_REJECTED:
                sink(OrderRejected(at, oid, r.text or "rejected"))
            elif kind == EXEC_CANCELED:
                sink(OrderCanceled(at, oid, r.text))
            elif kind == EXEC_REPLACED:
                if chain is not None:
                    chain.price, chain.trigger, chain.current = r.price, r.stop_px, r.cl_ord_id
                sink(OrderReplaced(at, oid, r.qty, r.price, r.stop_px))
            if r.status in _TERMINAL and chain is not None:
                self._forget(chain)

    def _forget(self, chain: _Chain) -> None:
        del self._chains[chain.order.order_id]
        for clid in chain.clids:
            self._root.pop(clid, None)

    # ------------------------------------------------------------------ market data

    def publish(self, now_ns: int) -> None:
        """The venue's L2 changes and prints since the last call, as the bot receives them."""
        drained = self.venue.drain_market_data()
        if not drained:
            return
        at = now_ns + self.delay_ns
        sink = self.sink
        for key, entries in drained.items():
            symbol = key[0]
            levels: list[BookLevel] = []
            prints: list[TradeEvent] = []
            for e in entries:
                if e.entry_type == "2":
                    prints.append(TradeEvent(at, TradeTick(now_ns, symbol, e.price, e.size)))
                else:
                    size = 0 if e.action == "2" else e.size
                    levels.append(BookLevel(1 if e.entry_type == "1" else 0, e.price, size))
            if levels:
                sink(BookDelta(at, symbol, tuple(levels)))
            for trade in prints:
                sink(trade)

    def publish_snapshot(self, key: ContractKey, now_ns: int) -> None:
        """The whole published book of one contract, replacing whatever the bot held."""
        self.venue.drain_market_data()
        levels = tuple(
            BookLevel(1 if e.entry_type == "1" else 0, e.price, e.size)
            for e in self.venue.snapshot(key)
        )
        self.sink(BookDelta(now_ns + self.delay_ns, key[0], levels, snapshot=True))

    @property
    def working(self) -> int:
        """Orders of ours the venue may still be holding (for tests and leak checks)."""
        return len(self._chains)
