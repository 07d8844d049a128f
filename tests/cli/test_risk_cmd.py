"""Operators read and clear the persisted risk state through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.ops.risk_journal import publish
from bot.ops.state_store import StateStore
from bot.risk.orders import OrderRequest, OrderType, Side
from bot.rules.account import AccountState
from tests.risk.conftest import NOW, make_engine


def halted_state(tmp_path: Path, mark: int) -> StateStore:
    engine = make_engine(AccountState(balance_cents=-170_000, floor_cents=-200_000, max_micros=20))
    order = OrderRequest("a", "MES", Side.BUY, 1, OrderType.MARKET, protective_stop_ticks=19_940)
    assert engine.check(order, NOW).approved
    engine.on_fill("a", 1, 20_000, NOW)
    engine.on_mark("MES", 19_920, NOW)  # inside the MLL margin: HALTED
    engine.check(OrderRequest("x", "MES", Side.SELL, 1, OrderType.MARKET), NOW)
    engine.on_fill("x", 1, mark, NOW)
    store = StateStore(tmp_path / "state")
    publish(engine, store)
    return store


def test_status_prints_the_persisted_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    halted_state(tmp_path, 19_920)
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "state"))
    assert main(["risk", "status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["state"] == "HALTED" and "MLL safety" in status["state_reason"]


def test_clear_is_journalled_and_refused_after_a_breach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = halted_state(tmp_path, 20_000)  # halted, then flattened at break-even
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "state"))
    assert (store.load_snapshot() or {})["state"] == "HALTED"  # sticky though P&L recovered
    assert main(["risk", "clear", "--operator", "alice"]) == 0
    assert (store.load_snapshot() or {})["state"] == "ACTIVE"
    transitions = [e for e in store.read_events() if e["event"] == "risk.transition"]
    assert transitions[-1]["reason"] == "cleared by operator alice"
    still_inside = halted_state(tmp_path / "c", 19_920)  # flattened inside the margin
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "c" / "state"))
    assert main(["risk", "clear", "--operator", "carol"]) == 0
    assert (still_inside.load_snapshot() or {})["state"] == "HALTED"  # re-halts at once
    breached = halted_state(tmp_path / "b", 19_700)  # equity below the floor: account failed
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "b" / "state"))
    assert main(["risk", "clear", "--operator", "bob"]) == 1
    assert "account has failed" in capsys.readouterr().err
    assert (breached.load_snapshot() or {})["state"] == "HALTED"


def test_missing_or_corrupt_state_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "none"))
    assert main(["risk", "status"]) == 2
    assert "no risk state" in capsys.readouterr().err
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "risk_state.json").write_text("{not json")
    assert main(["risk", "status"]) == 2
    assert "refusing to guess" in capsys.readouterr().err
