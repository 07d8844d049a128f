"""Configuration: defaults, validation messages, secrets never shown."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_are_the_topstep_50k_numbers() -> None:
    s = load_settings()
    assert s.daily_loss_limit == Decimal(1000) and s.trailing_max_drawdown == Decimal(2000)
    assert s.dll_safety_threshold == Decimal(900)
    assert s.bot_mode == "sim" and s.bot_timezone == "America/Chicago"
    assert s.flat_by_cutoff < time(15, 10)


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BOT_MODE=dry-run\nTRAILING_MAX_DRAWDOWN=2500\n")
    monkeypatch.setenv("DAILY_LOSS_LIMIT", "1200.50")
    s = load_settings()
    assert s.bot_mode == "dry-run"
    assert s.trailing_max_drawdown == Decimal(2500)
    assert s.daily_loss_limit == Decimal("1200.50")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("BOT_MODE", "yolo", "'sim', 'dry-run' or 'live'"),
        ("DAILY_LOSS_LIMIT", "-5", "greater than 0"),
        ("TRAILING_MAX_DRAWDOWN", "abc", "valid decimal"),
        ("BOT_TIMEZONE", "Mars/Olympus", "must be America/Chicago"),
        ("BOT_TIMEZONE", "America/New_York", "must be America/Chicago"),
        ("FLAT_BY_CUTOFF", "15:00Z", "no zone or offset"),
        ("FLAT_BY_CUTOFF", "15:00+05:00", "no zone or offset"),
        ("MICROS_PER_LOT", "5", "or 10 (TopstepX)"),
        ("FLAT_BY_CUTOFF", "15:30", "before 15:10"),
        ("GAP_ALLOWANCE_TICKS", "x", "valid integer"),
        ("DLL_SAFETY_THRESHOLD", "1000", "below DAILY_LOSS_LIMIT"),
    ],
)
def test_bad_values_name_the_variable_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert len(message.splitlines()) == 1
    assert expected in message
    if name != "DLL_SAFETY_THRESHOLD":  # cross-field rule names both variables in its text
        assert message.startswith(f"configuration error: {name}=")


def test_password_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOPSTEP_API_PASS", "s3cret-value")
    s = load_settings()
    assert s.topstep_api_pass.get_secret_value() == "s3cret-value"
    assert "s3cret-value" not in repr(s) and "s3cret-value" not in str(s.model_dump())


def test_fix_settings_reach_the_gateway(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from fix.gateway import gateway_from_settings

    dictionary = tmp_path / "BROKER42.xml"
    dictionary.write_text("<fix/>")
    monkeypatch.setenv("FIX_HOST", "10.1.2.3")
    monkeypatch.setenv("FIX_PORT", "9999")
    monkeypatch.setenv("FIX_BEGIN_STRING", "FIX.4.2")
    monkeypatch.setenv("FIX_DATA_DICTIONARY", str(dictionary))
    monkeypatch.setenv("FIX_ACCOUNT", "XFA-1")
    monkeypatch.setenv("TOPSTEP_API_USER", "trader")
    monkeypatch.setenv("TOPSTEP_API_PASS", "pw")
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "st"))
    gateway = gateway_from_settings(load_settings())
    cfg = gateway.cfg
    assert (cfg.host, cfg.port, cfg.begin_string) == ("10.1.2.3", 9999, "FIX.4.2")
    assert cfg.dictionary == dictionary and cfg.username == "trader"
    assert cfg.password.get_secret_value() == "pw"
    assert cfg.store_dir == tmp_path / "st" / "fix" / "store"
    assert gateway.account == "XFA-1" and gateway.fix42
    assert gateway.tick_sizes["MCL"] == Decimal("0.01")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("FIX_PORT", "70000", "less than or equal to 65535"),
        ("FIX_BEGIN_STRING", "FIX.5.0", "'FIX.4.2' or 'FIX.4.4'"),
        ("FIX_DATA_DICTIONARY", "/nonexistent.xml", "data dictionary XML file"),
    ],
)
def test_bad_fix_settings(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=expected):
        load_settings()


def test_an_unreadable_dotenv_is_a_one_line_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # as root no directory is out of reach, so the refusal the OS gives a service user that may
    # not enter its working directory is raised where pydantic-settings looks for `.env`
    def refused(self: Path) -> bool:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Path, "is_file", refused)
    with pytest.raises(ConfigError, match=r"cannot read \.env in the working directory"):
        load_settings()
