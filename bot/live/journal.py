"""The live process's journal: one SQLite database (WAL) in `STATE_DIR`, the one source of truth.

Two tables:

- `events`: append-only, one row per thing that happened or is about to (an order as it is
  sent, every state change, fills, risk events, reconciliation reports, the day's figures), with
  the market time, the wall time and a JSON body;
- `state`: the latest value of each named piece of state: the risk engine's snapshot (day
  baseline, realized P&L, fees, halts), the account (balance, floor, winning days, tier), the
  process's status (positions, working orders, P&L, buffers) and the run's identity.

Each write commits before the call returns, except inside a batch (`begin`/`commit`): the live
process opens one around each loop callback that handles events, so the rows written while
deciding (the risk decision, the order about to go out) cost no commit before the send; they
are committed together, in order, in one transaction at the end of that same callback, before
the loop can hand the process anything else (the order's acknowledgement or fill included).
A kill -9 between the send and that commit loses the rows of one callback, never an order's
existence: QuickFIX's file store already holds the sent message, and a restart believes only
the venue (its AF/AN answers), cancelling and flattening whatever it reports.

WAL with `synchronous=NORMAL` survives a killed process (kill -9) without losing a committed row:
the log is in the file before the commit returns; only a power cut may lose the last commits
(`synchronous=FULL` closes that too, at one fsync per commit: `JOURNAL_SYNC=full`).  Readers
(`status`) never block the writer.
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


_APPEND = "INSERT INTO events(market_ns, wall_ns, kind, body) VALUES (?, ?, ?, ?)"
_PUT = (
    "INSERT INTO state(key, wall_ns, body) VALUES (?, ?, ?) "
    "ON CONFLICT(key) DO UPDATE SET wall_ns=excluded.wall_ns, body=excluded.body"
)


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
        self.commits = 0
        self._depth = 0  # open batches; rows wait in `_pending` until the outermost commits
        self._pending: list[tuple[str, tuple[Any, ...], Mapping[str, Any]]] = []
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

    def begin(self) -> None:
        """Open a batch (nestable): writes wait in memory until the outermost `commit`."""
        self._depth += 1

    def commit(self) -> None:
        """Close a batch; the outermost writes every waiting row in one transaction, in order.
        Raises `JournalError` (nothing of the batch is then committed)."""
        self._depth = max(0, self._depth - 1)
        if self._depth or not self._pending:
            return
        pending, self._pending = self._pending, []
        try:
            self._db.execute("BEGIN")
            try:
                for sql, args, body in pending:
                    self._db.execute(sql, (*args, dumps(body)))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            self.failed = str(exc)
            raise JournalError(f"journal {self.path}: {exc}") from None
        self.writes += len(pending)
        self.commits += 1

    def _write(self, sql: str, args: tuple[Any, ...], body: Mapping[str, Any]) -> None:
        if self._depth:  # encoded and written at the batch's commit, off the hot path
            self._pending.append((sql, args, body))
            return
        try:
            self._db.execute(sql, (*args, dumps(body)))
        except sqlite3.Error as exc:
            self.failed = str(exc)
            raise JournalError(f"journal {self.path}: {exc}") from None
        self.writes += 1
        self.commits += 1

    def append(self, kind: str, body: Mapping[str, Any], market_ns: int = 0) -> None:
        """Record one event; committed when this returns (in a batch: at its `commit`; `body`
        must not change meanwhile).  Raises `JournalError`."""
        self._write(_APPEND, (market_ns, time.time_ns(), kind), body)

    def put(self, key: str, body: Mapping[str, Any]) -> None:
        """Replace the named state; committed when this returns (in a batch: at its
        `commit`).  Raises `JournalError`."""
        self._write(_PUT, (key, time.time_ns()), body)

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
