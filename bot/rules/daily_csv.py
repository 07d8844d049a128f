"""Reader for the daily P&L file shared by `rules replay` and `montecarlo`.

Header `day,net_pnl,low_pnl,payout` (low_pnl and payout optional).  Every problem is reported as
a `DailyCsvError` naming the line, so the commands can exit 2 with one clear message.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bot.rules.account import DayPnl

REQUIRED_COLUMNS = ("day", "net_pnl")
OPTIONAL_COLUMNS = ("low_pnl", "payout")


class DailyCsvError(ValueError):
    """Malformed daily P&L input; `str()` names the file and line."""


def _cents(raw: str, column: str, where: str) -> int:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise DailyCsvError(f"{where}: {column} {raw!r} is not a number") from None
    if not value.is_finite():
        raise DailyCsvError(f"{where}: {column} {raw!r} is not a finite number")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise DailyCsvError(f"{where}: {column} {raw!r} has a fraction of a cent")
    return int(cents)


def _day(raw: str, where: str) -> date:
    text = raw.strip()
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise DailyCsvError(f"{where}: day {raw!r} is not a YYYY-MM-DD date") from None


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise DailyCsvError(
                    f"{path}:1: missing column(s) {', '.join(missing)}; "
                    "expected header day,net_pnl,low_pnl,payout"
                )
            reader.fieldnames = header
            for row in reader:
                yield reader.line_num, {k: (v or "") for k, v in row.items() if k is not None}
    except FileNotFoundError:
        raise DailyCsvError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DailyCsvError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError:
        raise DailyCsvError(f"{path}: not a UTF-8 text file") from None
    except csv.Error as exc:
        raise DailyCsvError(f"{path}: malformed CSV: {exc}") from None


def read_daily_pnl(path: Path) -> list[DayPnl]:
    """All days in the file, validated: sorted, unique, low <= min(0, net), payout >= 0."""
    days: list[DayPnl] = []
    for line, row in _rows(path):
        where = f"{path}:{line}"
        if not any(value.strip() for value in row.values()):
            continue  # a blank line carries no day
        day = _day(row.get("day", ""), where)
        if not row.get("net_pnl", "").strip():
            raise DailyCsvError(f"{where}: net_pnl is empty")
        net = _cents(row["net_pnl"], "net_pnl", where)
        low_raw = row.get("low_pnl", "").strip()
        low = _cents(low_raw, "low_pnl", where) if low_raw else min(0, net)
        if low > min(0, net):
            raise DailyCsvError(
                f"{where}: low_pnl {low / 100:.2f} must be at most min(0, net_pnl)"
                " (the day starts at 0 and ends at net_pnl)"
            )
        payout_raw = row.get("payout", "").strip()
        payout = _cents(payout_raw, "payout", where) if payout_raw else 0
        if payout < 0:
            raise DailyCsvError(f"{where}: payout must not be negative")
        if days and day <= days[-1].day:
            problem = "duplicate" if day == days[-1].day else "out of order"
            raise DailyCsvError(f"{where}: day {day} is {problem} (days must increase)")
        days.append(DayPnl(day, net, low, payout))
    if not days:
        raise DailyCsvError(f"{path}: no data rows")
    return days
