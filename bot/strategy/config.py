"""Sleeve configuration (`sleeves.toml`): which sleeves run, on what, with what share of the risk.

Validated strictly before anything runs: an unknown key, a wrong type or a value out of range is
a `SleeveConfigError` naming the sleeve and the key.  Each sleeve kind declares its parameters as
a frozen pydantic model; this module knows only the shape around them.

    [sleeves.tf]
    kind = "trend"              # a registered sleeve kind
    symbols = ["MES"]
    [sleeves.tf.allocation]
    risk_share = 0.3            # share of the risk engine's buffer (0..1]
    max_contracts = 2
    max_drawdown = 500.0        # dollars; past it the sleeve is switched off
    [sleeves.tf.params]         # the kind's own parameters
    channel_bars = 20
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SleeveConfigError(ValueError):
    """A sleeves.toml problem, already phrased for the operator (one line)."""


class Allocation(BaseModel):
    """A sleeve's share of the account: risk budget, size and its own loss limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    risk_share: float = Field(0.25, gt=0.0, le=1.0)
    max_contracts: int = Field(2, ge=1, le=50)
    max_drawdown: float = Field(500.0, gt=0.0, le=2000.0)  # dollars

    @property
    def max_drawdown_cents(self) -> int:
        return round(self.max_drawdown * 100)


class _SleeveEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    symbols: tuple[str, ...] = ("MES",)
    enabled: bool = True
    allocation: Allocation = Allocation()
    params: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SleeveSpec:
    """One configured sleeve, its parameters validated by its kind's model."""

    name: str
    kind: str
    symbols: tuple[str, ...]
    allocation: Allocation
    params: BaseModel


def _where(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ())) or "(top)"


def parse_sleeves(
    data: Mapping[str, Any],
    param_models: Mapping[str, type[BaseModel]],
    known_symbols: frozenset[str],
    source: str = "sleeves.toml",
) -> list[SleeveSpec]:
    """Validate the parsed TOML; the enabled sleeves in file order."""
    unknown_top = sorted(set(data) - {"sleeves"})
    if unknown_top:
        raise SleeveConfigError(f"{source}: unknown key {unknown_top[0]!r} (expected [sleeves.*])")
    sleeves = data.get("sleeves", {})
    if not isinstance(sleeves, Mapping) or not sleeves:
        raise SleeveConfigError(f"{source}: no [sleeves.NAME] tables")
    specs: list[SleeveSpec] = []
    total_share = 0.0
    for name, raw in sleeves.items():
        where = f"{source}: [sleeves.{name}]"
        if not isinstance(raw, Mapping):
            raise SleeveConfigError(f"{where} must be a table")
        try:
            entry = _SleeveEntry.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise SleeveConfigError(f"{where} {_where(first)}: {first['msg']}") from None
        model = param_models.get(entry.kind)
        if model is None:
            kinds = ", ".join(sorted(param_models))
            raise SleeveConfigError(f"{where} kind {entry.kind!r} is not one of: {kinds}")
        bad = [s for s in entry.symbols if s not in known_symbols]
        if bad or not entry.symbols:
            raise SleeveConfigError(f"{where} symbols: unknown instrument {bad[:1] or '(none)'}")
        try:
            params = model.model_validate(entry.params)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise SleeveConfigError(f"{where} params.{_where(first)}: {first['msg']}") from None
        if entry.enabled:
            total_share += entry.allocation.risk_share
            specs.append(SleeveSpec(name, entry.kind, entry.symbols, entry.allocation, params))
    if total_share > 1.0 + 1e-9:
        raise SleeveConfigError(
            f"{source}: the enabled sleeves' risk_share adds up to {total_share:.2f} (at most 1)"
        )
    return specs


def select(specs: list[SleeveSpec], names: list[str] | None, source: str) -> list[SleeveSpec]:
    """Keep only the named sleeves (all when `names` is None); an unknown name is an error."""
    if names is None:
        return specs
    by_name = {s.name: s for s in specs}
    for name in names:
        if name not in by_name:
            known = ", ".join(by_name) or "(none)"
            raise SleeveConfigError(f"{source}: unknown sleeve {name!r} (configured: {known})")
    return [by_name[n] for n in names]
