"""The risk engine's snapshot, read back strictly: every field checked for type and range.

A snapshot is trusted with the account's halts and positions, so a malformed one is refused
whole with a message naming the field (`SnapshotInvalid`), never half-applied or guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.instruments.specs import Instrument
from bot.risk.positions import Lot

STATES = ("ACTIVE", "REDUCING", "HALTED_DAY", "HALTED")
_MAX_ABS = 10**15  # cents or ticks beyond this are not an account's numbers


class SnapshotInvalid(ValueError):
    """The snapshot does not have the shape or the values the engine writes."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    state: str
    state_reason: str
    account_failed: bool
    started: bool
    day: tuple[date, int, int, int, int, int] | None
    positions: dict[str, tuple[int, list[Lot]]]
    marks: dict[str, int]
    blocks: dict[str, str]


def _int(value: Any, where: str, low: int = -_MAX_ABS, high: int = _MAX_ABS) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SnapshotInvalid(f"{where} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise SnapshotInvalid(f"{where} must be between {low} and {high}, got {value}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise SnapshotInvalid(f"{where} must be true or false, got {value!r}")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise SnapshotInvalid(f"{where} must be text, got {value!r}")
    return value


def _map(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SnapshotInvalid(f"{where} must be an object, got {type(value).__name__}")
    return value


def _field(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise SnapshotInvalid(f"{where}{key} is missing")
    return data[key]


def _day(raw: Any) -> tuple[date, int, int, int, int, int] | None:
    if raw is None:
        return None
    data = _map(raw, "day")
    try:
        day = date.fromisoformat(_str(_field(data, "day", "day."), "day.day"))
    except ValueError:
        raise SnapshotInvalid(f"day.day must be a YYYY-MM-DD date, got {data['day']!r}") from None
    numbers = [
        _int(_field(data, key, "day."), f"day.{key}")
        for key in ("sod_balance_cents", "floor_cents", "max_micros", "realized_cents")
    ]
    fees = _int(_field(data, "fees_cents", "day."), "day.fees_cents", low=0)
    if numbers[2] < 0:
        raise SnapshotInvalid(f"day.max_micros must not be negative, got {numbers[2]}")
    return day, numbers[0], numbers[1], numbers[2], numbers[3], fees


def _lots(raw: Any, where: str) -> list[Lot]:
    if not isinstance(raw, list) or not raw:
        raise SnapshotInvalid(f"{where}.lots must be a non-empty list")
    lots = []
    for i, item in enumerate(raw):
        at = f"{where}.lots[{i}]"
        if not isinstance(item, list) or len(item) != 3:
            raise SnapshotInvalid(f"{at} must be [qty, entry_ticks, stop_ticks]")
        qty = _int(item[0], f"{at} qty", low=1, high=10_000)
        lots.append(Lot(qty, _int(item[1], f"{at} entry"), _int(item[2], f"{at} stop")))
    return lots


def parse_snapshot(data: Any, instruments: Mapping[str, Instrument]) -> Snapshot:
    """Validate a snapshot written by `RiskEngine.snapshot`; raise `SnapshotInvalid`."""
    data = _map(data, "the snapshot")
    state = _str(_field(data, "state", ""), "state")
    if state not in STATES:
        raise SnapshotInvalid(f"state must be one of {', '.join(STATES)}, got {state!r}")
    marks = {}
    for sym, value in _map(data.get("marks", {}), "marks").items():
        if sym not in instruments:
            raise SnapshotInvalid(f"marks: unknown instrument {sym!r}")
        marks[sym] = _int(value, f"marks.{sym}")
    positions = {}
    for sym, raw in _map(data.get("positions", {}), "positions").items():
        where = f"positions.{sym}"
        if sym not in instruments:
            raise SnapshotInvalid(f"{where}: unknown instrument")
        pos = _map(raw, where)
        sign = _int(_field(pos, "sign", f"{where}."), f"{where}.sign")
        if sign not in (1, -1):
            raise SnapshotInvalid(f"{where}.sign must be 1 or -1, got {sign}")
        if sym not in marks:
            raise SnapshotInvalid(f"{where}: an open position needs a mark")
        positions[sym] = (sign, _lots(_field(pos, "lots", f"{where}."), where))
    blocks = {
        _str(k, "blocks key"): _str(v, f"blocks.{k}")
        for k, v in _map(data.get("blocks", {}), "blocks").items()
    }
    day = _day(data.get("day"))
    if positions and day is None:
        raise SnapshotInvalid("open positions without a trading day")
    return Snapshot(
        state=state,
        state_reason=_str(_field(data, "state_reason", ""), "state_reason"),
        account_failed=_bool(_field(data, "account_failed", ""), "account_failed"),
        started=_bool(data.get("started", True), "started"),
        day=day,
        positions=positions,
        marks=marks,
        blocks=blocks,
    )
