"""The risk engine: pre-trade checks on every order, and the ACTIVE/REDUCING/HALTED states.

Pure domain code: it is told the time, the fills and the marks, and answers with decisions,
actions (cancel everything, flatten everything, protect a position) and events.  It does no I/O;
the caller logs and persists the events.  The live bot and the backtester drive the same object.

Buffers are measured to the bot's safety lines, not to Topstep's limits: the day's buffer is
(day's net P&L + DLL safety threshold) and the account's is (equity - floor - MLL margin).  An
order is approved only if the worst case (every open contract stopped out at the protective stop
actually working for it, plus a gap allowance, and every working entry filled at the worst price
it may fill at and stopped out the same way, with exit fees) still fits in the smaller buffer.

How the caller drives it (the trading core's contract):

* `start_day(day, account, now)` once per trading day (again after a restart: the same day keeps
  its realized P&L, fees and halts; only a new day resets them).
* `check(req, now)` before sending any order; send it only if approved.  An approved MARKET or
  STOP entry carries `Decision.entry_bound_ticks`: send it with that protection limit.
* Every protective stop goes to the venue as a reducing STOP order that first passes `check`;
  move it with `check_replace(order_id, new_request, now)` (a cancel/replace), which refuses to
  widen it beyond the buffer.  The engine measures protection only from those working stops: a
  position, or part of one, without one for `stop_grace` blocks new risk and gets a PROTECT
  action; for twice that, a flatten.
* `on_fill`, `on_order_done`, `on_mark`, `on_clock` report what happened; each returns the
  actions to take now.  While flat is required (cutoff, halt, failed account, uncertain state)
  and the book is not flat, every one of them returns CANCEL_ALL + FLATTEN_ALL again, at most
  once per `flatten_retry` unless the position or the working orders changed.
* `drain_events()` hands over what to log and persist; `snapshot()`/`restore()` survive restarts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from bot.instruments.specs import Instrument, ProductGroup
from bot.model.orders import Purpose
from bot.risk.limits import RiskLimits
from bot.risk.orders import Decision, OrderRequest, OrderType, Side
from bot.risk.positions import Position, stop_out_cents
from bot.risk.snapshot import parse_snapshot
from bot.rules.account import AccountState


class RiskState(StrEnum):
    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"  # only orders that reduce exposure
    HALTED_DAY = "HALTED_DAY"  # flat and idle until the next trading day
    HALTED = "HALTED"  # flat and idle until an operator clears it


_SEVERITY = {
    RiskState.ACTIVE: 0,
    RiskState.REDUCING: 1,
    RiskState.HALTED_DAY: 2,
    RiskState.HALTED: 3,
}
_STICKY = (RiskState.HALTED_DAY, RiskState.HALTED)
# Blocks that mean the books may not match the venue: flat is required until they are cleared.
_FLATTEN_BLOCKS = ("unknown_fill", "fill_anomaly", "unprotected_fill")


class ActionKind(StrEnum):
    CANCEL_ALL = "cancel_all"
    FLATTEN_ALL = "flatten_all"
    PROTECT = "protect"  # place the missing protective stop for `symbol` now, or flatten it


@dataclass(frozen=True, slots=True)
class RiskAction:
    kind: ActionKind
    reason: str
    symbol: str | None = None  # PROTECT names its instrument; the others concern everything


@dataclass(frozen=True, slots=True)
class RiskEvent:
    """A structured record of something the engine decided; `event` names the kind."""

    ts: datetime
    event: str
    fields: Mapping[str, Any]


class SessionClock(Protocol):
    """What the engine needs from the trading calendar."""

    def new_risk_allowed(
        self, ts: datetime, group: ProductGroup | None = None
    ) -> tuple[bool, str]: ...

    def trading_day(self, ts: datetime) -> date: ...


@dataclass(slots=True)
class WorkingOrder:
    request: OrderRequest
    remaining: int
    reducing: bool
    entry_bound: int | None = None  # entries: the worst fill price, frozen at approval

    @property
    def protective(self) -> bool:
        """A reducing STOP: the only order counted as a position's protection."""
        return self.reducing and self.request.order_type == OrderType.STOP


@dataclass(slots=True)
class _Day:
    day: date
    sod_balance_cents: int
    floor_cents: int
    max_micros: int
    realized_cents: int = 0
    fees_cents: int = 0


@dataclass(slots=True)
class _PendingMark:
    price: int
    count: int


