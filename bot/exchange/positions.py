"""Net positions per (account, symbol), fed by the venue's fills; one default account."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ACCOUNT = "SIM"


@dataclass(slots=True)
class Position:
    account: str
    symbol: str
    maturity: str
    net: int = 0
    bought: int = 0
    sold: int = 0

    @property
    def long_qty(self) -> int:
        return max(self.net, 0)

    @property
    def short_qty(self) -> int:
        return max(-self.net, 0)


class Positions:
    """Positions kept per Account (tag 1); an order without an account books to the default."""

    def __init__(self, default_account: str = DEFAULT_ACCOUNT) -> None:
        self.default_account = default_account
        self._by_key: dict[tuple[str, str, str], Position] = {}

    def apply_fill(self, account: str, symbol: str, maturity: str, side: int, qty: int) -> None:
        key = (account or self.default_account, symbol, maturity)
        pos = self._by_key.get(key)
        if pos is None:
            pos = self._by_key[key] = Position(key[0], symbol, maturity)
        if side == 0:
            pos.net += qty
            pos.bought += qty
        else:
            pos.net -= qty
            pos.sold += qty

    def get(self, account: str, symbol: str, maturity: str) -> Position | None:
        return self._by_key.get((account, symbol, maturity))

    def restore(self, pos: Position) -> None:
        """Put back a position read from the venue's journal."""
        self._by_key[(pos.account, pos.symbol, pos.maturity)] = pos

    def open_positions(self, account: str | None = None) -> list[Position]:
        """Non-flat positions, of one account or all."""
        return [
            p
            for p in self._by_key.values()
            if p.net != 0 and (account is None or p.account == account)
        ]
