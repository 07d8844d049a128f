"""sleeves.toml validation: every mistake is one clear line naming the sleeve and the key."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from bot.instruments.specs import MICROS
from bot.strategy.config import SleeveConfigError, parse_sleeves, select
from bot.strategy.sleeves import DEFAULT_SLEEVES, PARAM_MODELS
from bot.strategy.sleeves.trend import TrendParams

SYMBOLS = frozenset(MICROS)


def parse(text: str) -> Any:
    return parse_sleeves(tomllib.loads(text), PARAM_MODELS, SYMBOLS, "s.toml")


def test_defaults_parse_to_the_four_sleeves() -> None:
    specs = parse_sleeves(DEFAULT_SLEEVES, PARAM_MODELS, SYMBOLS)
    assert [s.name for s in specs] == ["mm", "mr", "tf", "hedge"]
    assert sum(s.allocation.risk_share for s in specs) == pytest.approx(1.0)


def test_params_are_validated_by_the_kind() -> None:
    specs = parse('[sleeves.t]\nkind = "trend"\n[sleeves.t.params]\nchannel_bars = 55\n')
    assert isinstance(specs[0].params, TrendParams) and specs[0].params.channel_bars == 55


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[sleeves.t]\nkind = "trend"\ncolour = 1\n', "[sleeves.t] colour: Extra inputs"),
        ('[sleeves.t]\nkind = "nope"\n', "kind 'nope' is not one of"),
        ('[sleeves.t]\nkind = "trend"\n[sleeves.t.params]\nqty = "x"\n', "params.qty"),
        ('[sleeves.t]\nkind = "trend"\n[sleeves.t.params]\nchannel_bars = 1\n', "params.channel"),
        ('[sleeves.t]\nkind = "trend"\n[sleeves.t.params]\nspeed = 1\n', "params.speed"),
        ('[sleeves.t]\nkind = "trend"\nsymbols = ["ES"]\n', "unknown instrument"),
        ('[sleeves.t]\nkind = "trend"\n[sleeves.t.allocation]\nrisk_share = 1.5\n', "risk_share"),
        (
            '[sleeves.a]\nkind = "trend"\n[sleeves.a.allocation]\nrisk_share = 0.7\n'
            '[sleeves.b]\nkind = "trend"\n[sleeves.b.allocation]\nrisk_share = 0.7\n',
            "adds up to 1.40",
        ),
        ("[other]\nx = 1\n", "unknown key 'other'"),
        ("", "no [sleeves.NAME] tables"),
    ],
)
def test_mistakes_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(SleeveConfigError) as err:
        parse(text)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith("s.toml")


def test_select_keeps_order_and_refuses_unknown_names() -> None:
    specs = parse_sleeves(DEFAULT_SLEEVES, PARAM_MODELS, SYMBOLS)
    assert [s.name for s in select(specs, ["tf", "mr"], "x")] == ["tf", "mr"]
    with pytest.raises(SleeveConfigError, match="unknown sleeve 'zz'"):
        select(specs, ["zz"], "x")
