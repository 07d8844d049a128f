"""LEAN-format bar zips (QuantConnect): minute, hour or daily bars for multi-year backtests.

One CSV inside the zip, no header, lines ``yyyymmdd HH:MM,open,high,low,close,volume`` with
prices as integers in 1/10,000 of the quote currency (973100 == 97.31) and bar-start times in the
exchange's zone (US/Eastern for US equities).  Prices stay integers here; `LeanBar.price`
converts one exactly.  Streamed line by line; a bad line is an error naming file and line.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.marketdata.errors import MarketDataError

LEAN_PRICE_SCALE = 10_000
EASTERN = ZoneInfo("America/New_York")


@dataclass(frozen=True, slots=True)
class LeanBar:
    """One bar; prices in 1/10,000 units, `time` is the bar start, zone-aware."""

    time: datetime
    open: int
    high: int
    low: int
    close: int
    volume: int

    @staticmethod
    def price(value: int) -> Decimal:
        """Exact decimal price of a LEAN integer price (973100 -> 97.31)."""
        return Decimal(value) / LEAN_PRICE_SCALE


def _parse(line: str, zone: ZoneInfo) -> LeanBar:
    fields = line.split(",")
    if len(fields) != 6:
        raise ValueError(f"expected 6 comma-separated fields, found {len(fields)}")
    stamp = datetime.strptime(fields[0], "%Y%m%d %H:%M").replace(tzinfo=zone)
    o, h, lo, c, v = (int(f) for f in fields[1:])
    if not lo <= min(o, c) <= max(o, c) <= h or v < 0 or lo <= 0:
        raise ValueError("prices out of order (need 0 < low <= open, close <= high) or volume < 0")
    return LeanBar(stamp, o, h, lo, c, v)


def read_lean_bars(path: Path | str, zone: ZoneInfo = EASTERN) -> Iterator[LeanBar]:
    """Bars in file order; raises `MarketDataError` for a bad zip, CSV line or time order."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise MarketDataError(f"{path}: not a readable zip ({exc})") from None
    with archive:
        names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
        if len(names) != 1:
            raise MarketDataError(f"{path}: expected one CSV inside, found {len(names)}")
        previous: datetime | None = None
        with archive.open(names[0]) as raw:
            text = io.TextIOWrapper(raw, encoding="ascii", newline="")
            for number, line in enumerate(text, start=1):
                line = line.strip()  # noqa: PLW2901 (the stripped line is the line)
                if not line:
                    continue
                try:
                    bar = _parse(line, zone)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise MarketDataError(f"{path}:{names[0]}:{number}: {exc}") from None
                if previous is not None and bar.time <= previous:
                    raise MarketDataError(f"{path}:{names[0]}:{number}: bar time goes backwards")
                previous = bar.time
                yield bar
