"""The durable risk state: atomic snapshots, fsynced journal, corruption refused."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest

from bot.ops.logs import configure_logging, log_event
from bot.ops.state_store import StateCorrupt, StateStore
from bot.risk.engine import RiskEvent


def test_snapshot_round_trip_and_no_temp_file_left(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    assert store.load_snapshot() is None
    store.save_snapshot({"state": "HALTED", "n": 1})
    store.save_snapshot({"state": "ACTIVE", "n": 2})
    assert store.load_snapshot() == {"state": "ACTIVE", "n": 2}
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["risk_state.json"]


def test_corrupt_snapshot_is_refused_not_guessed(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.snapshot_path.write_text('{"state": "HAL')
    with pytest.raises(StateCorrupt, match=r"risk_state\.json"):
        store.load_snapshot()


def test_journal_appends_events_in_order(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    ts = datetime(2024, 6, 12, 15, tzinfo=UTC)
    store.append_events([RiskEvent(ts, "risk.transition", {"to_state": "HALTED"})])
    store.append_events([RiskEvent(ts, "risk.blocked", {"key": "md"})])
    events = store.read_events()
    assert [e["event"] for e in events] == ["risk.transition", "risk.blocked"]
    assert events[0]["ts"] == "2024-06-12T15:00:00+00:00"


def test_log_events_are_json_lines_with_fields() -> None:
    stream = StringIO()
    configure_logging("INFO", stream)
    log_event(logging.getLogger("bot.risk"), "risk.decision", approved=False, reason="size")
    record = json.loads(stream.getvalue().strip())
    assert record["message"] == "risk.decision" and record["approved"] is False
    assert record["reason"] == "size" and record["level"] == "INFO"


def test_publish_persists_transitions_and_logs_every_decision(tmp_path: Path) -> None:
    from bot.ops.risk_journal import publish
    from bot.risk.orders import OrderRequest, OrderType, Side
    from bot.rules.account import AccountState
    from tests.risk.conftest import NOW, make_engine

    stream = StringIO()
    configure_logging("INFO", stream)
    engine = make_engine(AccountState(balance_cents=-170_000, floor_cents=-200_000, max_micros=20))
    order = OrderRequest("a", "MES", Side.BUY, 1, OrderType.MARKET, protective_stop_ticks=19_940)
    assert engine.check(order, NOW).approved
    engine.on_fill("a", 1, 20_000, NOW)
    engine.on_mark("MES", 19_900, NOW)  # equity inside the MLL margin: HALTED
    store = StateStore(tmp_path)
    publish(engine, store)
    logged = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["message"] for r in logged] == [
        "risk.decision",
        "risk.fill",
        "risk.transition",
        "risk.flatten_request",
    ]
    assert logged[2]["level"] == "WARNING" and logged[2]["to_state"] == "HALTED"
    journal = [e["event"] for e in store.read_events()]
    # decisions are logged, not journalled
    assert journal == ["risk.fill", "risk.transition", "risk.flatten_request"]
    assert (store.load_snapshot() or {})["state"] == "HALTED"


def test_a_torn_last_line_is_skipped_and_the_next_append_starts_fresh(tmp_path: Path) -> None:
    """Issue 8 item 11: a crash mid-append leaves a line without its newline."""
    store = StateStore(tmp_path)
    ts = datetime(2024, 6, 12, 15, tzinfo=UTC)
    store.append_events([RiskEvent(ts, "risk.transition", {"to_state": "HALTED"})])
    with store.journal_path.open("a", encoding="utf-8") as handle:
        handle.write('{"ts": "2024-06-12T15:00:01+00:00", "event": "risk.fi')  # torn
    assert [e["event"] for e in store.read_events()] == ["risk.transition"]
    store.append_events([RiskEvent(ts, "risk.blocked", {"key": "md"})])
    assert [e["event"] for e in store.read_events()] == ["risk.transition", "risk.blocked"]
    assert store.journal_path.read_text(encoding="utf-8").count("\n") == 2


def test_a_torn_only_line_and_a_long_torn_tail(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.journal_path.write_text("x" * 10_000, encoding="utf-8")  # longer than one block
    assert store.read_events() == []
    assert store.cut_torn_tail() == 10_000 and store.journal_path.read_bytes() == b""


def test_a_bad_line_inside_the_journal_is_corruption(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.journal_path.write_text('{"event": "a"}\nnot json\n{"event": "b"}\n', encoding="utf-8")
    with pytest.raises(StateCorrupt, match=r"risk_events\.jsonl:2"):
        store.read_events()
