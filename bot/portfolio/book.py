"""A sleeve's virtual book for one instrument: what the sleeve would hold had it traded alone.

Lots are kept first in, first out with their entry price and the protective stop they came
with, so realized P&L is an exact integer and the stops of the net position can be taken lot
by lot.  The net P&L (realized + unrealized - fees) of all sleeves adds up to the account's,
whatever the netting: each sleeve's is a linear function of its own fills and the mark.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.instruments.specs import Instrument
from bot.model.fills import Fill
from bot.strategy.base import SleevePnl


@dataclass(slots=True)
class BookLot:
    qty: int  # positive; the sign is the book's position sign
    entry_ticks: int
    stop_ticks: int | None  # the protective stop it was opened with (None: unknown)


@dataclass(slots=True)
class SleeveBook:
    instrument: Instrument
    lots: list[BookLot] = field(default_factory=list)
    sign: int = 0
    realized_cents: int = 0
    fees_cents: int = 0
    trades: int = 0
    mark_ticks: int | None = None

    @property
    def position(self) -> int:
        lots = self.lots
        if not lots:
            return 0
        if len(lots) == 1:
            return self.sign * lots[0].qty
        return self.sign * sum(lot.qty for lot in lots)

    def apply(self, fill: Fill, stop_ticks: int | None, exchange_trade: bool = True) -> None:
        """Book one of the sleeve's fills; the part that opens carries `stop_ticks`.  An
        internal cross (`exchange_trade` False) moves lots but is not counted as a trade."""
        qty, side = fill.qty, int(fill.side)
        self.fees_cents += fill.fee_cents
        self.trades += int(exchange_trade)
        if self.mark_ticks is None:
            self.mark_ticks = fill.price_ticks
        while qty and self.lots and self.sign == -side:
            lot = self.lots[0]
            take = min(qty, lot.qty)
            self.realized_cents += self.instrument.pnl_cents(
                (fill.price_ticks - lot.entry_ticks) * self.sign, take
            )
            lot.qty -= take
            qty -= take
            if lot.qty == 0:
                self.lots.pop(0)
        if not self.lots:
            self.sign = 0
        if qty:
            self.sign = side
            self.lots.append(BookLot(qty, fill.price_ticks, stop_ticks))

    def set_stops(self, stop_ticks: int) -> None:
        """The sleeve named one stop for its whole position (its target's stop)."""
        for lot in self.lots:
            lot.stop_ticks = stop_ticks

    def unrealized_cents(self) -> int:
        if self.mark_ticks is None:
            return 0
        mark = self.mark_ticks
        return sum(
            self.instrument.pnl_cents((mark - lot.entry_ticks) * self.sign, lot.qty)
            for lot in self.lots
        )

    def net_cents(self) -> int:
        return self.realized_cents + self.unrealized_cents() - self.fees_cents

    def pnl(self) -> SleevePnl:
        held = sum(lot.qty for lot in self.lots)
        avg = sum(lot.qty * lot.entry_ticks for lot in self.lots) / held if held else 0.0
        return SleevePnl(
            position=self.position,
            avg_price_ticks=avg,
            realized_cents=self.realized_cents,
            unrealized_cents=self.unrealized_cents(),
            fees_cents=self.fees_cents,
            trades=self.trades,
        )


def sum_pnl(parts: list[SleevePnl]) -> SleevePnl:
    """Several instruments' books as one (the average price is meaningless across them: 0)."""
    return SleevePnl(
        position=sum(p.position for p in parts),
        avg_price_ticks=0.0,
        realized_cents=sum(p.realized_cents for p in parts),
        unrealized_cents=sum(p.unrealized_cents for p in parts),
        fees_cents=sum(p.fees_cents for p in parts),
        trades=sum(p.trades for p in parts),
    )
