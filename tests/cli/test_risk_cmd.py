"""Operators read and clear the persisted risk state through the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def test_status_reads_the_journal_when_the_snapshot_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 8 item 11."""
    store = halted_state(tmp_path, 19_920)
    store.snapshot_path.unlink()
    with store.journal_path.open("a", encoding="utf-8") as handle:
        handle.write('{"event": "risk.tra')  # and a torn tail
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "state"))
    assert main(["risk", "status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["source"] == "journal" and status["state"] == "HALTED"
    assert status["positions"] == {} and status["account_failed"] is False
    assert main(["risk", "clear", "--operator", "alice"]) == 2
    assert "no risk snapshot" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda s: s.update(positions=[1, 2]), "positions must be an object"),
        (lambda s: s.update(marks={}), "needs a mark"),
        (lambda s: s.update(day="2024-06-12"), "day must be an object"),
        (lambda s: s["day"].update(fees_cents=1.5), "fees_cents must be a whole number"),
        (lambda s: s.update(state=None), "state must be text"),
    ],
)
def test_a_malformed_snapshot_is_one_line_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    change: Any,
    words: str,
) -> None:
    """Issue 8 items 13 and 15: wrong shapes, a position without a mark: exit 2, not 1."""
    store = halted_state(tmp_path, 19_920)
    snapshot = store.load_snapshot() or {}
    snapshot["positions"] = {"MES": {"sign": 1, "lots": [[1, 20_000, 19_940]]}}
    change(snapshot)
    store.snapshot_path.write_text(json.dumps(snapshot), encoding="utf-8")
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "state"))
    for argv in (["risk", "status"], ["risk", "clear", "--operator", "alice"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert words in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["", "   ", "a\tb"])
def test_clear_needs_an_operator_name(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
) -> None:
    """Issue 8 item 18."""
    halted_state(tmp_path, 20_000)
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "state"))
    with pytest.raises(SystemExit) as info:
        main(["risk", "clear", "--operator", name])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "must name the person" in err and len(err.strip().splitlines()) == 1


def test_bad_cutoff_setting_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 8 item 12: a zone on FLAT_BY_CUTOFF ended in a traceback."""
    for value in ("15:00Z", "15:00+05:00", "14:00:00-06:00"):
        monkeypatch.setenv("FLAT_BY_CUTOFF", value)
        assert main(["risk", "status"]) == 2
        err = capsys.readouterr().err
        assert "FLAT_BY_CUTOFF" in err and len(err.strip().splitlines()) == 1
