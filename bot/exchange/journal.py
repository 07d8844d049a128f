"""The simulator's books on disk: an append-only journal of JSON lines, kill -9 safe.

Every state change of a FIX owner's order (its whole state, one line), every position, fill,
used ClOrdID and the OrderID counter is appended before the reports about it are sent, each
batch with a single `write()` on an O_APPEND descriptor: a killed process leaves either the whole
batch or none of it (a torn last line, which only a crash of the machine itself could leave, is
ignored on load).  On start the journal is read (last line per key wins) and rewritten compacted
through an atomically replaced file.  It survives a process kill, not a power loss: no fsync.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.ops.logs import log_event

log = logging.getLogger("bot.exchange.journal")

Record = dict[str, Any]


def record_key(record: Record) -> tuple[Any, ...]:
    """Records with the same key replace each other; fills and ClOrdIDs accumulate."""
    kind = record.get("k")
    if kind == "order":
        return (kind, record["order_id"])
    if kind == "pos":
        return (kind, record["account"], record["symbol"], record["maturity"])
    if kind == "last":
        return (kind, record["symbol"], record["maturity"])
    if kind == "ids":
        return (kind,)
    if kind == "fill":
        return (kind, record["exec_id"])
    return (kind, record.get("owner"), record.get("cl_ord_id"))


class VenueJournal:
    """`load()` once, then `append()` batches; `path` is the journal file."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "journal.jsonl"
        self._fd: int | None = None
        self.records_written = 0

    def load(self) -> list[Record]:
        """Every record in the journal, compacted (last per key), in first-seen order; the file
        is rewritten compacted so it does not grow across restarts."""
        latest: dict[tuple[Any, ...], Record] = {}
        if self.path.exists():
            lines = self.path.read_bytes().split(b"\n")
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    log_event(log, "venue_journal_bad_line", logging.WARNING, line=number,
                              last=number >= len(lines) - 1)  # fmt: skip
                    continue
                latest[record_key(record)] = record
        records = list(latest.values())
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(_encode(records))
        os.replace(tmp, self.path)
        return records

    def append(self, records: Iterable[Record]) -> None:
        data = _encode(records)
        if not data:
            return
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        view = memoryview(data)
        while view:  # a regular file takes it in one write; loop only for safety
            written = os.write(self._fd, view)
            view = view[written:]
        self.records_written += data.count(b"\n")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _encode(records: Iterable[Record]) -> bytes:
    return b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in records)
