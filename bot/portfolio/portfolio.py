"""The portfolio: one virtual book per sleeve and instrument, the sleeves' intents netted into
one target per instrument, and every account fill attributed back to the sleeves it served.

Rules (tested in tests/portfolio):
- A sleeve's effective target is its `TargetPosition` clamped to its allocation (max contracts,
  and the lots its share of the risk buffer can carry to its stop), 0 once its time stop has
  passed, once it is switched off or while the instrument is held flat.  A sleeve that never set a
  target (a market maker) keeps whatever its quotes gave it: its target is its position.
- The account's net position is the sum of the sleeves' positions; the net target the sum of
  their effective targets.  Opposite wishes are crossed internally (`cross`) at the mark, without
  fees: the account trades only the difference.
- Attribution: each order names, when it is sent, the lots it serves per sleeve
  (`register_order`).  A fill is split over the lots still unserved pro rata (largest remainder,
  ties by sleeve name) and its fee pro rata to the split lots, so qty, fees and P&L add up to the
  account exactly.  A protective stop's fill goes to the lots it protected, tightest stop first
  (`attribute_stop`).  A fill nobody asked for (unknown order, overfill) goes to `UNATTRIBUTED`,
  and the instrument is held flat.
- A sleeve is switched off when its net P&L falls `max_drawdown_cents` below its peak since the
  portfolio was built (or when the kernel says so: a callback raised).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.instruments.specs import Instrument
from bot.model.fills import Fill
from bot.model.side import Side
from bot.portfolio.book import SleeveBook, sum_pnl
from bot.portfolio.split import split_pro_rata
from bot.strategy.base import SleevePnl
from bot.strategy.intents import Quotes, TargetPosition

UNATTRIBUTED = "~unattributed"  # the book of fills no sleeve asked for; always flattened


@dataclass(frozen=True, slots=True)
class Allocation:
    """A sleeve's slice of the account: share of the risk buffer, size cap, loss limit."""

    share: float
    max_contracts: int
    max_drawdown_cents: int

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"allocation share {self.share} must be within 0..1")
        if self.max_contracts < 0 or self.max_drawdown_cents <= 0:
            raise ValueError("max contracts must be >= 0 and max drawdown > 0")


@dataclass(frozen=True, slots=True)
class LogRecord:
    """Something the portfolio or execution decided, for the caller to log: `event` names it."""

    ts_ns: int
    event: str
    fields: Mapping[str, Any]


@dataclass(slots=True)
class _Served:
    """What an order was sent for: lots per sleeve still unfilled, and its stop rule."""

    lots: dict[str, int]
    stop_ticks: int | None
    stop_offset_ticks: int | None


