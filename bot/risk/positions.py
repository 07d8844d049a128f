"""Open position bookkeeping in lots, each remembering its entry and its declared stop.

Lots (not an average price) keep every number an exact integer and let the worst case be
summed stop by stop.  A reducing fill closes the lots with the nearest stops first, so the
lots that remain carry the widest stops: the worst case is never understated.  A lot's stop is
the one *declared* with its entry; the engine measures protection from the stops actually
working at the venue and falls back on the declared ones only for lots no working stop covers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.instruments.specs import Instrument


@dataclass(slots=True)
class Lot:
    qty: int  # always positive; the position's sign is on `Position.sign`
    entry_ticks: int
    stop_ticks: int


def stop_out_cents(
    instrument: Instrument, sign: int, qty: int, mark_ticks: int, stop_ticks: int, gap_ticks: int
) -> int:
    """Loss from `mark` if `qty` contracts of a `sign` position were stopped out `gap_ticks`
    beyond `stop`, plus exit fees.  A stop already through the mark fills at the mark + gap."""
    adverse = max(0, (mark_ticks - stop_ticks) * sign) + gap_ticks
    return instrument.pnl_cents(adverse, qty) + instrument.fee_per_side_cents * qty


@dataclass(slots=True)
class Position:
    instrument: Instrument
    sign: int = 0  # +1 long, -1 short, 0 flat
    lots: list[Lot] = field(default_factory=list)

    @property
    def qty(self) -> int:
        """Signed net position in contracts."""
        lots = self.lots
        if not lots:
            return 0
        return self.sign * sum(lot.qty for lot in lots)

    def unrealized_cents(self, mark_ticks: int) -> int:
        return sum(
            self.instrument.pnl_cents((mark_ticks - lot.entry_ticks) * self.sign, lot.qty)
            for lot in self.lots
        )

    def stop_out_loss_cents(
        self,
        mark_ticks: int,
        gap_ticks: int,
        qty: int | None = None,
        joining: Iterable[tuple[int, int]] = (),
    ) -> int:
        """Loss from `mark` if `qty` contracts (default all) were stopped out at their declared
        stops plus `gap_ticks`, the costliest first: of this position's lots and of the lots
        `joining` it ((loss per contract, contracts): entries not filled yet)."""
        per_lot = [
            (
                stop_out_cents(
                    self.instrument, self.sign, 1, mark_ticks, lot.stop_ticks, gap_ticks
                ),
                lot.qty,
            )
            for lot in self.lots
        ]
        per_lot.extend(joining)
        left = sum(lots for _, lots in per_lot) if qty is None else qty
        total = 0
        for loss, lots in sorted(per_lot, reverse=True):
            take = min(left, lots)
            if take <= 0:
                break
            total += loss * take
            left -= take
        return total

    def open(self, sign: int, qty: int, price_ticks: int, stop_ticks: int) -> None:
        if self.sign not in (0, sign):
            raise ValueError("opening against an open position; reduce it first")
        self.sign = sign
        self.lots.append(Lot(qty, price_ticks, stop_ticks))

    def close(self, qty: int, price_ticks: int) -> int:
        """Close `qty` contracts at `price`; returns the realized P&L in cents."""
        if qty > abs(self.qty):
            raise ValueError(f"closing {qty} of a {abs(self.qty)}-lot position")
        realized = 0
        # nearest stop first: the widest stops stay on the book of risk
        self.lots.sort(key=lambda lot: -self.sign * lot.stop_ticks)
        while qty:
            lot = self.lots[0]
            take = min(qty, lot.qty)
            realized += self.instrument.pnl_cents((price_ticks - lot.entry_ticks) * self.sign, take)
            lot.qty -= take
            qty -= take
            if lot.qty == 0:
                self.lots.pop(0)
        if not self.lots:
            self.sign = 0
        return realized
