"""Tick size of a CME futures symbol from the instrument table (ES trades like MES, and so on).

Full-size contracts share tick size with their micro (ES/MES 0.25, NQ/MNQ 0.25, YM/MYM 1,
RTY/M2K 0.10, GC/MGC 0.10, CL/MCL 0.01), so the micro table answers for both.
"""

from __future__ import annotations

import re
from decimal import Decimal

from bot.instruments.specs import MICROS

_FULL_TO_MICRO = {"ES": "MES", "NQ": "MNQ", "YM": "MYM", "RTY": "M2K", "GC": "MGC", "CL": "MCL"}
_OUTRIGHT = re.compile(r"^([A-Z0-9]{1,4}?)[FGHJKMNQUVXZ]\d{1,2}$")


def root_of(symbol: str) -> str | None:
    """`ESH4` -> `ES`, `MESZ26` -> `MES`; None for spreads and anything else."""
    match = _OUTRIGHT.match(symbol.strip().upper())
    return match.group(1) if match else None


def tick_size_for(symbol: str) -> Decimal | None:
    """Tick size for an outright future of a known product, None when it is not known."""
    root = root_of(symbol)
    if root is None:
        return None
    micro = MICROS.get(_FULL_TO_MICRO.get(root, root))
    return None if micro is None else micro.tick_size