@dataclass
class RiskEngine:
    limits: RiskLimits
    instruments: Mapping[str, Instrument]
    clock: SessionClock
    state: RiskState = RiskState.HALTED
    state_reason: str = "no trading day started"
    account_failed: bool = False
    positions: dict[str, Position] = field(default_factory=dict)
    marks: dict[str, int] = field(default_factory=dict)
    working: dict[str, WorkingOrder] = field(default_factory=dict)
    blocks: dict[str, str] = field(default_factory=dict)
    events: list[RiskEvent] = field(default_factory=list)
    anomalies: dict[str, int] = field(default_factory=dict)  # counted data/fill anomalies
    _day: _Day | None = None
    _started: bool = False
    _pending_marks: dict[str, _PendingMark] = field(default_factory=dict)
    _unprotected_since: dict[str, datetime] = field(default_factory=dict)
    # request key -> (when, reason, book fingerprint) of the last request sent
    _requested: dict[str, tuple[datetime, str, tuple[Any, ...]]] = field(default_factory=dict)
    # False: every evaluation takes the full path (the reference the fast paths are tested on)
    fast_paths: bool = field(default=True, repr=False, compare=False)
    # `limits.mark_jump` as an exact integer ratio, for the limits object it was taken from
    _jump: tuple[int, int] | None = field(default=None, repr=False, compare=False)
    _jump_for: RiskLimits | None = field(default=None, repr=False, compare=False)

    # ---- day lifecycle -------------------------------------------------------------------

    def start_day(self, day: date, account: AccountState, now: datetime) -> list[RiskAction]:
        """Begin trading day `day` from the account's end-of-day state (balance, floor, tier).

        Called again for the day already in progress (a restart after `restore`), it keeps that
        day's baseline, realized P&L, fees and halts: only a new trading day resets them.  A day
        before the one in progress is refused (ValueError)."""
        current = self._day
        self.account_failed = self.account_failed or account.failed
        if current is not None and day < current.day:
            raise ValueError(f"trading day {day} is before the day in progress {current.day}")
        if current is not None and day == current.day:
            self._emit(now, "risk.day_resumed", day=day.isoformat(), state=str(self.state))
            return self._evaluate(now)
        tier = min(account.max_micros, self.limits.max_micros_cap)
        self._day = _Day(day, account.balance_cents, account.floor_cents, tier)
        if not self._started or self.state == RiskState.HALTED_DAY:
            self._started = True
            self._set_state(RiskState.ACTIVE, f"trading day {day} started", now)
        self._emit(
            now,
            "risk.day_started",
            day=day.isoformat(),
            sod_balance_cents=account.balance_cents,
            floor_cents=account.floor_cents,
            max_micros=tier,
        )
        return self._evaluate(now)

    def operator_clear(self, now: datetime, operator: str) -> bool:
        """Clear HALTED by hand.  Refused once the account has failed: that is final."""
        if not operator.strip():
            raise ValueError("an operator name is required to clear a halt")
        if self.account_failed:
            self._emit(now, "risk.clear_refused", operator=operator, reason="account failed")
            return False
        if self.state == RiskState.HALTED:
            self._set_state(RiskState.ACTIVE, f"cleared by operator {operator}", now)
            self._evaluate(now)
        return True

    # ---- fail-closed inputs ----------------------------------------------------------------

    def block(self, key: str, reason: str, now: datetime) -> None:
        """Stop new risk while something is uncertain (stale data, lost session, ...)."""
        if self.blocks.get(key) != reason:
            self.blocks[key] = reason
            self._emit(now, "risk.blocked", key=key, reason=reason)

    def unblock(self, key: str, now: datetime) -> None:
        if self.blocks.pop(key, None) is not None:
            self._emit(now, "risk.unblocked", key=key)

    # ---- measurements --------------------------------------------------------------------

    def unrealized_cents(self) -> int:
        total = 0
        for sym, pos in self.positions.items():
            if pos.lots:
                total += pos.unrealized_cents(self.marks[sym])
        return total

    def day_net_cents(self) -> int:
        """The day's net P&L: realized + unrealized - fees (what Topstep's DLL watches)."""
        if self._day is None:
            return 0
        return self._day.realized_cents + self.unrealized_cents() - self._day.fees_cents

    def equity_cents(self) -> int:
        return (self._day.sod_balance_cents if self._day else 0) + self.day_net_cents()

    def buffer_cents(self) -> int:
        """Room left before the nearer of the two safety lines."""
        day = self._day
        if day is None:
            return 0
        net = self.day_net_cents()
        day_room = net + self.limits.dll_safety_cents
        equity = day.sod_balance_cents + net  # = equity_cents()
        account_room = equity - day.floor_cents - self.limits.mll_safety_margin_cents
        return min(day_room, account_room)

    def worst_case_cents(self, extra: OrderRequest | None = None) -> int:
        """Loss from here if everything open were stopped out at the stops working for it (its
        declared stops where none works) and every working entry filled at its bound and were
        stopped out too.  `extra`: an entry being checked, counted as if working.

        An entry that would add to an open position is measured as lots of that position (see
        `_position_stop_out_cents`), so the number is the same before and after it fills."""
        joining: dict[str, list[tuple[int, int]]] = {}  # symbol -> [(loss per lot, lots)]
        entries: list[tuple[OrderRequest, int, int | None]] = []
        for order in self.working.values():
            if order.reducing:
                continue
            # a WorkingOrder made outside `check` (a caller restoring a refused replace) has no
            # frozen bound: measure it as `check` would now
            if order.entry_bound is None:
                order.entry_bound = self._entry_bound(order.request)
            entries.append((order.request, order.remaining, order.entry_bound))
        if extra is not None:
            entries.append((extra, extra.qty, self._entry_bound(extra)))
        total = 0
        for request, qty, bound in entries:
            if bound is None:
                continue
            position = self.positions.get(request.symbol)
            stop = request.protective_stop_ticks
            if (
                position is not None
                and position.lots
                and position.sign == request.side
                and stop is not None
            ):
                # once filled: its entry fee and its fill against the mark (a loss if worse,
                # a gain if better) are in the day whatever covers it; the rest is a lot of
                # the position like any other.  Together: exactly its loss from the bound.
                inst, mark = position.instrument, self.marks[request.symbol]
                slip = (bound - mark) * request.side
                total += inst.pnl_cents(slip, qty) + inst.fee_per_side_cents * qty
                gap = self.limits.gap_allowance_ticks
                per_lot = stop_out_cents(inst, position.sign, 1, mark, stop, gap)
                joining.setdefault(request.symbol, []).append((per_lot, qty))
            else:
                total += self._entry_loss_cents(request, qty, bound)
        for symbol in self.positions:
            total += self._position_stop_out_cents(symbol, joining.get(symbol, ()))
        return total

    def _position_stop_out_cents(self, symbol: str, joining: Iterable[tuple[int, int]] = ()) -> int:
        """The position's working stops cover its lots (widest trigger first: the cover is
        never overstated); the lots no stop covers are the costliest ones: of its own lots at
        their declared stops and of the entries `joining` it (loss per lot from the mark, as
        once filled), since once those fill, nothing tells which lots a stop covers."""
        position = self.positions[symbol]
        if not position.lots:
            return 0
        mark, gap = self.marks[symbol], self.limits.gap_allowance_ticks
        left = abs(position.qty)
        total = 0
        for order in self._stops(symbol):
            take = min(left, order.remaining)
            trigger = order.request.trigger_ticks
            if take <= 0 or trigger is None:
                break
            total += stop_out_cents(position.instrument, position.sign, take, mark, trigger, gap)
            left -= take
        joining = list(joining)
        left += sum(lots for _, lots in joining)
        return total + position.stop_out_loss_cents(mark, gap, left, joining)

    def _stops(self, symbol: str) -> list[WorkingOrder]:
        sign = self._position(symbol).sign
        stops = [o for o in self.working.values() if o.protective and o.request.symbol == symbol]
        return sorted(stops, key=lambda o: sign * (o.request.trigger_ticks or 0))

    def unprotected_qty(self, symbol: str) -> int:
        """Contracts of `symbol`'s position that no working protective stop covers."""
        covered = sum(o.remaining for o in self._stops(symbol))
        return max(0, abs(self._position(symbol).qty) - covered)

    @property
    def max_micros(self) -> int:
        return self._day.max_micros if self._day else 0

    def exposure_micros(self) -> int:
        """Open contracts plus working entries, in micro contracts (each micro is one contract;
        the tier is already in micros by `MICROS_PER_LOT`)."""
        held = sum(abs(p.qty) for p in self.positions.values())
        pending = sum(o.remaining for o in self.working.values() if not o.reducing)
        return held + pending

    def is_flat(self) -> bool:
        """No open contract and no working order."""
        return not any(p.lots for p in self.positions.values()) and not self.working

    # ---- pre-trade check -------------------------------------------------------------------

    def check(self, req: OrderRequest, now: datetime) -> Decision:
        """Approve or deny one order; approved orders reserve their risk until done."""
        decision = self._decide(req, now)
        if decision.approved:
            self.working[req.order_id] = WorkingOrder(
                req, req.qty, decision.reducing, decision.entry_bound_ticks
            )
            self._track_protection(now)
        self._emit_decision(req, decision, now)
        return decision

    def check_replace(self, order_id: str, new: OrderRequest, now: datetime) -> Decision:
        """Approve or deny a cancel/replace of working order `order_id` by `new` (same symbol
        and side; `new.qty` is the quantity left to fill; `new.order_id` may be a new id).  The
        new order is judged as if the old one were gone, by the rules of `check`: a protective
        stop may move closer freely but not widen the worst case beyond the buffer.  Approved:
        the old order is forgotten and the new one is working.  Denied: the old one stays."""
        old = self.working.get(order_id)
        if old is None:
            decision = Decision(False, f"no working order {order_id!r} to replace")
        elif (new.symbol, new.side) != (old.request.symbol, old.request.side):
            decision = Decision(False, "a replace may not change the symbol or the side")
        else:
            del self.working[order_id]
            decision = self._decide(new, now)
            if decision.approved:
                self.working[new.order_id] = WorkingOrder(
                    new, new.qty, decision.reducing, decision.entry_bound_ticks
                )
                self._track_protection(now)
            else:
                self.working[order_id] = old
        self._emit_decision(new, decision, now, replaces=order_id)
        return decision

    def _emit_decision(
        self, req: OrderRequest, decision: Decision, now: datetime, replaces: str | None = None
    ) -> None:
        self._emit(
            now,
            "risk.decision",
            order_id=req.order_id,
            replaces=replaces,
            symbol=req.symbol,
            side=req.side.name,
            qty=req.qty,
            order_type=str(req.order_type),
            sleeve=req.sleeve,
            approved=decision.approved,
            reason=decision.reason,
            reducing=decision.reducing,
            worst_case_cents=decision.worst_case_cents,
            buffer_cents=decision.buffer_cents,
            entry_bound_ticks=decision.entry_bound_ticks,
            state=str(self.state),
        )

    def _decide(self, req: OrderRequest, now: datetime) -> Decision:
        invalid = self._invalid(req)
        if invalid:
            return Decision(False, invalid)
        position = self._position(req.symbol).qty
        if position and req.side == -_sign(position):
            return self._decide_exit(req, abs(position))
        return self._decide_entry(req, now)

    def _decide_exit(self, req: OrderRequest, size: int) -> Decision:
        """Reducing orders pass in any state, within the position.  Protective STOPs and other
        exits are counted separately (a stop and a take-profit may both work for one lot); a
        protective stop may not raise the worst case past the buffer (or past the worst case
        already there, when the buffer is gone): it may be tighter, never looser than allowed."""
        protective = req.order_type == OrderType.STOP
        pending = sum(
            o.remaining
            for o in self.working.values()
            if o.reducing
            and o.protective == protective
            and (o.request.symbol, o.request.side) == (req.symbol, req.side)
        )
        if req.qty + pending > size:
            kind = "protective stops" if protective else "exits"
            return Decision(
                False,
                f"would exceed the {size}-lot position with {pending} already working as "
                f"{kind} (reduce to flat first; no reversals)",
            )
        if not protective:
            return Decision(True, "reduces exposure", reducing=True)
        before = self.worst_case_cents()
        self.working[req.order_id] = WorkingOrder(req, req.qty, reducing=True)
        try:
            after = self.worst_case_cents()
        finally:
            del self.working[req.order_id]
        buffer = self.buffer_cents()
        if after > max(buffer, before):
            return Decision(
                False,
                f"protective stop too wide: worst case {after / 100:.2f} exceeds the remaining "
                f"buffer {buffer / 100:.2f}",
                worst_case_cents=after,
                buffer_cents=buffer,
            )
        return Decision(
            True, "protective stop", reducing=True, worst_case_cents=after, buffer_cents=buffer
        )

    def _decide_entry(self, req: OrderRequest, now: datetime) -> Decision:
        if self.account_failed:
            return Decision(False, "account failed: no new exposure")
        if self.state != RiskState.ACTIVE:
            return Decision(False, f"state {self.state}: {self.state_reason}")
        if self.blocks:
            why = "; ".join(f"{k}: {v}" for k, v in sorted(self.blocks.items()))
            return Decision(False, f"new risk blocked ({why})")
        instrument = self.instruments[req.symbol]
        allowed, why = self.clock.new_risk_allowed(now, instrument.group)
        if not allowed:
            return Decision(False, why)
        if self._day is None or self.clock.trading_day(now) != self._day.day:
            return Decision(False, "the trading day has not been started for this session")
        if req.protective_stop_ticks is None:
            return Decision(False, "no entry without a protective stop")
        if any(
            not o.reducing
            and o.request.symbol == req.symbol
            and o.request.side != req.side
            and not _both_resting_quotes(o.request, req)
            for o in self.working.values()
        ):
            return Decision(False, "an entry is working on the other side (no two-sided entries)")
        entry = self._entry_bound(req)
        if entry is None:
            return Decision(False, f"no market price for {req.symbol}")
        if (entry - req.protective_stop_ticks) * req.side <= 0:
            return Decision(False, "the protective stop is not on the losing side of the entry")
        mark = self.marks.get(req.symbol)
        if mark is not None and (mark - req.protective_stop_ticks) * req.side <= 0:
            return Decision(False, "the protective stop is already through the market")
        after = self.exposure_micros() + req.qty
        if after > self.max_micros:
            return Decision(
                False,
                f"size: {after} micros would exceed the limit of {self.max_micros}"
                f" (scaling tier, cap {self.limits.max_micros_cap}, "
                f"{self.limits.rules.micros_per_lot} micro(s) per lot)",
            )
        worst = self.worst_case_cents(req)
        buffer = self.buffer_cents()
        if worst > buffer:
            return Decision(
                False,
                f"worst case {worst / 100:.2f} exceeds the remaining buffer {buffer / 100:.2f}",
                worst_case_cents=worst,
                buffer_cents=buffer,
            )
        return Decision(
            True,
            "within limits",
            worst_case_cents=worst,
            buffer_cents=buffer,
            entry_bound_ticks=entry,
        )

    def _invalid(self, req: OrderRequest) -> str:
        if req.symbol not in self.instruments:
            return f"unknown instrument {req.symbol!r}"
        if req.qty <= 0:
            return "quantity must be positive"
        if req.order_id in self.working:
            return f"duplicate order id {req.order_id!r}"
        needs_price = req.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_trigger = req.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
        if needs_price and req.price_ticks is None:
            return f"a {req.order_type} order needs a limit price"
        if needs_trigger and req.trigger_ticks is None:
            return f"a {req.order_type} order needs a stop trigger price"
        return ""

    def _entry_bound(self, req: OrderRequest) -> int | None:
        """The worst price an entry can fill at.  A limit (LIMIT, STOP_LIMIT) is its own bound.
        A STOP becomes a market order when triggered, at once if it is already through the
        market: it is bounded at the worse of trigger and mark, plus the gap allowance.  A
        MARKET order at the mark plus the gap allowance.  The caller sends MARKET and STOP
        entries with this bound as their limit, so the mark cannot outrun the reservation."""
        if req.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            return req.price_ticks
        mark = self.marks.get(req.symbol)
        if mark is None:
            return None
        base = mark
        if req.order_type == OrderType.STOP and req.trigger_ticks is not None:
            base = max(req.trigger_ticks * req.side, mark * req.side) * req.side
        return base + req.side * self.limits.gap_allowance_ticks

    def _entry_loss_cents(self, req: OrderRequest, qty: int, entry: int) -> int:
        instrument = self.instruments[req.symbol]
        stop = req.protective_stop_ticks
        if stop is None:  # cannot happen for approved entries
            raise AssertionError("working entry without a protective stop")
        adverse = max(0, (entry - stop) * req.side) + self.limits.gap_allowance_ticks
        return instrument.pnl_cents(adverse, qty) + 2 * instrument.fee_per_side_cents * qty

    # ---- executions and market -------------------------------------------------------------

    def on_fill(
        self,
        order_id: str,
        qty: int,
        price_ticks: int,
        now: datetime,
        *,
        symbol: str | None = None,
        side: Side | None = None,
    ) -> list[RiskAction]:
        """Account for a fill (partial or full).

        A fill for an order the engine never approved (a broker liquidation, a manual trade) is
        applied if its symbol and side are given.  A fill the order cannot have had (a quantity
        of zero or less) is not applied; an overfill (more than the order had left) is applied,
        since the venue says it happened.  Each of these is an unknown-state event: reported,
        new risk blocked, and flat required until the caller has reconciled and unblocked."""
        order = self.working.get(order_id)
        if qty <= 0:
            reason = f"impossible fill of {qty} lots for order {order_id}"
            self._anomaly(now, "fill_anomaly", reason, order_id=order_id, qty=qty)
            return self._evaluate(now)
        if order is None:
            reason = f"fill for unknown order {order_id}"
            self._anomaly(now, "unknown_fill", reason, order_id=order_id, qty=qty)
            if symbol is None or side is None or symbol not in self.instruments:
                return self._evaluate(now)
            order = WorkingOrder(OrderRequest(order_id, symbol, side, qty), qty, reducing=True)
        elif qty > order.remaining:
            reason = f"overfill: order {order_id} filled {qty} lots with {order.remaining} left"
            self._anomaly(now, "fill_anomaly", reason, order_id=order_id, qty=qty)
        req = order.request
        instrument = self.instruments[req.symbol]
        position = self._position(req.symbol)
        self.marks.setdefault(req.symbol, price_ticks)
        day = self._require_day()
        day.fees_cents += instrument.fee_per_side_cents * qty
        closing = min(qty, abs(position.qty)) if position.sign == -req.side else 0
        if closing:
            day.realized_cents += position.close(closing, price_ticks)
        opening = qty - closing
        if opening:
            stop = req.protective_stop_ticks
            if order.reducing or stop is None:
                stop = price_ticks  # unknown protection: fail closed below
                reason = f"order {order_id} opened {opening} lots without a protective stop"
                self.block("unprotected_fill", reason, now)
            position.open(int(req.side), opening, price_ticks, stop)
            bound = order.entry_bound
            if bound is not None and (price_ticks - bound) * req.side > 0:
                self._emit(
                    now,
                    "risk.anomaly",
                    kind="fill_beyond_bound",
                    order_id=order_id,
                    price_ticks=price_ticks,
                    bound_ticks=bound,
                )
        order.remaining -= qty
        if order.remaining <= 0:
            self.working.pop(order_id, None)
        self._emit(
            now,
            "risk.fill",
            order_id=order_id,
            symbol=req.symbol,
            qty=qty,
            price_ticks=price_ticks,
            position=position.qty,
            day_net_cents=self.day_net_cents(),
        )
        return self._evaluate(now)

    def on_order_done(self, order_id: str, now: datetime, why: str = "done") -> list[RiskAction]:
        """The order can fill no more (cancelled, rejected, expired): release its reservation.
        A protective stop that is gone leaves its lots unprotected (the grace starts now)."""
        if self.working.pop(order_id, None) is not None:
            self._emit(now, "risk.order_done", order_id=order_id, why=why)
        return self._evaluate(now)

    def on_mark(self, symbol: str, price_ticks: int, now: datetime) -> list[RiskAction]:
        """A new mark-to-market price for `symbol`.

        A mark further than `mark_jump` from the last accepted one is a data anomaly, not a
        price: it is counted, blocks new risk and is not used, until `mark_confirmations` marks
        in a row near the new level confirm it.  Breaches are judged on accepted marks only."""
        last = self.marks.get(symbol)
        if last is None or self._near(last, price_ticks):
            self._accept_mark(symbol, price_ticks, now)
            return self._evaluate(now)
        pending = self._pending_marks.get(symbol)
        if pending is not None and self._near(pending.price, price_ticks):
            pending.price, pending.count = price_ticks, pending.count + 1
        else:
            pending = self._pending_marks[symbol] = _PendingMark(price_ticks, 1)
            self.anomalies["mark_jump"] = self.anomalies.get("mark_jump", 0) + 1
            self._emit(
                now, "risk.anomaly", kind="mark_jump", symbol=symbol, mark=price_ticks, last=last
            )
        if pending.count >= self.limits.mark_confirmations:
            self._accept_mark(symbol, price_ticks, now)
        else:
            self.block(
                f"mark:{symbol}",
                f"{symbol} mark {price_ticks} jumped from {last}: waiting for confirmation",
                now,
            )
        return self._evaluate(now)

    def _near(self, reference: int, price: int) -> bool:
        """|price - reference| <= max(|reference| * mark_jump, mark_jump_min_ticks), in integers:
        with mark_jump = p / q (q > 0), x <= max(a, b) is x <= b or x * q <= |reference| * p."""
        limits = self.limits
        if self._jump_for is not limits:
            jump = limits.mark_jump
            self._jump = jump.as_integer_ratio() if jump.is_finite() else None
            self._jump_for = limits
        moved = abs(price - reference)
        if self._jump is None or not self.fast_paths:  # the Decimal rule as written
            band = max(abs(reference) * limits.mark_jump, Decimal(limits.mark_jump_min_ticks))
            return moved <= band
        p, q = self._jump
        return moved <= limits.mark_jump_min_ticks or moved * q <= abs(reference) * p

    def _accept_mark(self, symbol: str, price_ticks: int, now: datetime) -> None:
        self.marks[symbol] = price_ticks
        if self._pending_marks:
            self._pending_marks.pop(symbol, None)
        if self.blocks:
            self.unblock(f"mark:{symbol}", now)

    def on_clock(self, now: datetime) -> list[RiskAction]:
        """The time passed: cutoffs, closes and the protective-stop grace are judged here."""
        return self._evaluate(now)

    # ---- what must be done now -----------------------------------------------------------

    def flat_required(self, now: datetime) -> str | None:
        """Why the book must be flat now (None if it need not be): a halt, a failed account,
        the cutoff or a close for an instrument held or worked, an unknown state, or a position
        left without a working stop for twice the grace."""
        found = self._flat_reason(now)
        return None if found is None else found[0]

    def _flat_reason(self, now: datetime) -> tuple[str, bool] | None:
        """(why, books uncertain): with uncertain books the flatten is asked for even when
        the engine's own books say flat, since they may be wrong."""
        if self.account_failed or self.state in _STICKY:
            return f"state {self.state}: {self.state_reason}", False
        for key in _FLATTEN_BLOCKS:
            if key in self.blocks:
                return self.blocks[key], True
        symbols = {s for s, p in self.positions.items() if p.lots}
        symbols |= {o.request.symbol for o in self.working.values()}
        for symbol in sorted(symbols):
            allowed, why = self.clock.new_risk_allowed(now, self.instruments[symbol].group)
            if not allowed:
                return why, False
        for symbol, since in sorted(self._unprotected_since.items()):
            if now - since >= 2 * self.limits.stop_grace:
                return f"{symbol} position without a working protective stop since {since}", False
        return None

    def _requests(self, now: datetime) -> list[RiskAction]:
        """Flatten while flat is required and the book is not flat; protect positions past the
        grace.  Each request repeats at most once per `flatten_retry` for the same reason,
        unless the position or the working orders changed since it was last made."""
        if (
            self.fast_paths
            and not self.working
            and not self._unprotected_since
            and not any(p.lots for p in self.positions.values())
            and not any(key in self.blocks for key in _FLATTEN_BLOCKS)
        ):
            # Flat, no working order, no flatten block: protection has nothing to track, no
            # instrument is held or worked, so the only reason to be flat is a state whose
            # flatten is not needed while flat; nothing to protect.  The full path below
            # returns [] with no side effect then.
            return []
        actions: list[RiskAction] = []
        self._track_protection(now)
        found = self._flat_reason(now)
        if found is not None and (found[1] or not self.is_flat()):
            why = found[0]
            if self._due("flatten", why, now):
                self._emit(now, "risk.flatten_request", reason=why)
                actions += [
                    RiskAction(ActionKind.CANCEL_ALL, why),
                    RiskAction(ActionKind.FLATTEN_ALL, why),
                ]
            return actions
        for symbol, since in sorted(self._unprotected_since.items()):
            if now - since < self.limits.stop_grace:
                continue
            reason = f"{self.unprotected_qty(symbol)} {symbol} lots without a working stop"
            self.block(f"unprotected:{symbol}", reason, now)
            if self._due(f"protect:{symbol}", reason, now):
                self._emit(now, "risk.protect_request", symbol=symbol, reason=reason)
                actions.append(RiskAction(ActionKind.PROTECT, reason, symbol))
        return actions

    def _track_protection(self, now: datetime) -> None:
        for symbol, position in self.positions.items():
            if position.lots and self.unprotected_qty(symbol):
                self._unprotected_since.setdefault(symbol, now)
            elif self._unprotected_since.pop(symbol, None) is not None:
                self.unblock(f"unprotected:{symbol}", now)

    def _fingerprint(self) -> tuple[Any, ...]:
        held = tuple(sorted((s, p.qty) for s, p in self.positions.items() if p.lots))
        working = tuple(sorted((k, o.remaining) for k, o in self.working.items()))
        return held, working

    def _due(self, key: str, reason: str, now: datetime) -> bool:
        last = self._requested.get(key)
        book = self._fingerprint()
        if (
            last is not None
            and last[1] == reason
            and last[2] == book
            and now - last[0] < self.limits.flatten_retry
        ):
            return False
        self._requested[key] = (now, reason, book)
        return True

    # ---- state machine -----------------------------------------------------------------------

    def _evaluate(self, now: datetime) -> list[RiskAction]:
        if self._day is not None:
            self._transition(now)
        return self._requests(now)

    def _transition(self, now: datetime) -> None:
        already_failed = self.account_failed
        target, reason = self._target_state()
        current = self.state
        newly_failed = self.account_failed and not already_failed
        if not newly_failed and current in _STICKY and _SEVERITY[current] >= _SEVERITY[target]:
            return
        if target == current and not newly_failed:
            return
        self._set_state(target, reason, now)

    def _target_state(self) -> tuple[RiskState, str]:
        day = self._require_day()
        limits, rules = self.limits, self.limits.rules
        net = self.day_net_cents()
        equity, floor = day.sod_balance_cents + net, day.floor_cents  # = equity_cents()
        if self.account_failed:
            return RiskState.HALTED, "account failed"
        if equity <= floor:
            # Marks decide the halt; only fills (realized equity) make the breach final.
            realized = day.sod_balance_cents + day.realized_cents - day.fees_cents
            if realized <= floor:
                self.account_failed = True
                return (
                    RiskState.HALTED,
                    f"MLL breached: equity {equity / 100:.2f} <= floor {floor / 100:.2f}",
                )
            return RiskState.HALTED, (
                f"MLL breached on marks: equity {equity / 100:.2f} <= floor {floor / 100:.2f}"
                " (final only once fills or the account statement confirm it)"
            )
        if net <= -rules.dll_cents:
            return RiskState.HALTED, f"rule breach: daily loss limit reached ({net / 100:.2f})"
        if equity <= floor + limits.mll_safety_margin_cents:
            return RiskState.HALTED, (
                f"MLL safety threshold: equity {equity / 100:.2f} within "
                f"{limits.mll_safety_margin_cents / 100:.2f} of floor {floor / 100:.2f}"
            )
        if net <= -limits.dll_safety_cents:
            return RiskState.HALTED_DAY, f"DLL safety threshold: day's net P&L {net / 100:.2f}"
        sod_buffer = min(
            limits.dll_safety_cents,
            day.sod_balance_cents - floor - limits.mll_safety_margin_cents,
        )
        if -net >= limits.reducing_fraction * sod_buffer:
            return RiskState.REDUCING, (
                f"{limits.reducing_fraction:.0%} of the day's buffer used ({-net / 100:.2f} of "
                f"{sod_buffer / 100:.2f})"
            )
        return RiskState.ACTIVE, "within limits"

    def _set_state(self, new: RiskState, reason: str, now: datetime) -> None:
        old = self.state
        self.state, self.state_reason = new, reason
        self._emit(
            now,
            "risk.transition",
            from_state=str(old),
            to_state=str(new),
            reason=reason,
            day_net_cents=self.day_net_cents(),
            equity_cents=self.equity_cents(),
        )

    # ---- helpers -----------------------------------------------------------------------------

    def _anomaly(self, now: datetime, kind: str, reason: str, **fields: Any) -> None:
        self.anomalies[kind] = self.anomalies.get(kind, 0) + 1
        self._emit(now, "risk.anomaly", kind=kind, reason=reason, **fields)
        self.block(kind, reason, now)

    def _position(self, symbol: str) -> Position:
        if symbol not in self.positions:
            self.positions[symbol] = Position(self.instruments[symbol])
        return self.positions[symbol]

    def _require_day(self) -> _Day:
        if self._day is None:
            raise RuntimeError("no trading day started")
        return self._day

    def _emit(self, ts: datetime, event: str, **fields: Any) -> None:
        self.events.append(RiskEvent(ts, event, fields))

    def drain_events(self) -> list[RiskEvent]:
        """Hand the accumulated events to the caller (to log and persist) and forget them."""
        events, self.events = self.events, []
        return events

    # ---- persistence (plain data; the adapter writes it) ------------------------------------

    def snapshot(self) -> dict[str, Any]:
        day = self._day
        return {
            "state": str(self.state),
            "state_reason": self.state_reason,
            "account_failed": self.account_failed,
            "started": self._started,
            "day": (
                None
                if day is None
                else {
                    "day": day.day.isoformat(),
                    "sod_balance_cents": day.sod_balance_cents,
                    "floor_cents": day.floor_cents,
                    "max_micros": day.max_micros,
                    "realized_cents": day.realized_cents,
                    "fees_cents": day.fees_cents,
                }
            ),
            "positions": {
                sym: {
                    "sign": p.sign,
                    "lots": [[lot.qty, lot.entry_ticks, lot.stop_ticks] for lot in p.lots],
                }
                for sym, p in self.positions.items()
                if p.lots
            },
            "marks": dict(self.marks),
            "blocks": dict(self.blocks),
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Resume from a snapshot: halts survive restarts; working orders come from the broker
        (re-register the venue's working stops through `check`).  Anything malformed raises
        `SnapshotInvalid` (a ValueError) naming the field, and nothing is changed."""
        snap = parse_snapshot(data, self.instruments)
        self.state = RiskState(snap.state)
        self.state_reason = snap.state_reason
        self.account_failed = snap.account_failed
        self._started = snap.started
        self._day = None if snap.day is None else _Day(*snap.day)
        self.positions = {
            sym: Position(self.instruments[sym], sign, lots)
            for sym, (sign, lots) in snap.positions.items()
        }
        self.marks = dict(snap.marks)
        self.blocks = dict(snap.blocks)
        self.working = {}
        self._pending_marks = {}
        self._unprotected_since = {}
        self._requested = {}


def _both_resting_quotes(a: OrderRequest, b: OrderRequest) -> bool:
    """A market maker's two sides: passive LIMIT quotes may work on both sides at once.  Both
    are reserved in full (the worst case counts each); if both fill, the second closes the
    first's position and the protective stop left over is cancelled by execution (a stop that
    triggers first opens an unprotected lot, which blocks new risk and flattens, as any
    unprotected fill does).  Any other pair of opposite entries is refused."""
    return (
        a.order_type == OrderType.LIMIT
        and b.order_type == OrderType.LIMIT
        and a.purpose == Purpose.QUOTE
        and b.purpose == Purpose.QUOTE
    )


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


__all__ = ["ActionKind", "RiskAction", "RiskEngine", "RiskEvent", "RiskState", "Side"]
