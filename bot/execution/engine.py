"""The execution engine: the portfolio's net targets and quotes in, orders out; venue events in,
order state, risk, attribution and the protective stops they call for out.

Pure and synchronous: the kernel passes the time (`now_ns`) and sends the returned commands.
Rules (each tested in tests/execution):
- Every new order and every replace is checked by the risk engine first; a refusal's reason goes
  to the sleeves the order would have served (`OrderUpdate` status "refused") and to the log.
  The same refused order is not asked again before `refusal_retry_ns`, unless it changes; nor
  is a target order the venue rejected (a rejecting venue is not flooded with flattens), nor a
  bounded target IOC that expired without a fill (nothing within its price).
- Targets: one target order per instrument at a time, a LIMIT IOC `marketable_ticks` through the
  mark (bounded price, nothing left resting), `Purpose.ENTRY` with the widest stop of the sleeves
  it serves, or `Purpose.EXIT` (a MARKET IOC `Purpose.FLATTEN` while the instrument is held flat).
  A flip is a close then an open: the order never goes past flat.
- Stops: a non-zero net position has STOP orders on the other side for exactly its size less the
  lots of working exits (`bot.execution.stops` says at which prices).  Venue-side stop lots plus
  reducing orders never exceed the position: an exit waits until the stops have shrunk (a replace
  acknowledged), a stop grows only into room that is free at the venue.  Stops are sent in the
  same call that processed the fill that changed the position.  A stop that is rejected, refused
  or not acknowledged within `stop_ack_timeout_ns` flattens the instrument and blocks new risk:
  for the rest of the day when it went unanswered, or when it is the day's
  `stop_failures_per_day`-th failure; otherwise (a definite refusal) until the instrument is flat
  with nothing working and `stop_failure_cooldown_ns` has passed.
- No self-cross: no own buy may trade with an own sell (`bot.execution.orders.crosses`).  A quote
  that would cross another own order is withheld; a target order that would hit own quotes waits
  until they are cancelled (and waits for an own stop it could meet); a stop that could hit own
  quotes goes at once, after their cancels in the same command list (protection does not wait a
  round trip; the venue takes commands in order).  No quote rests on the side opposite a held
  position (the risk engine refuses anything that could reverse it; the position exits through
  targets or its stops).
- Quotes are capped by the sleeve's max contracts and by a per-instrument message rate; over the
  rate, the newest quote placements and moves wait and only the latest wanted state is sent later.
  Cancels, stops, exits and flattens never wait.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.execution.orders import TARGET_PURPOSES, Tracked, crosses
from bot.execution.queue import QueueEstimator
from bot.execution.risk_gate import RiskGate
from bot.execution.stops import stop_schedule
from bot.execution.throttle import RateCap
from bot.model.commands import CancelOrder, Command, ReplaceOrder, SubmitOrder
from bot.model.events import (
    CancelRejected,
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    VenueStatus,
)
from bot.model.fills import Fill
from bot.model.ids import OrderIdFactory
from bot.model.orders import Order, OrderStatus, OrderType, Purpose, TimeInForce
from bot.model.side import Side
from bot.model.units import NS_PER_SECOND
from bot.portfolio.portfolio import LogRecord, Portfolio
from bot.portfolio.split import split_pro_rata
from bot.risk.engine import ActionKind, RiskAction
from bot.strategy.base import OrderUpdate, RestingOrder
from bot.strategy.intents import QuoteSide

_DONE_KEPT = 4096  # finished orders remembered, to recognise their late events


@dataclass(frozen=True, slots=True)
class ExecutionConfig:
    marketable_ticks: int = 4  # how far through the mark a target's IOC limit goes
    max_messages_per_s: int = 20  # per instrument
    stop_ack_timeout_ns: int = 2 * NS_PER_SECOND
    refusal_retry_ns: int = NS_PER_SECOND
    # A stop the venue or the risk engine refused (a definite answer, unlike a missing ack)
    # blocks the instrument until it is flat with nothing working and this long has passed;
    # the `stop_failures_per_day`-th such failure of a day blocks it until the next day.
    stop_failure_cooldown_ns: int = 60 * NS_PER_SECOND
    stop_failures_per_day: int = 3
    # False: re-examine every instrument in full on every sync (the reference the fast paths,
    # settled and idle instruments skipped, are tested against)
    skip_settled: bool = True


def _fields(order: Order) -> dict[str, Any]:
    """An order as log fields."""
    return {
        "order_id": order.order_id,
        "symbol": order.symbol,
        "side": order.side.name,
        "qty": order.qty,
        "purpose": str(order.purpose),
        "price_ticks": order.price_ticks,
        "trigger_ticks": order.trigger_ticks,
    }


@dataclass(slots=True)
class ExecutionOutput:
    """What the kernel must do now: send `commands`, deliver fills and order updates."""

    commands: list[Command] = field(default_factory=list)
    fills: list[tuple[str, Fill]] = field(default_factory=list)  # per sleeve, in order
    updates: list[tuple[str, OrderUpdate]] = field(default_factory=list)
    switched_off: list[tuple[str, str]] = field(default_factory=list)  # (sleeve, reason)
    risk_actions: list[RiskAction] = field(default_factory=list)  # the risk engine's asks

    @property
    def orders_sent(self) -> int:
        commands = self.commands
        return sum(isinstance(c, SubmitOrder) for c in commands) if commands else 0

    def extend(self, other: ExecutionOutput) -> None:
        self.commands.extend(other.commands)
        self.fills.extend(other.fills)
        self.updates.extend(other.updates)
        self.switched_off.extend(other.switched_off)
        self.risk_actions.extend(other.risk_actions)


@dataclass(frozen=True, slots=True)
class _Plan:
    side: Side
    qty: int
    purpose: Purpose
    reducing: bool


class ExecutionEngine:
    def __init__(
        self,
        portfolio: Portfolio,
        risk: RiskGate,
        ids: OrderIdFactory,
        config: ExecutionConfig | None = None,
    ) -> None:
        self.portfolio = portfolio
        self.risk = risk
        self.ids = ids
        self.config = config or ExecutionConfig()
        self.queue = QueueEstimator()
        self.rate = RateCap(self.config.max_messages_per_s)
        self.orders: dict[str, Tracked] = {}  # live orders
        self.done: OrderedDict[str, Tracked] = OrderedDict()
        self.events: list[LogRecord] = []
        self._quote_ids: dict[tuple[str, str, Side], str] = {}
        self._refused: dict[tuple[str, ...], tuple[tuple[Any, ...], int]] = {}
        self._halt: str | None = None
        self._stop_failed: dict[str, str] = {}
        self._target_signatures: dict[str, tuple[Any, ...]] = {}  # live target orders' plans
        self._stop_retry_at: dict[str, int] = {}  # recoverable stop failures: symbol -> when
        self._stop_failures_today: dict[str, int] = {}
        self._throttled: set[str] = set()
        self._stale: set[str] = set()  # instruments whose market data is unusable: no quotes
        self._version = 0  # bumped by every change to orders or halts
        self._busy = False  # the instrument being synced wants something not yet sent
        self._settled: dict[str, tuple[int, int, int, int]] = {}  # symbol -> versions, until

    # ---- reads ---------------------------------------------------------------------------

    def live_orders(self, symbol: str | None = None) -> list[Tracked]:
        return [t for t in self.orders.values() if symbol is None or t.order.symbol == symbol]

    def working_stop_qty(self, symbol: str) -> int:
        """Stop lots the venue holds (at the larger size of a replace in flight)."""
        return sum(t.venue_qty for t in self._live(symbol, Purpose.STOP))

    def resting(self, sleeve: str, symbol: str) -> list[RestingOrder]:
        """The sleeve's resting quotes with their queue estimates."""
        out: list[RestingOrder] = []
        for side in (Side.BUY, Side.SELL):
            t = self._quote(sleeve, symbol, side)
            ahead = self.queue.ahead(t.order.order_id) if t is not None else None
            if t is not None and ahead is not None and t.order.price_ticks is not None:
                out.append(
                    RestingOrder(t.order.order_id, side, t.order.price_ticks, t.remaining, ahead)
                )
        return out

    def stop_failure(self, symbol: str) -> str | None:
        return self._stop_failed.get(symbol)

    def next_deadline_ns(self, now_ns: int) -> int | None:
        """When the kernel should call `check_timeouts` (a stop's ack deadline, or room for a
        quote held back by the rate cap)."""
        if not self.orders and not self._throttled:
            return None  # nothing in flight, nothing held back
        times = [
            t.pending_since_ns + self.config.stop_ack_timeout_ns
            for t in self.orders.values()
            if t.pending == "cancel" or (t.order.purpose == Purpose.STOP and t.pending)
        ]
        times += [self.rate.next_room_ns(s, now_ns) for s in sorted(self._throttled)]
        return min(times) if times else None

    # ---- market data (queue estimates) ---------------------------------------------------

    def on_book_level(self, symbol: str, side_index: int, price_ticks: int, size: int) -> None:
        self.queue.on_book_level(symbol, side_index, price_ticks, size)

    def on_trade(self, symbol: str, price_ticks: int, size: int) -> None:
        self.queue.on_trade(symbol, price_ticks, size)

    # ---- the kernel's calls --------------------------------------------------------------

    def sync(self, now_ns: int, symbols: Iterable[str] | None = None) -> ExecutionOutput:
        """Bring orders in line with the portfolio's targets and quotes (all symbols, or some)."""
        out = ExecutionOutput()
        for symbol in sorted(set(symbols) if symbols is not None else self._symbols()):
            settled = self._settled.get(symbol)
            if (
                settled is not None
                and settled[:3] == self._versions(symbol)
                and now_ns < settled[3]
                and self.config.skip_settled
            ):
                continue  # nothing it acts on changed since it was left settled
            before = (len(out.commands), len(out.fills), len(out.updates))
            failed = len(self._stop_failed)
            self._sync_symbol(symbol, now_ns, out)
            if len(self._stop_failed) != failed:  # a stop failed: the symbol now flattens
                self._sync_symbol(symbol, now_ns, out)
            quiet = before == (len(out.commands), len(out.fills), len(out.updates))
            if quiet and not self._busy and symbol not in self._throttled:
                self._settled[symbol] = (*self._versions(symbol), self._wake(symbol, now_ns))
            else:
                self._settled.pop(symbol, None)
        out.switched_off.extend(self.portfolio.take_switched_off())
        return out

    def on_event(self, event: Event, now_ns: int) -> ExecutionOutput:
        """Apply one execution event; returns what it calls for (stops, exits, fills...)."""
        self._version += 1
        out = ExecutionOutput()
        symbol: str | None = None
        if isinstance(event, OrderFilled):
            symbol = event.fill.symbol
            self._on_fill(event.fill, now_ns, out)
        elif isinstance(event, VenueStatus):
            self._log(now_ns, "execution.venue", up=event.up, reason=event.reason)
            if event.up:
                out.extend(self.resync_stops(now_ns))
            return out
        elif isinstance(event, OrderAccepted | OrderRejected | OrderCanceled | OrderReplaced):
            symbol = self._on_report(event, now_ns, out)
        elif isinstance(event, CancelRejected):
            symbol = self._on_cancel_rejected(event, now_ns, out)
        if symbol is not None:
            out.extend(self.sync(now_ns, [symbol]))
        return out

    def check_timeouts(self, now_ns: int) -> ExecutionOutput:
        """Stops not acknowledged in time flatten their instrument; cancels not answered in
        time are sent again (what they make room for waits on them); held-back quotes go."""
        out = ExecutionOutput()
        late = self.config.stop_ack_timeout_ns
        touched: set[str] = set(self._throttled)
        for t in sorted(self.orders.values(), key=lambda t: t.order.order_id):
            o = t.order
            if not t.pending or now_ns - t.pending_since_ns < late:
                continue
            if o.purpose == Purpose.STOP and t.pending in ("new", "replace"):
                why = f"not acknowledged within {late / NS_PER_SECOND:g} s"
                self._fail_stop(o.symbol, f"protective stop {o.order_id} {why}", now_ns)
                self._cancel(t, now_ns, out, "stop timed out")
                touched.add(o.symbol)
            elif t.pending == "cancel":
                t.pending = ""
                self._log(now_ns, "execution.cancel_resent", order_id=o.order_id)
                self._cancel(t, now_ns, out, "cancel not answered: sent again")
        out.extend(self.sync(now_ns, touched))
        # with room under the cap, what sync still wanted has gone: nothing is held back
        # (else a quote no longer wanted keeps its deadline at `now` and the driver spins)
        self._throttled = {s for s in self._throttled if not self.rate.allows(s, now_ns)}
        return out

    def resync_stops(
        self, now_ns: int, venue_working: Collection[str] | None = None
    ) -> ExecutionOutput:
        """After a reconnect: stops the venue no longer knows (`venue_working`, the ids its
        status answer listed) are dropped, and every instrument's stops are placed again."""
        out = ExecutionOutput()
        if venue_working is not None:
            for t in list(self.orders.values()):
                if t.order.purpose == Purpose.STOP and t.order.order_id not in venue_working:
                    self._finish(
                        t, OrderStatus.CANCELED, "unknown at the venue after reconnect", now_ns, out
                    )
        out.extend(self.sync(now_ns))
        return out

    def apply_risk_actions(self, actions: Iterable[RiskAction], now_ns: int) -> ExecutionOutput:
        out = ExecutionOutput()
        for action in actions:
            if action.kind == ActionKind.CANCEL_ALL:
                out.extend(self.cancel_all(action.reason, now_ns))
            elif action.kind == ActionKind.FLATTEN_ALL:
                out.extend(self.flatten_all(action.reason, now_ns))
            elif action.kind == ActionKind.PROTECT and action.symbol is not None:
                out.extend(self.protect(action.symbol, action.reason, now_ns))
        return out

    def set_market_data(self, symbol: str, ok: bool, reason: str, now_ns: int) -> ExecutionOutput:
        """The instrument's market data became unusable (stale, gap, crossed) or usable again.
        While it is unusable no quote rests there: a quote priced on a view the bot no longer
        has would be picked off.  Positions keep their stops; targets are the risk engine's."""
        if ok == (symbol not in self._stale):
            return ExecutionOutput()
        if ok:
            self._stale.discard(symbol)
        else:
            self._stale.add(symbol)
        self._log(now_ns, "execution.market_data", symbol=symbol, ok=ok, reason=reason)
        self._version += 1  # the symbol's wanted state changed: never skip it as settled
        return self.sync(now_ns, [symbol])

    def protect(self, symbol: str, reason: str, now_ns: int) -> ExecutionOutput:
        """The risk engine sees lots of `symbol` without a working stop: place the stops now
        (a sync sends whatever is missing); if its stop already failed, take it flat."""
        self._log(now_ns, "execution.protect", symbol=symbol, reason=reason)
        if symbol in self._stop_failed:
            self.portfolio.hold_flat(symbol, reason, now_ns)
        self._version += 1  # never skip this symbol as settled
        return self.sync(now_ns, [symbol])

    def cancel_all(self, reason: str, now_ns: int) -> ExecutionOutput:
        """Cancel every order except the protective stops; no new entry or quote until
        `resume`."""
        out = ExecutionOutput()
        self._version += 1
        if self._halt is None:
            self._halt = reason
            self._log(now_ns, "execution.cancel_all", reason=reason)
        for t in sorted(self.orders.values(), key=lambda t: t.order.order_id):
            if t.order.purpose != Purpose.STOP:
                self._cancel(t, now_ns, out, reason)
        return out

    def flatten_all(self, reason: str, now_ns: int) -> ExecutionOutput:
        """Cancel everything but the stops and take every instrument flat (stops shrink as
        the exits go out)."""
        out = self.cancel_all(reason, now_ns)
        for symbol in self._symbols():
            self.portfolio.hold_flat(symbol, reason, now_ns)
        out.extend(self.sync(now_ns))
        return out

    def resume(self, now_ns: int) -> ExecutionOutput:
        """Trade again (the risk engine is ACTIVE again: new day, operator clear): lifts
        `cancel_all`, the flat holds and the stop-failure blocks."""
        self._halt = None
        self._version += 1
        for symbol in self._symbols():
            self.portfolio.release(symbol, now_ns)
        for symbol in sorted(self._stop_failed):
            self.risk.unblock(f"stop:{symbol}", now_ns)
        self._stop_failed.clear()
        self._stop_retry_at.clear()
        self._stop_failures_today.clear()
        self._log(now_ns, "execution.resume")
        return self.sync(now_ns)

    # ---- per instrument --------------------------------------------------------------------

    def _versions(self, symbol: str) -> tuple[int, int, int]:
        return (*self.portfolio.version(symbol), self._version)

    def _wake(self, symbol: str, now_ns: int) -> int:
        """The next time a settled instrument may need work without any other change: a time
        stop, or a refused order that may be asked again."""
        times = self.portfolio.time_stops(symbol, now_ns)
        times += [until for key, (_, until) in self._refused.items() if symbol in key]
        if symbol in self._stop_retry_at:
            times.append(self._stop_retry_at[symbol])
        return min((t for t in times if t > now_ns), default=1 << 62)

    def _symbols(self) -> list[str]:
        return sorted({t.order.symbol for t in self.orders.values()} | self.portfolio.symbols())

    def _sync_symbol(self, symbol: str, now_ns: int, out: ExecutionOutput) -> None:
        if symbol in self._stop_retry_at:
            self._recover_stop(symbol, now_ns)
        if self.config.skip_settled and self._idle(symbol, now_ns):
            self._busy = False
            return  # what follows would cross nothing, plan nothing, cancel and place nothing
        out.fills.extend(self.portfolio.cross(symbol, self._pending(symbol), now_ns))
        plan = self._plan(symbol, now_ns)
        self._busy = plan is not None  # a waiting plan's price moves with the mark
        exit_qty = plan.qty if plan is not None and plan.reducing else 0
        self._sync_stops(symbol, now_ns, out, exit_qty)
        self._sync_quotes(symbol, now_ns, out, plan)
        if plan is not None:
            self._send_target(symbol, plan, now_ns, out)

    def _idle(self, symbol: str, now_ns: int) -> bool:
        """No order of ours in `symbol`, and the portfolio neither holds, quotes nor wants any
        of it: no gap to cross, no plan, no stop, no quote (a sync is then a no-op)."""
        return not self._has_orders(symbol) and self.portfolio.idle(symbol, now_ns)

    def _has_orders(self, symbol: str) -> bool:
        return any(t.order.symbol == symbol for t in self.orders.values())

    def _live(self, symbol: str, *purposes: Purpose) -> list[Tracked]:
        return sorted(
            (
                t
                for t in self.orders.values()
                if t.order.symbol == symbol and (not purposes or t.order.purpose in purposes)
            ),
            key=lambda t: t.order.order_id,
        )

    def _pending(self, symbol: str) -> dict[str, int]:
        live = self._live(symbol, *TARGET_PURPOSES)
        signs = {t.order.order_id: int(t.order.side) for t in live}
        return self.portfolio.pending([t.order.order_id for t in live], signs)

    def _plan(self, symbol: str, now_ns: int) -> _Plan | None:
        if self._live(symbol, *TARGET_PURPOSES):
            return None  # one target order at a time
        net = self.portfolio.net_position(symbol)
        gap = self.portfolio.net_target(symbol, now_ns) - net
        if gap == 0:
            return None
        side = Side.BUY if gap > 0 else Side.SELL
        if net and side * net < 0:
            flat = self.portfolio.held_flat(symbol) is not None
            purpose = Purpose.FLATTEN if flat else Purpose.EXIT
            return _Plan(side, min(abs(gap), abs(net)), purpose, True)
        if self._halt is not None or symbol in self._stop_failed:
            return None
        return _Plan(side, abs(gap), Purpose.ENTRY, False)

    # ---- target orders -----------------------------------------------------------------------

    def _target_price(self, symbol: str, plan: _Plan) -> int | None:
        mark = self.portfolio.mark_of(symbol)
        if plan.purpose == Purpose.FLATTEN or mark is None:
            return None
        return mark + int(plan.side) * self.config.marketable_ticks

    def _send_target(self, symbol: str, plan: _Plan, now_ns: int, out: ExecutionOutput) -> None:
        net = self.portfolio.net_position(symbol)
        if plan.reducing and plan.qty > abs(net) - self._reducing_qty(symbol, plan.side):
            return  # the stops are shrinking first: the exit goes once they have
        price = self._target_price(symbol, plan)
        if price is None and plan.purpose != Purpose.FLATTEN:
            return  # no mark yet: no bounded price
        kind = OrderType.MARKET if price is None else OrderType.LIMIT
        if self._in_the_way(symbol, plan.side, kind, price, now_ns, out):
            return  # own quotes it would hit are being cancelled
        gaps = self.portfolio.gaps(symbol, {}, now_ns)
        weights = [(s, abs(g)) for s, g in gaps.items() if g * plan.side > 0]
        lots = {s: q for s, q in split_pro_rata(plan.qty, weights) if q}
        stop = None if plan.reducing else self._widest_stop(symbol, plan.side, sorted(lots))
        signature = (plan.side, plan.qty, stop, plan.purpose, tuple(sorted(lots.items())))
        if self._recently_refused(("target", symbol), signature, now_ns):
            return
        order = Order(
            self.ids.next(),
            symbol,
            plan.side,
            plan.qty,
            kind,
            price_ticks=price,
            protective_stop_ticks=stop,
            sleeve="+".join(sorted(lots)),
            tif=TimeInForce.IOC,
            purpose=plan.purpose,
            created_ns=now_ns,
        )
        reason = (
            "no protective stop among the sleeves served"
            if not plan.reducing and stop is None
            else ""
        )
        decision = self.risk.check(order, now_ns) if not reason else None
        if decision is None or not decision.approved:
            reason = reason or (decision.reason if decision else "")
            self._refuse(
                ("target", symbol), signature, order, tuple(sorted(lots)), reason, now_ns, out
            )
            return
        self.portfolio.register_order(order.order_id, lots, stop_ticks=stop)
        self._target_signatures[order.order_id] = signature
        self._submit(order, decision.reducing, tuple(sorted(lots)), now_ns, out)

    def _widest_stop(self, symbol: str, side: Side, sleeves: list[str]) -> int | None:
        stops = []
        for sleeve in sleeves:
            target = self.portfolio.target(sleeve, symbol)
            if target is None or target.stop_ticks is None:
                return None
            stops.append(target.stop_ticks)
        if not stops:
            return None
        return min(stops) if side == Side.BUY else max(stops)

    def _in_the_way(
        self,
        symbol: str,
        side: Side,
        kind: OrderType,
        price: int | None,
        now_ns: int,
        out: ExecutionOutput,
    ) -> bool:
        """Cancel own quotes a new order would trade with; True while any is still live, or
        while an own stop could hit it (a stop through the market: it waits for the stop)."""
        blocking = False
        for t in self._live(symbol, Purpose.QUOTE, Purpose.STOP):
            if t.order.side == side:
                continue
            if any(self._crosses(side, kind, price, t.order.order_type, p) for p in t.prices()):
                blocking = True
                if t.order.purpose == Purpose.QUOTE:
                    self._cancel(t, now_ns, out, "a target order would hit it")
        return blocking

    @staticmethod
    def _crosses(
        side: Side,
        kind: OrderType,
        price: int | None,
        other_kind: OrderType,
        other_price: int | None,
    ) -> bool:
        if side == Side.BUY:
            return crosses(kind, price, other_kind, other_price)
        return crosses(other_kind, other_price, kind, price)

    def _reducing_qty(self, symbol: str, side: Side) -> int:
        """Lots the venue may still fill on `side`: stops, exits, and quotes placed before the
        position (being cancelled, but they may fill first and reduce it too)."""
        return sum(t.venue_qty for t in self._live(symbol) if t.order.side == side)

    # ---- protective stops --------------------------------------------------------------------

    def _sync_stops(self, symbol: str, now_ns: int, out: ExecutionOutput, exit_qty: int) -> None:
        net = self.portfolio.net_position(symbol)
        stops = self._live(symbol, Purpose.STOP)
        side = Side.SELL if net > 0 else Side.BUY
        for t in stops:
            if net == 0 or t.order.side != side:
                self._cancel(t, now_ns, out, "position changed")
        if net == 0:
            return
        others = sum(
            t.venue_qty
            for t in self._live(symbol)
            if t.order.side == side and t.reducing and t.order.purpose != Purpose.STOP
        )
        room = max(0, abs(net) - others - exit_qty)
        sign = 1 if net > 0 else -1
        schedule = stop_schedule(
            sign, room, self.portfolio.stop_lots(symbol), self.risk.approved_stops(symbol)
        )
        if sum(q for _, q in schedule) < room:
            self._fail_stop(symbol, f"no stop price known for {symbol} position {net}", now_ns)
        mine = [t for t in stops if t.order.side == side and t.pending != "cancel"]
        mine.sort(key=lambda t: (-sign * (t.order.trigger_ticks or 0), t.order.order_id))
        venue = sum(t.venue_qty for t in stops if t.order.side == side)
        grow: list[tuple[Tracked | None, int, int]] = []
        for i, (trigger, qty) in enumerate(schedule):
            have = mine[i] if i < len(mine) else None
            if have is None or (not have.pending and qty > have.remaining):
                grow.append((have, trigger, qty))
            elif (
                not have.pending
                and (have.order.trigger_ticks, have.remaining) != (trigger, qty)
                and self._clear_way(symbol, side, trigger, now_ns, out)
            ):
                self._replace(have, qty, None, trigger, now_ns, out)
        for extra in mine[len(schedule) :]:
            self._cancel(extra, now_ns, out, "stop no longer needed")
        for have, trigger, qty in grow:  # only into room the venue has already freed
            add = qty - (have.venue_qty if have is not None else 0)
            if venue + add > room or not self._clear_way(symbol, side, trigger, now_ns, out):
                self._busy = True
                continue
            venue += add
            if have is not None:
                self._replace(have, qty, None, trigger, now_ns, out)
            else:
                self._new_stop(symbol, side, qty, trigger, now_ns, out)

    def _clear_way(
        self, symbol: str, side: Side, trigger: int, now_ns: int, out: ExecutionOutput
    ) -> bool:
        """Protection does not wait for quotes: own quotes a stop could hit once triggered are
        cancelled in the same call, ahead of the stop in the command list (the venue takes
        commands in order, so it never holds both).  A target order in flight that the stop
        could hit is waited for (an IOC: it is done within the round trip).  False: wait."""
        clear = True
        for t in self._live(symbol, Purpose.QUOTE, *TARGET_PURPOSES):
            if t.order.side != side and any(
                self._crosses(side, OrderType.STOP, trigger, t.order.order_type, p)
                for p in t.prices()
            ):
                if t.order.purpose == Purpose.QUOTE:
                    self._cancel(t, now_ns, out, "a protective stop could hit it")
                else:
                    clear = False
        return clear

    def _new_stop(
        self, symbol: str, side: Side, qty: int, trigger: int, now_ns: int, out: ExecutionOutput
    ) -> None:
        order = Order(
            self.ids.next(),
            symbol,
            side,
            qty,
            OrderType.STOP,
            trigger_ticks=trigger,
            purpose=Purpose.STOP,
            created_ns=now_ns,
        )
        decision = self.risk.check(order, now_ns)
        if not decision.approved:
            self._log(now_ns, "execution.refused", order_id=order.order_id, reason=decision.reason)
            why = f"protective stop refused: {decision.reason}"
            self._fail_stop(symbol, why, now_ns, recoverable=True)
            return
        self._submit(order, decision.reducing, (), now_ns, out)

    def _fail_stop(self, symbol: str, reason: str, now_ns: int, recoverable: bool = False) -> None:
        """No stop can protect the position: block new risk and take the instrument flat.

        `recoverable`: the venue or the risk engine answered (refused, rejected), so once the
        instrument is flat with nothing working its state is certain again and, after a
        cool-down, trading it may resume (`_recover_stop`), a few times a day at most.  A stop
        that was never answered, or any failure past the day's allowance, blocks until the
        next day (`resume`) or an operator's clear."""
        if symbol in self._stop_failed:
            return
        self._version += 1
        self._stop_failed[symbol] = reason
        count = self._stop_failures_today.get(symbol, 0) + 1
        self._stop_failures_today[symbol] = count
        if recoverable and count < self.config.stop_failures_per_day:
            self._stop_retry_at[symbol] = now_ns + self.config.stop_failure_cooldown_ns
        else:
            self._stop_retry_at.pop(symbol, None)
        self._log(now_ns, "execution.stop_failed", symbol=symbol, reason=reason)
        self.risk.block(f"stop:{symbol}", reason, now_ns)
        self.portfolio.hold_flat(symbol, reason, now_ns)

    def _recover_stop(self, symbol: str, now_ns: int) -> None:
        """Lift a recoverable stop failure once it is safe: the cool-down is over, the
        instrument is flat with no order of ours working, and nothing else holds it (no
        account-wide halt; the flat hold is still the stop failure's own)."""
        reason = self._stop_failed.get(symbol)
        if (
            reason is None
            or now_ns < self._stop_retry_at[symbol]
            or self._halt is not None
            or self.portfolio.net_position(symbol) != 0
            or self._has_orders(symbol)
        ):
            return
        del self._stop_retry_at[symbol], self._stop_failed[symbol]
        self._version += 1
        if self.portfolio.held_flat(symbol) == reason:
            self.portfolio.release(symbol, now_ns)
        self.risk.unblock(f"stop:{symbol}", now_ns)
        self._log(
            now_ns,
            "execution.stop_recovered",
            symbol=symbol,
            failures_today=self._stop_failures_today.get(symbol, 0),
        )

    # ---- quotes ------------------------------------------------------------------------------

    def _quote(self, sleeve: str, symbol: str, side: Side) -> Tracked | None:
        oid = self._quote_ids.get((sleeve, symbol, side))
        return self.orders.get(oid) if oid is not None else None

    def _sync_quotes(
        self, symbol: str, now_ns: int, out: ExecutionOutput, plan: _Plan | None
    ) -> None:
        net = self.portfolio.net_position(symbol)
        fence = None
        if plan is not None:
            fence = (plan.side, self._target_price(symbol, plan))
        sleeves = set(self.portfolio.quoting(symbol))
        sleeves |= {s for s, sym, _ in self._quote_ids if sym == symbol}
        for sleeve in sorted(sleeves):
            quotes = self.portfolio.quotes(sleeve, symbol)
            if self._halt is not None or symbol in self._stop_failed:
                quotes = None
            for side in (Side.BUY, Side.SELL):
                want = None if quotes is None else (quotes.bid if side == Side.BUY else quotes.ask)
                t = self._quote(sleeve, symbol, side)
                wanted = want is not None
                want = self._quote_allowed(sleeve, symbol, side, want, net, t, fence)
                self._busy |= wanted and want is None
                if want is None:
                    if t is not None:
                        self._cancel(t, now_ns, out, "quote pulled")
                    continue
                if quotes is None:  # a wanted quote always comes from the sleeve's quotes
                    raise RuntimeError(f"quote for {sleeve}/{symbol} without its Quotes")
                offset = quotes.stop_offset_ticks
                if t is None:
                    self._new_quote(sleeve, symbol, side, want, offset, now_ns, out)
                elif not t.pending and (t.order.price_ticks, t.remaining) != (
                    want.price_ticks,
                    want.qty,
                ):
                    self._move_quote(t, sleeve, want, offset, now_ns, out)

    def _quote_allowed(
        self,
        sleeve: str,
        symbol: str,
        side: Side,
        want: QuoteSide | None,
        net: int,
        mine: Tracked | None,
        fence: tuple[Side, int | None] | None,
    ) -> QuoteSide | None:
        """The quote that may rest: none against a held position, none that crosses another
        own order or the target order about to go, size within the sleeve's max contracts."""
        if want is None or (net and side * net < 0) or symbol in self._stale:
            return None
        alloc = self.portfolio.allocations.get(sleeve)
        cap = alloc.max_contracts if alloc is not None else 0
        qty = min(want.qty, cap - side * self.portfolio.position(sleeve, symbol))
        if qty <= 0:
            return None
        if fence is not None and fence[0] != side:
            kind = OrderType.MARKET if fence[1] is None else OrderType.LIMIT
            if self._crosses(fence[0], kind, fence[1], OrderType.LIMIT, want.price_ticks):
                return None
        for t in self._live(symbol):
            if t is mine or t.order.side == side:
                continue
            for p in t.prices():
                if self._crosses(side, OrderType.LIMIT, want.price_ticks, t.order.order_type, p):
                    return None
        return QuoteSide(want.price_ticks, qty)

    def _new_quote(
        self,
        sleeve: str,
        symbol: str,
        side: Side,
        want: QuoteSide,
        offset: int,
        now_ns: int,
        out: ExecutionOutput,
    ) -> None:
        key = ("quote", sleeve, symbol, side.name)
        signature = (want.price_ticks, want.qty, offset)
        if self._recently_refused(key, signature, now_ns) or not self._rate_ok(symbol, now_ns):
            return
        order = Order(
            self.ids.next(),
            symbol,
            side,
            want.qty,
            OrderType.LIMIT,
            price_ticks=want.price_ticks,
            protective_stop_ticks=want.price_ticks - int(side) * offset,
            sleeve=sleeve,
            purpose=Purpose.QUOTE,
            created_ns=now_ns,
        )
        decision = self.risk.check(order, now_ns)
        if not decision.approved:
            self._refuse(key, signature, order, (sleeve,), decision.reason, now_ns, out)
            return
        self.portfolio.register_order(order.order_id, {sleeve: want.qty}, stop_offset_ticks=offset)
        self._quote_ids[(sleeve, symbol, side)] = order.order_id
        self._submit(order, decision.reducing, (sleeve,), now_ns, out)

    def _move_quote(
        self,
        t: Tracked,
        sleeve: str,
        want: QuoteSide,
        offset: int,
        now_ns: int,
        out: ExecutionOutput,
    ) -> None:
        if not self._rate_ok(t.order.symbol, now_ns):
            return
        after = replace(
            t.order,
            qty=want.qty,
            price_ticks=want.price_ticks,
            protective_stop_ticks=want.price_ticks - int(t.order.side) * offset,
        )
        decision = self.risk.check_replace(t.order, after, now_ns)
        if not decision.approved:
            self._notify(out, (sleeve,), t.order, "refused", decision.reason, now_ns)
            self._log(
                now_ns, "execution.refused", order_id=t.order.order_id, reason=decision.reason
            )
            self._cancel(t, now_ns, out, f"move refused: {decision.reason}")
            return
        self.portfolio.register_order(
            t.order.order_id, {sleeve: want.qty}, stop_offset_ticks=offset
        )
        self._send_replace(t, after, now_ns, out)

    def _rate_ok(self, symbol: str, now_ns: int) -> bool:
        if self.rate.allows(symbol, now_ns):
            self._throttled.discard(symbol)
            return True
        if symbol not in self._throttled:
            self._log(now_ns, "execution.throttled", symbol=symbol)
        self._throttled.add(symbol)
        return False

    # ---- sending -------------------------------------------------------------------------------

    def _submit(
        self,
        order: Order,
        reducing: bool,
        sleeves: tuple[str, ...],
        now_ns: int,
        out: ExecutionOutput,
    ) -> None:
        self._version += 1
        self.orders[order.order_id] = Tracked(
            order, reducing=reducing, pending_since_ns=now_ns, sleeves=sleeves
        )
        self.rate.record(order.symbol, now_ns)
        out.commands.append(SubmitOrder(order))
        self._log(now_ns, "execution.submit", **_fields(order))

    def _replace(
        self,
        t: Tracked,
        qty: int,
        price: int | None,
        trigger: int | None,
        now_ns: int,
        out: ExecutionOutput,
    ) -> None:
        """Move a stop: risk-checked first; a refusal is a stop failure."""
        after = replace(t.order, qty=qty, price_ticks=price, trigger_ticks=trigger)
        decision = self.risk.check_replace(t.order, after, now_ns)
        if not decision.approved:
            why = f"stop move refused: {decision.reason}"
            self._fail_stop(t.order.symbol, why, now_ns, recoverable=True)
            return
        self._send_replace(t, after, now_ns, out)

    def _send_replace(self, t: Tracked, after: Order, now_ns: int, out: ExecutionOutput) -> None:
        """`after.qty` is what may still fill; the venue gets the total (FIX OrderQty)."""
        self._version += 1
        total = replace(after, qty=after.qty + t.filled)
        t.pending, t.pending_since_ns, t.pending_order = "replace", now_ns, total
        self.rate.record(after.symbol, now_ns)
        out.commands.append(
            ReplaceOrder(
                after.order_id, after.symbol, total.qty, after.price_ticks, after.trigger_ticks
            )
        )
        self._log(
            now_ns,
            "execution.replace",
            order_id=after.order_id,
            qty=total.qty,
            price_ticks=after.price_ticks,
            trigger_ticks=after.trigger_ticks,
        )

    def _cancel(self, t: Tracked, now_ns: int, out: ExecutionOutput, reason: str) -> None:
        if t.pending == "cancel" or not t.live:
            return
        self._version += 1
        t.pending, t.pending_since_ns = "cancel", now_ns
        self.rate.record(t.order.symbol, now_ns)
        out.commands.append(CancelOrder(t.order.order_id, t.order.symbol, reason))
        self._log(now_ns, "execution.cancel", order_id=t.order.order_id, reason=reason)

    def _recently_refused(
        self, key: tuple[str, ...], signature: tuple[Any, ...], now_ns: int
    ) -> bool:
        last = self._refused.get(key)
        return last is not None and last[0] == signature and now_ns < last[1]

    def _refuse(
        self,
        key: tuple[str, ...],
        signature: tuple[Any, ...],
        order: Order,
        sleeves: tuple[str, ...],
        reason: str,
        now_ns: int,
        out: ExecutionOutput,
    ) -> None:
        self._refused[key] = (signature, now_ns + self.config.refusal_retry_ns)
        self._log(
            now_ns, "execution.refused", **_fields(order), sleeves=list(sleeves), reason=reason
        )
        self._notify(out, sleeves, order, "refused", reason, now_ns)

    # ---- venue reports -----------------------------------------------------------------------

    def _notify(
        self,
        out: ExecutionOutput,
        sleeves: Iterable[str],
        order: Order,
        status: str,
        reason: str,
        now_ns: int,
    ) -> None:
        for sleeve in sleeves:
            out.updates.append(
                (sleeve, OrderUpdate(now_ns, order.order_id, order.symbol, status, reason))
            )

    def _on_report(
        self,
        event: OrderAccepted | OrderRejected | OrderCanceled | OrderReplaced,
        now_ns: int,
        out: ExecutionOutput,
    ) -> str | None:
        t = self.orders.get(event.order_id)
        if t is None:
            self._log(
                now_ns, "execution.ignored", kind=type(event).__name__, order_id=event.order_id
            )
            return None
        o = t.order
        if isinstance(event, OrderAccepted):
            if t.pending == "new":
                t.pending = ""
            if t.status == OrderStatus.PENDING_NEW:
                t.status = OrderStatus.WORKING
            if o.purpose == Purpose.QUOTE and o.price_ticks is not None:
                self.queue.place(o.order_id, o.symbol, o.side.index, o.price_ticks, t.remaining)
            self._notify(out, t.sleeves, o, "accepted", "", now_ns)
        elif isinstance(event, OrderRejected):
            self._finish(t, OrderStatus.REJECTED, event.reason, now_ns, out)
            if o.purpose == Purpose.STOP:
                why = f"protective stop {o.order_id} rejected: {event.reason}"
                self._fail_stop(o.symbol, why, now_ns, recoverable=True)
        elif isinstance(event, OrderCanceled):
            if o.purpose == Purpose.STOP and t.pending != "cancel":
                self._log(
                    now_ns, "execution.stop_lost", order_id=o.order_id, reason=event.reason
                )  # placed again by the sync that follows
            self._finish(t, OrderStatus.CANCELED, event.reason or "canceled", now_ns, out)
        else:
            t.order = replace(
                o,
                qty=event.qty,
                price_ticks=event.price_ticks if event.price_ticks is not None else o.price_ticks,
                trigger_ticks=(
                    event.trigger_ticks if event.trigger_ticks is not None else o.trigger_ticks
                ),
            )
            t.pending, t.pending_order = "", None
            if t.status == OrderStatus.PENDING_NEW:
                t.status = OrderStatus.WORKING
            if o.purpose == Purpose.QUOTE and t.order.price_ticks is not None:
                self.queue.resize(o.order_id, t.order.price_ticks, t.remaining)
            self._notify(out, t.sleeves, t.order, "replaced", "", now_ns)
            if t.remaining == 0:
                self._finish(t, OrderStatus.FILLED, "replaced down to its fills", now_ns, out)
        return o.symbol

    def _on_cancel_rejected(
        self, event: CancelRejected, now_ns: int, out: ExecutionOutput
    ) -> str | None:
        t = self.orders.get(event.order_id)
        if t is None:
            return None
        was = t.pending
        if was == "replace":
            self.risk.undo_replace(t.order, t.remaining, t.reducing)
        t.pending, t.pending_order = "", None
        self._log(
            now_ns,
            "execution.cancel_rejected",
            order_id=event.order_id,
            op=was,
            reason=event.reason,
            gone=event.order_gone,
        )
        if event.order_gone:
            self._finish(t, OrderStatus.CANCELED, f"gone: {event.reason}", now_ns, out)
        elif t.order.purpose == Purpose.STOP and was == "replace":
            why = f"protective stop {t.order.order_id} could not be moved: {event.reason}"
            self._fail_stop(t.order.symbol, why, now_ns, recoverable=True)
        return t.order.symbol

    def _finish(
        self, t: Tracked, status: OrderStatus, why: str, now_ns: int, out: ExecutionOutput
    ) -> None:
        """Terminal: the order leaves the live set for good and releases its reservation."""
        self._version += 1
        o = t.order
        t.status, t.pending, t.pending_order = status, "", None
        self.orders.pop(o.order_id, None)
        self.done[o.order_id] = t
        while len(self.done) > _DONE_KEPT:
            old, _ = self.done.popitem(last=False)
            self.portfolio.forget_order(old)
        out.risk_actions.extend(self.risk.on_done(o.order_id, now_ns, why))
        self.queue.remove(o.order_id)
        signature = self._target_signatures.pop(o.order_id, None)
        expired = status == OrderStatus.CANCELED and t.filled == 0 and o.price_ticks is not None
        if signature is not None and (status == OrderStatus.REJECTED or expired):
            # the venue rejected it, or a bounded IOC found nothing within its price (the mark
            # is a stale print, the book gapped away): the same order waits `refusal_retry_ns`
            # instead of being sent again at once, over and over (the stops rest meanwhile)
            self._refused[("target", o.symbol)] = (signature, now_ns + self.config.refusal_retry_ns)
        if o.purpose == Purpose.QUOTE:
            key = (o.sleeve, o.symbol, o.side)
            if self._quote_ids.get(key) == o.order_id:
                del self._quote_ids[key]
        if status != OrderStatus.FILLED:
            self._notify(out, t.sleeves, o, str(status), why, now_ns)

    def _on_fill(self, fill: Fill, now_ns: int, out: ExecutionOutput) -> None:
        t = self.orders.get(fill.order_id)
        actions = self.risk.on_fill(
            fill.order_id, fill.symbol, int(fill.side), fill.qty, fill.price_ticks, now_ns
        )
        if t is None or fill.qty > t.venue_qty:
            why = "fill for an order not working" if t is None else "overfill"
            self._log(now_ns, "execution.anomaly", kind=why, order_id=fill.order_id, qty=fill.qty)
            self.risk.block(f"fill:{fill.symbol}", f"{why}: {fill.order_id}", now_ns)
        if t is not None and t.order.purpose == Purpose.STOP:
            out.fills.extend(self.portfolio.attribute_stop(fill))
        else:
            out.fills.extend(self.portfolio.attribute(fill))
        self._log(
            now_ns,
            "execution.fill",
            order_id=fill.order_id,
            symbol=fill.symbol,
            side=fill.side.name,
            qty=fill.qty,
            price_ticks=fill.price_ticks,
            position=self.portfolio.net_position(fill.symbol),
        )
        if t is not None:
            t.filled += fill.qty
            t.status = OrderStatus.PARTIALLY_FILLED
            if t.pending == "new":  # a fill is the venue's acknowledgement too
                t.pending = ""
            if t.order.purpose == Purpose.QUOTE and t.order.price_ticks is not None:
                self.queue.resize(t.order.order_id, t.order.price_ticks, t.remaining)
            if (t.venue_qty if t.pending == "replace" else t.remaining) <= 0 or (
                fill.leaves_qty <= 0 and t.pending != "replace"
            ):
                status = OrderStatus.FILLED if t.remaining == 0 else OrderStatus.CANCELED
                self._finish(
                    t, status, "filled" if t.remaining == 0 else "rest cancelled", now_ns, out
                )
        out.risk_actions.extend(actions)  # the kernel acts on them (`apply_risk_actions`)

    def _log(self, ts_ns: int, event: str, **fields: Any) -> None:
        self.events.append(LogRecord(ts_ns, event, fields))

    def drain_events(self) -> list[LogRecord]:
        events, self.events = self.events, []
        return events
