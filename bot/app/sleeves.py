"""Reading `sleeves.toml` (the file I/O) and building the configured sleeves."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bot.strategy.base import Sleeve
from bot.strategy.config import SleeveConfigError, SleeveSpec, parse_sleeves, select
from bot.strategy.sleeves import DEFAULT_SLEEVES, PARAM_MODELS, build_sleeve


def load_sleeve_specs(
    path: Path | None, names: list[str] | None, known_symbols: frozenset[str]
) -> list[SleeveSpec]:
    """The sleeves to run: from `path` (or the built-in defaults), narrowed to `names`."""
    source = str(path) if path is not None else "built-in sleeves"
    data: dict[str, Any] = DEFAULT_SLEEVES
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SleeveConfigError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SleeveConfigError(f"{path}: cannot read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SleeveConfigError(f"{path}: not valid TOML: {exc}") from None
    specs = select(parse_sleeves(data, PARAM_MODELS, known_symbols, source), names, source)
    if not specs:
        raise SleeveConfigError(f"{source}: no sleeve is enabled")
    return specs


def build_sleeves(specs: list[SleeveSpec]) -> list[Sleeve]:
    return [build_sleeve(spec) for spec in specs]
