"""sd_notify datagrams and the SQLite journal, in process."""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

import pytest

from bot.live.journal import Journal, JournalError
from bot.live.notify import Notifier


def test_notifier_sends_to_notify_socket(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    try:
        n = Notifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "4000000"})
        assert n.enabled and n.watchdog_s == 4.0
        n.ready("trading")
        n.watchdog()
        n.stopping("flattening:\nSIGTERM")
        got = [server.recv(4096).decode() for _ in range(3)]
        assert got == ["READY=1\nSTATUS=trading", "WATCHDOG=1",
                       "STOPPING=1\nSTATUS=flattening: SIGTERM"]  # fmt: skip
    finally:
        server.close()


def test_notifier_outside_systemd_does_nothing() -> None:
    n = Notifier({})
    assert not n.enabled and n.watchdog_s is None
    assert n.notify("READY=1") is False


def test_watchdog_only_for_our_pid() -> None:
    other = Notifier({"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"})
    assert other.watchdog_s is None or os.getpid() == 1


def test_journal_round_trip_and_readonly_reader(tmp_path: Path) -> None:
    j = Journal.in_dir(tmp_path)
    j.append("order.submit", {"order_id": "L-1", "qty": 1}, 5)
    j.put("risk", {"state": "ACTIVE"})
    j.put("risk", {"state": "HALTED_DAY"})
    reader = Journal.in_dir(tmp_path, readonly=True)
    assert reader.get("risk") == {"state": "HALTED_DAY"}
    rows = list(reader.events("order.submit"))
    assert rows[0].body == {"order_id": "L-1", "qty": 1} and rows[0].market_ns == 5
    assert j.writable() and not reader.writable()
    assert j._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reader.close()
    j.close()


def test_a_batch_commits_once_in_order_at_the_outermost_commit(tmp_path: Path) -> None:
    j = Journal.in_dir(tmp_path)
    reader = Journal.in_dir(tmp_path, readonly=True)
    commits = j.commits
    j.begin()
    j.append("risk", {"event": "risk.decision"}, 1)
    j.begin()  # nested (a timer's batch that drains events)
    j.append("order.submit", {"order_id": "L-1"}, 2)
    j.put("risk", {"state": "ACTIVE"})
    j.commit()
    j.append("order.sent", {"order_id": "L-1", "cl_ord_id": "c-1"}, 3)
    assert list(reader.events()) == [] and reader.get("risk") is None  # nothing yet
    j.commit()
    assert [r.kind for r in reader.events()] == ["risk", "order.submit", "order.sent"]
    assert reader.get("risk") == {"state": "ACTIVE"}
    assert j.commits == commits + 1 and j.writes == 4
    j.append("process.exit", {}, 4)  # outside a batch: committed at once again
    assert reader.count("process.exit") == 1
    reader.close()
    j.close()


def test_a_batch_that_cannot_commit_raises_and_marks_the_journal(tmp_path: Path) -> None:
    j = Journal.in_dir(tmp_path)
    j.begin()
    j.append("order.submit", {"order_id": "L-1"}, 1)
    blocker = sqlite3.connect(tmp_path / "journal.sqlite", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the timeout
    j._db.execute("PRAGMA busy_timeout=50")
    with pytest.raises(JournalError):
        j.commit()
    blocker.execute("ROLLBACK")
    blocker.close()
    assert not j.writable()
    j.close()
