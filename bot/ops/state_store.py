"""Durable risk state: an append-only JSON-lines journal of events and an atomic snapshot.

The snapshot is written to a temporary file, fsynced and renamed over the old one, so a crash
leaves either the old or the new state, never half of one.  Every event is fsynced before the
call returns: a halt that was decided is never forgotten by a restart.

A crash in the middle of an append can leave a torn last line (no newline at its end).  That
append never returned, so nothing acted on it: reading skips it, and the next append first cuts
it off, so every new event starts on a fresh line.  A bad line anywhere else is corruption.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.risk.engine import RiskEvent


class StateCorrupt(Exception):
    """The snapshot exists but cannot be read: the bot must not guess, it halts."""


def _default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class StateStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.snapshot_path = directory / "risk_state.json"
        self.journal_path = directory / "risk_events.jsonl"

    def _ensure_dir(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def save_snapshot(self, snapshot: Mapping[str, Any]) -> None:
        self._ensure_dir()
        tmp = self.snapshot_path.with_suffix(".json.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(snapshot, handle, default=_default, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.snapshot_path)
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def load_snapshot(self) -> dict[str, Any] | None:
        """The last snapshot, None if there is none; `StateCorrupt` if it cannot be trusted."""
        try:
            text = self.snapshot_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StateCorrupt(f"{self.snapshot_path}: {exc}") from None
        if not isinstance(data, dict):
            raise StateCorrupt(f"{self.snapshot_path}: not a JSON object")
        return data

    def append_events(self, events: Iterable[RiskEvent]) -> int:
        lines = [
            json.dumps({"ts": e.ts, "event": e.event, **e.fields}, default=_default) + "\n"
            for e in events
        ]
        if not lines:
            return 0
        self._ensure_dir()
        self.cut_torn_tail()
        with self.journal_path.open("a", encoding="utf-8") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())
        return len(lines)

    def cut_torn_tail(self) -> int:
        """Truncate a torn last line (bytes after the last newline); returns the bytes cut."""
        try:
            with self.journal_path.open("rb+") as handle:
                size = handle.seek(0, os.SEEK_END)
                if size == 0:
                    return 0
                handle.seek(size - 1)
                if handle.read(1) == b"\n":
                    return 0
                keep = size - 1
                block = 4096
                while keep > 0:
                    start = max(0, keep - block)
                    handle.seek(start)
                    newline = handle.read(keep - start).rfind(b"\n")
                    if newline >= 0:
                        keep = start + newline + 1
                        break
                    keep = start
                handle.truncate(keep)
                handle.flush()
                os.fsync(handle.fileno())
                return size - keep
        except FileNotFoundError:
            return 0

    def read_events(self) -> list[dict[str, Any]]:
        """Every journalled event in order; a torn last line is skipped (its append never
        completed); any other unreadable line raises `StateCorrupt` naming it."""
        try:
            data = self.journal_path.read_bytes()
        except FileNotFoundError:
            return []
        complete = data.split(b"\n")[:-1]  # after the last newline: b"" or a torn line
        events = []
        for number, raw in enumerate(complete, start=1):
            if not raw.strip():
                continue
            try:
                event = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise StateCorrupt(f"{self.journal_path}:{number}: {exc}") from None
            if not isinstance(event, dict):
                raise StateCorrupt(f"{self.journal_path}:{number}: not a JSON object")
            events.append(event)
        return events
