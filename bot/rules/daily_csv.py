"""Reader for the daily P&L file shared by `rules replay` and `montecarlo`.

Header `day,net_pnl,low_pnl,payout,max_contracts` (all but day and net_pnl optional, in any
order), plus any `sleeve_NAME` columns (a backtest's per-sleeve P&L, carried along, not read).
The reader is strict: an unknown or repeated column, a row with more or fewer fields than the
header, a number that is not plain ASCII decimal (`1_500`, `1e3`, non-ASCII digits) or beyond
$1 trillion is refused.  Every problem is a `DailyCsvError` naming the file and line,
so the commands can exit 2 with one clear message.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

from bot.rules.account import DayPnl

REQUIRED_COLUMNS = ("day", "net_pnl")
OPTIONAL_COLUMNS = ("low_pnl", "payout", "max_contracts")
SLEEVE_PREFIX = "sleeve_"  # the backtest's per-sleeve P&L columns: informative, not read here
HEADER_HINT = "expected header day,net_pnl[,low_pnl][,payout][,max_contracts][,sleeve_NAME...]"
_MONEY = re.compile(r"[+-]?[0-9]{1,12}(\.[0-9]+)?", re.ASCII)  # under $1 trillion
_COUNT = re.compile(r"[0-9]{1,4}", re.ASCII)
MAX_CONTRACTS = 1_000


class DailyCsvError(ValueError):
    """Malformed daily P&L input; `str()` names the file and line."""


def _cents(raw: str, column: str, where: str) -> int:
    text = raw.strip()
    if not _MONEY.fullmatch(text):
        raise DailyCsvError(
            f"{where}: {column} {raw!r} is not a number (plain decimal dollars under "
            "$1 trillion, e.g. -1234.50)"
        )
    cents = Decimal(text) * 100
    if cents != cents.to_integral_value():
        raise DailyCsvError(f"{where}: {column} {raw!r} has a fraction of a cent")
    return int(cents)


def _count(raw: str, column: str, where: str) -> int:
    text = raw.strip()
    if not _COUNT.fullmatch(text) or int(text) > MAX_CONTRACTS:
        raise DailyCsvError(
            f"{where}: {column} {raw!r} must be a whole number of contracts, 0-{MAX_CONTRACTS}"
        )
    return int(text)


def _day(raw: str, where: str) -> date:
    text = raw.strip()
    try:
        if len(text) != 10 or not text.isascii():
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise DailyCsvError(f"{where}: day {raw!r} is not a YYYY-MM-DD date") from None


def _header(path: Path, names: list[str]) -> list[str]:
    header = [name.strip() for name in names]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DailyCsvError(f"{path}:1: missing column(s) {', '.join(missing)}; {HEADER_HINT}")
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    unknown = [c for c in header if c not in known and not c.startswith(SLEEVE_PREFIX)]
    if unknown:
        raise DailyCsvError(f"{path}:1: unknown column(s) {', '.join(unknown)}; {HEADER_HINT}")
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise DailyCsvError(f"{path}:1: column(s) {', '.join(repeated)} appear more than once")
    return header


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = _header(path, next(reader, []))
            for fields in reader:
                where = f"{path}:{reader.line_num}"
                if not any(value.strip() for value in fields):
                    continue  # a blank line carries no day
                if len(fields) != len(header):
                    raise DailyCsvError(
                        f"{where}: {len(fields)} field(s), the header has {len(header)}"
                    )
                yield reader.line_num, dict(zip(header, fields, strict=True))
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
        contracts_raw = row.get("max_contracts", "").strip()
        contracts = _count(contracts_raw, "max_contracts", where) if contracts_raw else 0
        if days and day <= days[-1].day:
            problem = "duplicate" if day == days[-1].day else "out of order"
            raise DailyCsvError(f"{where}: day {day} is {problem} (days must increase)")
        days.append(DayPnl(day, net, low, payout, contracts))
    if not days:
        raise DailyCsvError(f"{path}: no data rows")
    return days
