"""The live process's journal: one SQLite database (WAL) in `STATE_DIR`, the one source of truth.

Two tables:

- `events`: append-only, one row per thing that happened or is about to (an order before it is
  sent, every state change, fills, risk events, reconciliation reports, the day's figures), with
  the market time, the wall time and a JSON body;
- `state`: the latest value of each named piece of state: the risk engine's snapshot (day
  baseline, realized P&L, fees, halts), the account (balance, floor, winning days, tier), the
  process's status (positions, working orders, P&L, buffers) and the run's identity.

Each write commits before the call returns.  WAL with `synchronous=NORMAL` survives a killed
process (kill -9) without losing a committed row: the log is in the file before the commit
returns; only a power cut may lose the last commits (`synchronous=FULL` closes that too, at one
fsync per commit: `JOURNAL_SYNC=full`).  Readers (`status`) never block the writer.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

JOURNAL_NAME = "journal.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    market_ns INTEGER NOT NULL,
    wall_ns INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_kind ON events(kind);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    wall_ns INTEGER NOT NULL,
    body TEXT NOT NULL
);
"""


class JournalError(Exception):
    """The journal cannot be opened or written: the process must not trade without it."""


def _default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def dumps(body: Mapping[str, Any]) -> str:
    return json.dumps(body, default=_default, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    market_ns: int
    wall_ns: int
    kind: str
    body: dict[str, Any]


class Journal:
    """See the module docstring.  One writer (the live process); any number of readers."""

    def __init__(self, path: Path, *, readonly: bool = False, sync: str = "normal") -> None:
        self.path = path
        self.readonly = readonly
        self.writes = 0
        self.failed: str | None = None
        try:
            if readonly:
                uri = f"file:{path}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, timeout=5, isolation_level=None)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, timeout=5, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(f"PRAGMA synchronous={'FULL' if sync == 'full' else 'NORMAL'}")
                self._db.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(f"journal {path}: {exc}") from None

    @classmethod
    def in_dir(cls, state_dir: Path, **kwargs: Any) -> Journal:
        return cls(state_dir / JOURNAL_NAME, **kwargs)

    def close(self) -> None:
        self._db.close()

    # ---------------------------------------------------------------- writing

    def append(self, kind: str, body: Mapping[str, Any], market_ns: int = 0) -> None:
        """Record one event; committed when this returns.  Raises `JournalError`."""
        try:
            self._db.execute(
                "INSERT INTO events(market_ns, wall_ns, kind, body) VALUES (?, ?, ?, ?)",
                (market_ns, time.time_ns(), kind, dumps(body)),
            )
        except sqlite3.Error as exc:
            self.failed = str(exc)
            raise JournalError(f"journal {self.path}: {exc}") from None
        self.writes += 1

    def put(self, key: str, body: Mapping[str, Any]) -> None:
        """Replace the named state; committed when this returns.  Raises `JournalError`."""
        try:
            self._db.execute(
                "INSERT INTO state(key, wall_ns, body) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET wall_ns=excluded.wall_ns, body=excluded.body",
                (key, time.time_ns(), dumps(body)),
            )
        except sqlite3.Error as exc:
            self.failed = str(exc)
            raise JournalError(f"journal {self.path}: {exc}") from None
        self.writes += 1

    def writable(self) -> bool:
        """Can the journal still commit (the watchdog's check)?"""
        if self.failed is not None or self.readonly:
            return False
        try:
            self._db.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    # ---------------------------------------------------------------- reading

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            row = self._db.execute("SELECT body FROM state WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path}: {exc}") from None
        if row is None:
            return None
        value = json.loads(row[0])
        return value if isinstance(value, dict) else None

    def get_with_time(self, key: str) -> tuple[int, dict[str, Any]] | None:
        row = self._db.execute("SELECT wall_ns, body FROM state WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return int(row[0]), json.loads(row[1])

    def events(self, kind: str | None = None, since_id: int = 0) -> Iterator[EventRow]:
        sql = "SELECT id, market_ns, wall_ns, kind, body FROM events WHERE id > ?"
        args: tuple[Any, ...] = (since_id,)
        if kind is not None:
            sql += " AND kind = ?"
            args = (since_id, kind)
        for row in self._db.execute(sql + " ORDER BY id", args):
            yield EventRow(int(row[0]), int(row[1]), int(row[2]), str(row[3]), json.loads(row[4]))

    def count(self, kind: str) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM events WHERE kind = ?", (kind,)).fetchone()
        return int(row[0]) if row else 0
