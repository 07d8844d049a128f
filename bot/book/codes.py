"""Integer codes for market-data records, so the replay loop compares small ints, not strings.

Action letters and flag bits follow Databento's MBO schema (which mirrors CME MDP 3.0).
"""

from __future__ import annotations

from typing import Final

# Actions
NONE: Final = 0
ADD: Final = 1
CANCEL: Final = 2
MODIFY: Final = 3
CLEAR: Final = 4
TRADE: Final = 5
FILL: Final = 6

ACTION_CODES: Final[dict[str, int]] = {
    "N": NONE,
    "A": ADD,
    "C": CANCEL,
    "M": MODIFY,
    "R": CLEAR,
    "T": TRADE,
    "F": FILL,
}

# Sides (BID/ASK equal `Side.BID`/`Side.ASK`; NO_SIDE is for trades without an aggressor)
BID: Final = 0
ASK: Final = 1
NO_SIDE: Final = 2

SIDE_CODES: Final[dict[str, int]] = {"B": BID, "A": ASK, "N": NO_SIDE}

# Record flags (bit values of Databento's `flags` byte)
F_LAST: Final = 1 << 7  # last record of an event: the book is consistent after it
F_TOB: Final = 1 << 6
F_SNAPSHOT: Final = 1 << 5  # part of a snapshot (replayed state), not a live event
F_MBP: Final = 1 << 4
F_BAD_TS_RECV: Final = 1 << 3
F_MAYBE_BAD_BOOK: Final = 1 << 2  # the venue flagged a possible book inconsistency
