"""Where the risk engine's events go: every one is logged; those that change state are
persisted (journal + snapshot) before the caller acts on them.

Decisions are frequent and change nothing durable, so they are logged but not fsynced; a
transition, a fill, a block or a new day is written to disk first, so a restart resumes in the
state the engine was in (a halt is never forgotten).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from bot.ops.logs import log_event
from bot.ops.state_store import StateStore
from bot.risk.engine import RiskEngine, RiskEvent

DURABLE_EVENTS = frozenset(
    {
        "risk.transition",
        "risk.fill",
        "risk.blocked",
        "risk.unblocked",
        "risk.day_started",
        "risk.flatten_request",
        "risk.protect_request",
        "risk.day_resumed",
        "risk.anomaly",
        "risk.clear_refused",
    }
)
_WARNINGS = frozenset(
    {
        "risk.anomaly",
        "risk.blocked",
        "risk.flatten_request",
        "risk.protect_request",
        "risk.clear_refused",
    }
)

logger = logging.getLogger("bot.risk")


def _level(event: RiskEvent) -> int:
    if event.event == "risk.transition" and event.fields.get("to_state") != "ACTIVE":
        return logging.WARNING
    return logging.WARNING if event.event in _WARNINGS else logging.INFO


def publish(engine: RiskEngine, store: StateStore) -> list[RiskEvent]:
    """Drain the engine's events: persist the durable ones, then log them all."""
    events = engine.drain_events()
    durable = [e for e in events if e.event in DURABLE_EVENTS]
    if durable:
        store.append_events(durable)
        store.save_snapshot(engine.snapshot())
    for event in events:
        log_event(logger, event.event, _level(event), event_ts=event.ts.isoformat(), **event.fields)
    return events


def journal_status(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What the journal alone says about the risk state (for when the snapshot is gone): the
    last transition, the last day started, the positions after each symbol's last fill, the
    blocks still in force and whether a final breach was recorded.  Marks and lots are not in
    the journal: the bot rebuilds them from the broker at startup."""
    status: dict[str, Any] = {
        "source": "journal",
        "state": None,
        "state_reason": None,
        "account_failed": False,
        "day": None,
        "positions": {},
        "blocks": {},
        "events": 0,
    }
    for event in events:
        status["events"] += 1
        kind = event.get("event")
        if kind == "risk.transition":
            status["state"], status["state_reason"] = event.get("to_state"), event.get("reason")
            reason = str(event.get("reason", ""))
            if reason.startswith("MLL breached:") or reason == "account failed":
                status["account_failed"] = True
        elif kind in ("risk.day_started", "risk.day_resumed"):
            status["day"] = event.get("day")
        elif kind == "risk.fill":
            status["positions"][str(event.get("symbol"))] = event.get("position")
        elif kind == "risk.blocked":
            status["blocks"][str(event.get("key"))] = event.get("reason")
        elif kind == "risk.unblocked":
            status["blocks"].pop(str(event.get("key")), None)
        elif kind == "risk.clear_refused":
            status["account_failed"] = True
    status["positions"] = {k: v for k, v in status["positions"].items() if v}
    return status
