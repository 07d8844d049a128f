"""The risk engine: pre-trade checks on every order, and the ACTIVE/REDUCING/HALTED states.

Pure domain code: it is told the time, the fills and the marks, and answers with decisions,
actions (cancel everything, flatten everything) and events.  It does no I/O; the caller logs and
persists the events.  The live bot and the backtester drive the very same object.

Buffers are measured to the bot's safety lines, not to Topstep's limits: the day's buffer is
(day's net P&L + DLL safety threshold) and the account's is (equity - floor - MLL margin).  An
order is approved only if the worst case (every open lot and every working entry stopped out at
its protective stop plus a gap allowance, with exit fees) still fits in the smaller buffer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from bot.instruments.specs import Instrument
from bot.risk.limits import RiskLimits
from bot.risk.orders import Decision, OrderRequest, OrderType, Side
from bot.risk.positions import Lot, Position
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


class ActionKind(StrEnum):
    CANCEL_ALL = "cancel_all"
    FLATTEN_ALL = "flatten_all"


@dataclass(frozen=True, slots=True)
class RiskAction:
    kind: ActionKind
    reason: str


@dataclass(frozen=True, slots=True)
class RiskEvent:
    """A structured record of something the engine decided; `event` names the kind."""

    ts: datetime
    event: str
    fields: Mapping[str, Any]


class SessionClock(Protocol):
    """What the engine needs from the trading calendar."""

    def new_risk_allowed(self, ts: datetime) -> tuple[bool, str]: ...

    def trading_day(self, ts: datetime) -> date: ...


@dataclass(slots=True)
class WorkingOrder:
    request: OrderRequest
    remaining: int
    reducing: bool


@dataclass(slots=True)
class _Day:
    day: date
    sod_balance_cents: int
    floor_cents: int
    max_micros: int
    realized_cents: int = 0
    fees_cents: int = 0


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
    _day: _Day | None = None
    _cutoff_flattened: date | None = None
    _started: bool = False

    # ---- day lifecycle -------------------------------------------------------------------

    def start_day(self, day: date, account: AccountState, now: datetime) -> list[RiskAction]:
        """Begin trading day `day` from the account's end-of-day state (balance, floor, tier)."""
        tier = min(account.max_micros, self.limits.max_micros_cap)
        self._day = _Day(day, account.balance_cents, account.floor_cents, tier)
        self._cutoff_flattened = None
        self.account_failed = self.account_failed or account.failed
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
        return sum(
            pos.unrealized_cents(self.marks[sym]) for sym, pos in self.positions.items() if pos.lots
        )

    def day_net_cents(self) -> int:
        """The day's net P&L: realized + unrealized - fees (what Topstep's DLL watches)."""
        if self._day is None:
            return 0
        return self._day.realized_cents + self.unrealized_cents() - self._day.fees_cents

    def equity_cents(self) -> int:
        return (self._day.sod_balance_cents if self._day else 0) + self.day_net_cents()

    def buffer_cents(self) -> int:
        """Room left before the nearer of the two safety lines."""
        if self._day is None:
            return 0
        day_room = self.day_net_cents() + self.limits.dll_safety_cents
        account_room = (
            self.equity_cents() - self._day.floor_cents - self.limits.mll_safety_margin_cents
        )
        return min(day_room, account_room)

    def worst_case_cents(self, extra: OrderRequest | None = None) -> int:
        """Loss from here if everything open and every working entry were stopped out."""
        gap = self.limits.gap_allowance_ticks
        total = sum(
            pos.stop_out_loss_cents(self.marks[sym], gap)
            for sym, pos in self.positions.items()
            if pos.lots
        )
        for order in self.working.values():
            if not order.reducing:
                total += self._entry_loss_cents(order.request, order.remaining)
        if extra is not None:
            total += self._entry_loss_cents(extra, extra.qty)
        return total

    @property
    def max_micros(self) -> int:
        return self._day.max_micros if self._day else 0

    def exposure_micros(self) -> int:
        """Open contracts plus working entries, in micro equivalents (Topstep's count)."""
        held = sum(abs(p.qty) * p.instrument.micro_equivalent for p in self.positions.values())
        pending = sum(
            o.remaining * self.instruments[o.request.symbol].micro_equivalent
            for o in self.working.values()
            if not o.reducing
        )
        return held + pending

    # ---- pre-trade check -------------------------------------------------------------------

    def check(self, req: OrderRequest, now: datetime) -> Decision:
        """Approve or deny one order; approved orders reserve their risk until done."""
        decision = self._decide(req, now)
        if decision.approved:
            self.working[req.order_id] = WorkingOrder(req, req.qty, decision.reducing)
        self._emit(
            now,
            "risk.decision",
            order_id=req.order_id,
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
            state=str(self.state),
        )
        return decision

    def _decide(self, req: OrderRequest, now: datetime) -> Decision:
        invalid = self._invalid(req)
        if invalid:
            return Decision(False, invalid)
        position = self._position(req.symbol).qty
        pending = sum(
            o.remaining
            for o in self.working.values()
            if o.reducing and o.request.symbol == req.symbol and o.request.side == req.side
        )
        if position and req.side == -_sign(position):
            if req.qty + pending <= abs(position):
                return Decision(True, "reduces exposure", reducing=True)
            return Decision(
                False,
                f"would exceed the {abs(position)}-lot position with {pending} already working"
                " to reduce it (reduce to flat first; no reversals)",
            )
        return self._decide_entry(req, now)

    def _decide_entry(self, req: OrderRequest, now: datetime) -> Decision:
        if self.account_failed:
            return Decision(False, "account failed: no new exposure")
        if self.state != RiskState.ACTIVE:
            return Decision(False, f"state {self.state}: {self.state_reason}")
        if self.blocks:
            why = "; ".join(f"{k}: {v}" for k, v in sorted(self.blocks.items()))
            return Decision(False, f"new risk blocked ({why})")
        allowed, why = self.clock.new_risk_allowed(now)
        if not allowed:
            return Decision(False, why)
        if self._day is None or self.clock.trading_day(now) != self._day.day:
            return Decision(False, "the trading day has not been started for this session")
        if req.protective_stop_ticks is None:
            return Decision(False, "no entry without a protective stop")
        entry = self._entry_reference(req)
        if entry is None:
            return Decision(False, f"no market price for {req.symbol}")
        if (entry - req.protective_stop_ticks) * req.side <= 0:
            return Decision(False, "the protective stop is not on the losing side of the entry")
        mark = self.marks.get(req.symbol)
        if mark is not None and (mark - req.protective_stop_ticks) * req.side <= 0:
            return Decision(False, "the protective stop is already through the market")
        instrument = self.instruments[req.symbol]
        after = self.exposure_micros() + req.qty * instrument.micro_equivalent
        if after > self.max_micros:
            return Decision(
                False,
                f"size: {after} micros would exceed the limit of {self.max_micros}"
                f" (scaling tier, cap {self.limits.max_micros_cap})",
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
        return Decision(True, "within limits", worst_case_cents=worst, buffer_cents=buffer)

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

    def _entry_reference(self, req: OrderRequest) -> int | None:
        """The worst price an entry can fill at before the gap allowance."""
        if req.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            return req.price_ticks
        if req.order_type == OrderType.STOP:
            return req.trigger_ticks
        return self.marks.get(req.symbol)

    def _entry_loss_cents(self, req: OrderRequest, qty: int) -> int:
        instrument = self.instruments[req.symbol]
        entry = self._entry_reference(req)
        stop = req.protective_stop_ticks
        if entry is None or stop is None:  # cannot happen for approved entries
            raise AssertionError("working entry without an entry price or a stop")
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
        """Account for a fill (partial or full).  A fill for an order the engine never approved
        (a broker liquidation, a manual trade) is applied if its symbol and side are given, and
        in any case blocks new risk and asks for a flatten: the books no longer add up."""
        actions: list[RiskAction] = []
        order = self.working.get(order_id)
        if order is None:
            reason = f"fill for unknown order {order_id}"
            self.block("unknown_fill", reason, now)
            self._emit(now, "risk.anomaly", kind="unknown_fill", order_id=order_id, qty=qty)
            actions.append(RiskAction(ActionKind.FLATTEN_ALL, reason))
            if symbol is None or side is None or symbol not in self.instruments:
                return actions
            order = WorkingOrder(OrderRequest(order_id, symbol, side, qty), qty, reducing=True)
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
                actions.append(RiskAction(ActionKind.FLATTEN_ALL, reason))
            position.open(int(req.side), opening, price_ticks, stop)
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
        return actions + self._evaluate(now)

    def on_order_done(self, order_id: str, now: datetime, why: str = "done") -> None:
        """The order can fill no more (cancelled, rejected, expired): release its reservation."""
        if self.working.pop(order_id, None) is not None:
            self._emit(now, "risk.order_done", order_id=order_id, why=why)

    def on_mark(self, symbol: str, price_ticks: int, now: datetime) -> list[RiskAction]:
        """A new mark-to-market price for `symbol`."""
        self.marks[symbol] = price_ticks
        return self._evaluate(now)

    def on_clock(self, now: datetime) -> list[RiskAction]:
        """Flatten once at the cutoff (and whenever the market may not be held)."""
        allowed, why = self.clock.new_risk_allowed(now)
        holding = any(p.lots for p in self.positions.values()) or bool(self.working)
        if allowed or not holding:
            return []
        day = self.clock.trading_day(now)
        if self._cutoff_flattened == day:
            return []
        self._cutoff_flattened = day
        self._emit(now, "risk.cutoff_flatten", reason=why)
        return [RiskAction(ActionKind.CANCEL_ALL, why), RiskAction(ActionKind.FLATTEN_ALL, why)]

    # ---- state machine -----------------------------------------------------------------------

    def _evaluate(self, now: datetime) -> list[RiskAction]:
        if self._day is None:
            return []
        already_failed = self.account_failed
        target, reason = self._target_state()
        current = self.state
        newly_failed = self.account_failed and not already_failed
        if not newly_failed and current in _STICKY and _SEVERITY[current] >= _SEVERITY[target]:
            return []
        if target == current and not newly_failed:
            return []
        self._set_state(target, reason, now)
        if target in _STICKY:
            return [
                RiskAction(ActionKind.CANCEL_ALL, reason),
                RiskAction(ActionKind.FLATTEN_ALL, reason),
            ]
        return []

    def _target_state(self) -> tuple[RiskState, str]:
        day = self._require_day()
        limits, rules = self.limits, self.limits.rules
        net, equity, floor = self.day_net_cents(), self.equity_cents(), day.floor_cents
        if self.account_failed:
            return RiskState.HALTED, "account failed"
        if equity <= floor:
            self.account_failed = True
            return (
                RiskState.HALTED,
                f"MLL breached: equity {equity / 100:.2f} <= floor {floor / 100:.2f}",
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
        """Resume from a snapshot: halts survive restarts; working orders come from the broker."""
        self.state = RiskState(data["state"])
        self.state_reason = str(data["state_reason"])
        self.account_failed = bool(data["account_failed"])
        self._started = bool(data.get("started", True))
        raw_day = data.get("day")
        self._day = (
            None
            if raw_day is None
            else _Day(
                date.fromisoformat(raw_day["day"]),
                int(raw_day["sod_balance_cents"]),
                int(raw_day["floor_cents"]),
                int(raw_day["max_micros"]),
                int(raw_day["realized_cents"]),
                int(raw_day["fees_cents"]),
            )
        )
        self.positions = {
            sym: Position(
                self.instruments[sym],
                int(p["sign"]),
                [Lot(int(q), int(e), int(s)) for q, e, s in p["lots"]],
            )
            for sym, p in data.get("positions", {}).items()
        }
        self.marks = {str(k): int(v) for k, v in data.get("marks", {}).items()}
        self.blocks = {str(k): str(v) for k, v in data.get("blocks", {}).items()}
        self.working = {}


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


__all__ = ["ActionKind", "RiskAction", "RiskEngine", "RiskEvent", "RiskState", "Side"]
