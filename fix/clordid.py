"""ClOrdIDs that never repeat, across restarts too: a persisted, strictly increasing run prefix.

The prefix is the larger of (last prefix + 1) and the current Unix second, written before the
first id is issued, so a restart (even with the clock stepped back) cannot reuse an id.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(value: int) -> str:
    out = ""
    while True:
        value, rem = divmod(value, 36)
        out = _DIGITS[rem] + out
        if value == 0:
            return out


class ClOrdIdSource:
    """`next()` gives `<run prefix>-<counter>` in base 36, e.g. `sk3f1a-1`."""

    def __init__(self, state_file: Path) -> None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        last = 0
        if state_file.exists():
            try:
                last = int(state_file.read_text().strip() or "0")
            except ValueError:
                last = 0
        self.run = max(last + 1, int(time.time()))
        tmp = state_file.with_suffix(".tmp")
        tmp.write_text(str(self.run))
        os.replace(tmp, state_file)
        self._prefix = base36(self.run)
        self._count = 0

    def next(self) -> str:
        self._count += 1
        return f"{self._prefix}-{base36(self._count)}"