@dataclass
class Portfolio:
    instruments: Mapping[str, Instrument]
    allocations: Mapping[str, Allocation]
    gap_ticks: int = 4
    events: list[LogRecord] = field(default_factory=list)
    _books: dict[tuple[str, str], SleeveBook] = field(default_factory=dict)
    _targets: dict[tuple[str, str], TargetPosition] = field(default_factory=dict)
    _quotes: dict[tuple[str, str], Quotes] = field(default_factory=dict)
    _off: dict[str, str] = field(default_factory=dict)
    _peak: dict[str, int] = field(default_factory=dict)
    _drawdown_off: set[str] = field(default_factory=set)  # off until the next trading day
    _flat: dict[str, str] = field(default_factory=dict)
    _marks: dict[str, int] = field(default_factory=dict)
    _served: dict[str, _Served] = field(default_factory=dict)
    _buffer_cents: int | None = None
    _crosses: int = 0
    _now_ns: int = 0  # the latest time passed in (for calls that do not give one)
    _newly_off: list[tuple[str, str]] = field(default_factory=list)
    _versions: dict[str, int] = field(default_factory=dict)
    _all_version: int = 0

    @property
    def sleeves(self) -> tuple[str, ...]:
        return tuple(sorted(self.allocations))

    # ---- books ---------------------------------------------------------------------------

    def book(self, sleeve: str, symbol: str) -> SleeveBook:
        key = (sleeve, symbol)
        if key not in self._books:
            self._books[key] = SleeveBook(
                self.instruments[symbol], mark_ticks=self._marks.get(symbol)
            )
        return self._books[key]

    def _holders(self, symbol: str) -> list[str]:
        """Every sleeve with a book or an intent in `symbol`, sorted (deterministic)."""
        names = {s for s, sym in self._books if sym == symbol}
        names |= {s for s, sym in self._targets if sym == symbol}
        return sorted(names)

    def position(self, sleeve: str, symbol: str) -> int:
        book = self._books.get((sleeve, symbol))
        return book.position if book else 0

    def net_position(self, symbol: str) -> int:
        return sum(b.position for (_, sym), b in self._books.items() if sym == symbol)

    def pnl(self, sleeve: str, symbol: str | None = None) -> SleevePnl:
        if symbol is not None:
            return self.book(sleeve, symbol).pnl()
        return sum_pnl([b.pnl() for (s, _), b in sorted(self._books.items()) if s == sleeve])

    def net_cents(self, sleeve: str) -> int:
        return sum(b.net_cents() for (s, _), b in self._books.items() if s == sleeve)

    # ---- intents -------------------------------------------------------------------------

    def version(self, symbol: str) -> tuple[int, int]:
        """Changes whenever anything execution acts on in `symbol` may have changed (intents,
        books, holds, switch-offs, the buffer; marks once the buffer clamps targets): execution
        skips an instrument whose version, orders and clock-driven deadlines are as it left
        them."""
        return (self._all_version, self._versions.get(symbol, 0))

    def _bump(self, symbol: str | None = None) -> None:
        if symbol is None:
            self._all_version += 1
        else:
            self._versions[symbol] = self._versions.get(symbol, 0) + 1

    def time_stops(self, symbol: str, after_ns: int) -> list[int]:
        """Time stops in `symbol` still to come (the effective targets change then)."""
        return [
            t.time_stop_ns
            for (_, sym), t in self._targets.items()
            if sym == symbol and t.time_stop_ns is not None and t.time_stop_ns > after_ns
        ]

    def _at(self, now_ns: int | None) -> int:
        if now_ns is not None:
            self._now_ns = max(self._now_ns, now_ns)
        return self._now_ns

    def set_target(self, sleeve: str, target: TargetPosition, now_ns: int | None = None) -> None:
        """Replace the sleeve's target in `target.symbol` (ignored once it is switched off)."""
        now_ns = self._at(now_ns)
        if sleeve in self._off:
            return
        if target.qty != 0 and target.stop_ticks is None:
            self.switch_off(sleeve, f"target {target.qty} {target.symbol} without a stop", now_ns)
            return
        if self._targets.get((sleeve, target.symbol)) != target:
            self._bump(target.symbol)
        self._targets[(sleeve, target.symbol)] = target
        book = self.book(sleeve, target.symbol)
        if target.stop_ticks is not None and book.sign * target.qty > 0:
            book.set_stops(target.stop_ticks)

    def release_target(self, sleeve: str, symbol: str) -> None:
        """Forget the sleeve's target in `symbol`: its effective target is its position again."""
        if self._targets.pop((sleeve, symbol), None) is not None:
            self._bump(symbol)

    def set_quotes(self, sleeve: str, quotes: Quotes, now_ns: int | None = None) -> None:
        self._at(now_ns)
        if sleeve not in self._off and self._quotes.get((sleeve, quotes.symbol)) != quotes:
            self._bump(quotes.symbol)
            self._quotes[(sleeve, quotes.symbol)] = quotes

    def switch_off(self, sleeve: str, reason: str, now_ns: int | None = None) -> bool:
        """Targets to 0 and quotes pulled for good; False if it was already off."""
        now_ns = self._at(now_ns)
        if sleeve in self._off:
            return False
        self._off[sleeve] = reason
        self._bump()
        self._newly_off.append((sleeve, reason))
        for key in [k for k in self._quotes if k[0] == sleeve]:
            del self._quotes[key]
        self._emit(now_ns, "portfolio.sleeve_off", sleeve=sleeve, reason=reason)
        return True

    def take_switched_off(self) -> list[tuple[str, str]]:
        """Sleeves switched off since the last call, with the reason (for the kernel's log)."""
        off, self._newly_off = self._newly_off, []
        return off

    def off_reason(self, sleeve: str) -> str | None:
        return self._off.get(sleeve)

    def hold_flat(self, symbol: str, reason: str, now_ns: int) -> None:
        """Every target in `symbol` is 0 and no quote rests until `release` (flatten, cutoff)."""
        if symbol not in self._flat:
            self._bump(symbol)
            self._flat[symbol] = reason
            self._emit(now_ns, "portfolio.hold_flat", symbol=symbol, reason=reason)

    def release(self, symbol: str, now_ns: int) -> None:
        if self._flat.pop(symbol, None) is not None:
            self._bump(symbol)
            self._emit(now_ns, "portfolio.release", symbol=symbol)

    def held_flat(self, symbol: str) -> str | None:
        return self._flat.get(symbol)

    def target(self, sleeve: str, symbol: str) -> TargetPosition | None:
        return self._targets.get((sleeve, symbol))

    def target_qty(self, sleeve: str, symbol: str, now_ns: int) -> int:
        """The sleeve's effective target (see the module's rules)."""
        if symbol in self._flat or sleeve in self._off or sleeve == UNATTRIBUTED:
            return 0
        target = self._targets.get((sleeve, symbol))
        if target is None:
            return self.position(sleeve, symbol)
        if target.time_stop_ns is not None and now_ns >= target.time_stop_ns:
            return 0
        cap = self.allocations[sleeve].max_contracts
        budget_lots = self._budget_lots(sleeve, target)
        if budget_lots is not None:
            cap = min(cap, budget_lots)
        return max(-cap, min(cap, target.qty))

    def _budget_lots(self, sleeve: str, target: TargetPosition) -> int | None:
        """Lots the sleeve's share of the buffer carries to its stop plus the gap, with fees."""
        mark = self._marks.get(target.symbol)
        if self._buffer_cents is None or mark is None or target.stop_ticks is None:
            return None
        spec = self.instruments[target.symbol]
        per_lot = spec.pnl_cents(abs(mark - target.stop_ticks) + self.gap_ticks, 1)
        per_lot += 2 * spec.fee_per_side_cents
        return self.budget_cents(sleeve, self._buffer_cents) // per_lot

    def net_target(self, symbol: str, now_ns: int) -> int:
        return sum(self.target_qty(s, symbol, now_ns) for s in self._holders(symbol))

    def idle(self, symbol: str, now_ns: int) -> bool:
        """No sleeve holds a lot of `symbol`, quotes it or has a non-zero effective target in
        it: every gap is zero and the net target is zero."""
        for (_, sym), book in self._books.items():
            if sym == symbol and book.lots:
                return False
        for _, sym in self._quotes:
            if sym == symbol:
                return False
        for sleeve, sym in self._targets:
            if sym == symbol and self.target_qty(sleeve, sym, now_ns):
                return False
        return True

    def quotes(self, sleeve: str, symbol: str) -> Quotes | None:
        """The quotes to rest for the sleeve, None when pulled (off, held flat, never set)."""
        if symbol in self._flat or sleeve in self._off:
            return None
        return self._quotes.get((sleeve, symbol))

    def symbols(self) -> set[str]:
        """Every instrument with a book or an intent."""
        return {sym for _, sym in (*self._books, *self._targets, *self._quotes)}

    def quoting(self, symbol: str) -> list[str]:
        return sorted(s for s, sym in self._quotes if sym == symbol)

    # ---- risk budget ---------------------------------------------------------------------

    def set_buffer(self, total_buffer_cents: int | None) -> None:
        """The risk engine's remaining buffer; targets are clamped to each sleeve's share."""
        if total_buffer_cents != self._buffer_cents:
            self._bump()
        self._buffer_cents = total_buffer_cents

    def budget_cents(self, sleeve: str, total_buffer_cents: int) -> int:
        """The sleeve's share of the buffer (0 for a negative buffer or an unknown sleeve)."""
        alloc = self.allocations.get(sleeve)
        if alloc is None or total_buffer_cents <= 0:
            return 0
        return int(total_buffer_cents * alloc.share)

    # ---- netting -------------------------------------------------------------------------

    def gaps(self, symbol: str, pending: Mapping[str, int], now_ns: int) -> dict[str, int]:
        """Per sleeve: effective target - position - lots already on their way (signed)."""
        out: dict[str, int] = {}
        for sleeve in sorted(set(self._holders(symbol)) | set(pending)):
            gap = (
                self.target_qty(sleeve, symbol, now_ns)
                - self.position(sleeve, symbol)
                - pending.get(sleeve, 0)
            )
            if gap:
                out[sleeve] = gap
        return out

    def cross(self, symbol: str, pending: Mapping[str, int], now_ns: int) -> list[tuple[str, Fill]]:
        """Cross opposite gaps between sleeves at the mark (no account order, no fee)."""
        mark = self._marks.get(symbol)
        gaps = self.gaps(symbol, pending, now_ns)
        buys = [(s, g) for s, g in gaps.items() if g > 0]
        sells = [(s, -g) for s, g in gaps.items() if g < 0]
        qty = min(sum(g for _, g in buys), sum(g for _, g in sells))
        if mark is None or qty <= 0:
            return []
        self._bump(symbol)
        self._crosses += 1
        order_id = f"cross-{symbol}-{self._crosses}"
        out: list[tuple[str, Fill]] = []
        for side, weights in ((Side.BUY, buys), (Side.SELL, sells)):
            for sleeve, lots in split_pro_rata(qty, weights):
                if lots:
                    fill = Fill(now_ns, order_id, symbol, side, lots, mark, 0, order_id)
                    stop = self._sleeve_stop(sleeve, symbol)
                    self.book(sleeve, symbol).apply(fill, stop, exchange_trade=False)
                    out.append((sleeve, fill))
        self._at(now_ns)
        self._emit(now_ns, "portfolio.cross", symbol=symbol, qty=qty, price_ticks=mark)
        return out

    def stop_lots(self, symbol: str) -> list[tuple[int, int | None]]:
        """(qty, stop) of every sleeve lot on the side of the net position."""
        net = self.net_position(symbol)
        out: list[tuple[int, int | None]] = []
        for (_, sym), book in sorted(self._books.items()):
            if sym == symbol and net and book.sign * net > 0:
                out.extend((lot.qty, lot.stop_ticks) for lot in book.lots)
        return out

    def _sleeve_stop(self, sleeve: str, symbol: str) -> int | None:
        target = self._targets.get((sleeve, symbol))
        return target.stop_ticks if target is not None else None

    # ---- attribution ---------------------------------------------------------------------

    def register_order(
        self,
        order_id: str,
        lots: Mapping[str, int],
        *,
        stop_ticks: int | None = None,
        stop_offset_ticks: int | None = None,
    ) -> None:
        """Name the sleeves an order serves before it is sent.  A quote's lots are protected
        `stop_offset_ticks` from their fill price, a target order's by the sleeve's own stop
        (else the order's `stop_ticks`)."""
        self._served[order_id] = _Served(dict(lots), stop_ticks, stop_offset_ticks)

    def forget_order(self, order_id: str) -> None:
        self._served.pop(order_id, None)

    def pending(self, order_ids: list[str], sign: Mapping[str, int]) -> dict[str, int]:
        """Signed unfilled lots per sleeve of the given orders (`sign` per order id)."""
        out: dict[str, int] = {}
        for oid in order_ids:
            served = self._served.get(oid)
            for sleeve, lots in served.lots.items() if served else ():
                out[sleeve] = out.get(sleeve, 0) + sign[oid] * lots
        return out

    def attribute(self, fill: Fill) -> list[tuple[str, Fill]]:
        """Split an account fill among the sleeves its order served and book the parts."""
        self._bump(fill.symbol)
        served = self._served.get(fill.order_id)
        lots = served.lots if served else {}
        parts = split_pro_rata(min(fill.qty, sum(lots.values())), sorted(lots.items()))
        parts = [(s, q) for s, q in parts if q]
        excess = fill.qty - sum(q for _, q in parts)
        if excess:
            parts.append((UNATTRIBUTED, excess))
            why = "overfill" if served else "unknown order"
            self.hold_flat(fill.symbol, f"{why} {fill.order_id}: {excess} lots", fill.ts_ns)
        fees = dict(split_pro_rata(fill.fee_cents, parts))
        out: list[tuple[str, Fill]] = []
        for sleeve, qty in parts:
            if sleeve in lots:
                lots[sleeve] -= qty
            part = replace(fill, qty=qty, fee_cents=fees[sleeve])
            stop = self._sleeve_stop(sleeve, fill.symbol)
            if served is not None and served.stop_offset_ticks is not None:
                stop = fill.price_ticks - int(fill.side) * served.stop_offset_ticks
            elif stop is None and served is not None:
                stop = served.stop_ticks
            self.book(sleeve, fill.symbol).apply(part, stop)
            out.append((sleeve, part))
        self._check_drawdowns(fill.ts_ns, [s for s, _ in out])
        return out

    def attribute_stop(self, fill: Fill) -> list[tuple[str, Fill]]:
        """A protective stop's fill belongs to the lots it protected: the sleeves' lots on the
        side of the net position, tightest stop first (the order the venue stops were built
        in), lots without a known stop last.  A sleeve stopped out has its target cut to what
        it still holds: its stop was part of its intent, so it is not bought back at once."""
        sign = -int(fill.side)
        owned: list[tuple[bool, int, str, int]] = []
        for (sleeve, sym), book in sorted(self._books.items()):
            if sym == fill.symbol and book.sign == sign:
                for lot in book.lots:
                    stop = lot.stop_ticks
                    owned.append((stop is None, -sign * (stop or 0), sleeve, lot.qty))
        lots: dict[str, int] = {}
        left = fill.qty
        for _, _, sleeve, qty in sorted(owned):
            take = min(left, qty)
            if take:
                lots[sleeve] = lots.get(sleeve, 0) + take
                left -= take
        self.register_order(fill.order_id, lots)
        out = self.attribute(fill)
        self.forget_order(fill.order_id)
        for sleeve, _ in out:
            target = self._targets.get((sleeve, fill.symbol))
            held = self.position(sleeve, fill.symbol)
            if target is not None and target.qty * sign > 0 and abs(held) < abs(target.qty):
                self._targets[(sleeve, fill.symbol)] = replace(target, qty=held)
        return out

    # ---- marks and drawdowns -------------------------------------------------------------

    def mark(
        self, symbol: str, price_ticks: int, now_ns: int | None = None
    ) -> list[tuple[str, str]]:
        """Mark every book in `symbol`; returns the sleeves switched off by their drawdown."""
        now_ns = self._at(now_ns)
        if self._buffer_cents is not None or symbol not in self._marks:
            self._bump(symbol)  # budget clamps move with the mark; a first mark prices orders
        self._marks[symbol] = price_ticks
        moved: list[str] = []  # only open lots move a sleeve's P&L
        for (sleeve, sym), book in self._books.items():
            if sym == symbol:
                book.mark_ticks = price_ticks
                if book.lots:
                    moved.append(sleeve)
        return self._check_drawdowns(now_ns, sorted(moved))

    def mark_of(self, symbol: str) -> int | None:
        return self._marks.get(symbol)

    def drawdown_cents(self, sleeve: str) -> int:
        return max(0, self._peak.get(sleeve, 0) - self.net_cents(sleeve))

    def new_day(self, now_ns: int) -> list[str]:
        """A new trading day: each sleeve's drawdown is measured from here again, and the
        sleeves its limit switched off come back (like Topstep's own daily loss limit).  A sleeve
        switched off for an error stays off.  Returns the sleeves switched back on."""
        back = sorted(self._drawdown_off)
        for sleeve in back:
            self._off.pop(sleeve, None)
            for key in [k for k in self._targets if k[0] == sleeve]:
                del self._targets[key]  # yesterday's wish is not today's
            self._emit(now_ns, "portfolio.sleeve_on", sleeve=sleeve, reason="new trading day")
        self._drawdown_off.clear()
        for sleeve in self.allocations:
            self._peak[sleeve] = self.net_cents(sleeve)
        return back

    def _check_drawdowns(self, now_ns: int, sleeves: Iterable[str]) -> list[tuple[str, str]]:
        """Peaks and limits of the sleeves whose P&L may have moved."""
        off: list[tuple[str, str]] = []
        for sleeve in sleeves:
            if sleeve not in self.allocations:
                continue
            net = self.net_cents(sleeve)
            self._peak[sleeve] = max(self._peak.get(sleeve, 0), net)
            limit = self.allocations[sleeve].max_drawdown_cents
            drawdown = self._peak[sleeve] - net
            if sleeve not in self._off and drawdown >= limit:
                reason = (
                    f"drawdown {drawdown / 100:.2f} reached its limit {limit / 100:.2f}"
                    " (off until the next trading day)"
                )
                self.switch_off(sleeve, reason, now_ns)
                self._drawdown_off.add(sleeve)
                off.append((sleeve, reason))
        return off

    def _emit(self, ts_ns: int, event: str, **fields: Any) -> None:
        self.events.append(LogRecord(ts_ns, event, fields))

    def drain_events(self) -> list[LogRecord]:
        events, self.events = self.events, []
        return events
