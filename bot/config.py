"""The whole configuration, from environment variables and an optional `.env`, validated up front.

Every command loads this first, so a bad value stops the program before it touches a market,
with one line naming the variable and what is allowed (see `ConfigError`).
"""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BotMode = Literal["sim", "dry-run", "live"]
AccountProfileName = Literal["xfa-50k", "combine-50k"]

# Topstep requires flat before 15:10 CT; the bot's own cutoff must be strictly earlier.
TOPSTEP_FLAT_BY = time(15, 10)
TOPSTEP_ZONE = "America/Chicago"
_HHMM = re.compile(r"[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?", re.ASCII)
SECRET_FIELDS = frozenset({"topstep_api_pass"})


class ConfigError(Exception):
    """A configuration value is invalid; the message is one line per bad variable."""


class Settings(BaseSettings):
    """Validated settings; field names are the environment variable names, lower-cased."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    topstep_api_user: str = ""
    topstep_api_pass: SecretStr = SecretStr("")
    bot_mode: BotMode = "sim"
    account_profile: AccountProfileName = "xfa-50k"
    daily_loss_limit: Decimal = Field(
        default=Decimal("1000"), gt=0, max_digits=12, decimal_places=2
    )
    trailing_max_drawdown: Decimal = Field(
        default=Decimal("2000"), gt=0, max_digits=12, decimal_places=2
    )
    dll_safety_threshold: Decimal = Field(
        default=Decimal("900"), gt=0, max_digits=12, decimal_places=2
    )
    mll_safety_margin: Decimal = Field(
        default=Decimal("200"), ge=0, max_digits=12, decimal_places=2
    )
    reducing_fraction: Decimal = Field(default=Decimal("0.9"), gt=0, le=1)
    gap_allowance_ticks: int = Field(default=4, ge=0, le=1000)
    winning_day_min: Decimal = Field(default=Decimal("150"), gt=0, max_digits=12, decimal_places=2)
    fee_equity_micro: Decimal = Field(default=Decimal("0.37"), ge=0, max_digits=8, decimal_places=2)
    fee_metal_energy_micro: Decimal = Field(
        default=Decimal("0.62"), ge=0, max_digits=8, decimal_places=2
    )
    bot_timezone: str = "America/Chicago"  # Topstep's clock: nothing else is accepted
    flat_by_cutoff: time = time(15, 0)
    # How Topstep counts micros against lot limits: 1 (a micro is a full lot: Combine, XFA and
    # Live Funded on every platform but TopstepX, so the bot's FIX route) or 10 (TopstepX).
    micros_per_lot: int = 1
    flatten_retry_s: float = Field(default=5.0, gt=0, le=300)  # repeat a flatten request after
    stop_grace_ms: int = Field(default=2000, ge=0, le=60_000)  # a fill's stop must be working by
    mark_jump_pct: Decimal = Field(default=Decimal("2"), gt=0, le=50)  # a bigger jump is suspect
    mark_confirmations: int = Field(default=3, ge=1, le=100)  # marks that confirm a jump
    state_dir: Path = Path("state")
    market_data_dir: Path = Path("../shared/data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # FIX session to the broker (or to the project's exchange simulator in `sim` mode).
    fix_host: str = "127.0.0.1"
    fix_port: int = Field(default=9878, ge=1, le=65535)
    fix_sender_comp_id: str = Field(default="TOPSTEPQ", min_length=1)
    fix_target_comp_id: str = Field(default="SIMEXCH", min_length=1)
    fix_begin_string: Literal["FIX.4.2", "FIX.4.4"] = "FIX.4.4"
    fix_data_dictionary: Path | None = None  # the broker's dictionary; default QuickFIX's own
    fix_heartbeat_s: int = Field(default=30, ge=1, le=3600)
    fix_reconnect_s: int = Field(default=1, ge=1, le=3600)
    fix_reconnect_max_s: int = Field(default=60, ge=1, le=3600)
    fix_logon_timeout_s: int = Field(default=10, ge=1, le=600)
    fix_reset_on_logon: bool = False
    fix_file_log: bool = False  # QuickFIX's file log records the Logon, password included
    fix_account: str = Field(default="SIM", min_length=1)  # Account (tag 1) on every order
    fix_resend_max_age_s: float = Field(default=5.0, gt=0, le=3600)
    # the live process (`topstep-quant run`)
    metrics_port: int = Field(default=8000, ge=0, le=65535)  # 0: no metrics server
    shutdown_timeout_s: float = Field(default=20.0, gt=0, le=600)  # below TimeoutStopSec
    live_confirm: str = ""  # BOT_MODE=live starts only when this names FIX_ACCOUNT
    journal_sync: Literal["normal", "full"] = "normal"  # SQLite synchronous= of the journal

    @field_validator("bot_timezone")
    @classmethod
    def _chicago_only(cls, value: str) -> str:
        if value != TOPSTEP_ZONE:
            raise ValueError(
                f"must be {TOPSTEP_ZONE}: Topstep's trading day, cutoff and 17:00 boundary "
                "are Chicago time"
            )
        return value

    @field_validator("flat_by_cutoff", mode="before")
    @classmethod
    def _local_time_text(cls, value: object) -> object:
        """Only a plain HH:MM[:SS] Chicago time: no zone, no offset, no date."""
        if isinstance(value, str) and not _HHMM.fullmatch(value.strip()):
            raise ValueError("must be an HH:MM Chicago time (no zone or offset) before 15:10")
        return value

    @field_validator("flat_by_cutoff")
    @classmethod
    def _before_topstep_flat_by(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("must be an HH:MM Chicago time (no zone or offset) before 15:10")
        if value >= TOPSTEP_FLAT_BY:
            raise ValueError("must be an HH:MM time before 15:10 (Topstep's flat-by time)")
        return value

    @field_validator("micros_per_lot")
    @classmethod
    def _lot_counting(cls, value: int) -> int:
        if value not in (1, 10):
            raise ValueError(
                "must be 1 (a micro is a full lot: FIX, Rithmic, ...) or 10 (TopstepX)"
            )
        return value

    @field_validator("fix_data_dictionary")
    @classmethod
    def _dictionary_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError("must be the path of a QuickFIX data dictionary XML file")
        return value

    @model_validator(mode="after")
    def _thresholds_inside_limits(self) -> Settings:
        if self.dll_safety_threshold >= self.daily_loss_limit:
            raise ValueError("DLL_SAFETY_THRESHOLD must be below DAILY_LOSS_LIMIT")
        if self.mll_safety_margin >= self.trailing_max_drawdown:
            raise ValueError("MLL_SAFETY_MARGIN must be below TRAILING_MAX_DRAWDOWN")
        return self

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(TOPSTEP_ZONE)


def _describe(error: dict[str, Any]) -> str:
    loc = error.get("loc") or ()
    field = str(loc[0]) if loc else ""
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if not field:
        return f"configuration error: {message}"
    shown = "" if field in SECRET_FIELDS else f"={error.get('input')!s}"
    if isinstance(error.get("input"), dict):
        shown = ""
    return f"configuration error: {field.upper()}{shown}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Load and validate everything; raise `ConfigError` with one line per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [_describe(dict(err)) for err in exc.errors()]
        raise ConfigError("\n".join(lines)) from None
    except OSError as exc:  # e.g. a working directory the service user may not enter
        raise ConfigError(f"cannot read .env in the working directory: {exc}") from None
