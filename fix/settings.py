"""QuickFIX session settings built from typed configuration (no hand-edited .cfg files).

FIX version and data dictionary are per broker: futures gateways (CQG, TT, T4) speak FIX 4.2, and
a 4.2-style message validated against FIX44.xml is session-rejected before the app sees it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

import quickfix as fix
from pydantic import BaseModel, ConfigDict, Field, SecretStr

BeginString = Literal["FIX.4.2", "FIX.4.4"]


def default_dictionary(begin_string: str) -> Path:
    """The data dictionary installed with the quickfix package (`<prefix>/share/quickfix`)."""
    name = begin_string.replace(".", "") + ".xml"
    return Path(sys.prefix) / "share" / "quickfix" / name


class FixSessionConfig(BaseModel):
    """One FIX session: where to connect, who we are, and how strictly to validate."""

    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=9878, ge=1, le=65535)
    sender_comp_id: str = "TOPSTEPQ"
    target_comp_id: str = "SIMEXCH"
    begin_string: BeginString = "FIX.4.4"
    data_dictionary: Path | None = None
    heartbeat_s: int = Field(default=30, ge=1, le=3600)
    reconnect_s: int = Field(default=1, ge=1, le=3600)  # first retry; doubles up to the cap
    reconnect_max_s: int = Field(default=60, ge=1, le=3600)
    logon_timeout_s: int = Field(default=10, ge=1, le=600)
    logout_timeout_s: int = Field(default=2, ge=1, le=600)
    state_dir: Path = Path("state")
    username: str = ""
    password: SecretStr = SecretStr("")
    reset_on_logon: bool = False
    file_log: bool = False

    @property
    def dictionary(self) -> Path:
        return self.data_dictionary or default_dictionary(self.begin_string)

    @property
    def store_dir(self) -> Path:
        return self.state_dir / "fix" / "store"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "fix" / "log"


def _yn(value: bool) -> str:
    return "Y" if value else "N"


def _common(cfg: FixSessionConfig) -> list[str]:
    return [
        "[DEFAULT]",
        f"FileStorePath={cfg.store_dir}",
        f"FileLogPath={cfg.log_dir}",
        "UseDataDictionary=Y",
        f"DataDictionary={cfg.dictionary}",
        "StartTime=00:00:00",
        "EndTime=00:00:00",
        "NonStopSession=Y",
        "SocketNodelay=Y",
        f"HeartBtInt={cfg.heartbeat_s}",
        f"LogonTimeout={cfg.logon_timeout_s}",
        f"LogoutTimeout={cfg.logout_timeout_s}",
        f"ResetOnLogon={_yn(cfg.reset_on_logon)}",
        "ResetOnLogout=N",
        "ResetOnDisconnect=N",
        "PersistMessages=Y",
        "TimestampPrecision=3",
        "ValidateUserDefinedFields=N",
        "AllowUnknownMsgFields=Y",
        "CheckLatency=N",
    ]


def initiator_settings_text(cfg: FixSessionConfig) -> str:
    """The [DEFAULT] and [SESSION] text for the bot's initiator."""
    lines = [
        *_common(cfg),
        "ConnectionType=initiator",
        "ReconnectInterval=1",  # QuickFIX's retry tick; the gateway gates retries with backoff
        "",
        "[SESSION]",
        f"BeginString={cfg.begin_string}",
        f"SenderCompID={cfg.sender_comp_id}",
        f"TargetCompID={cfg.target_comp_id}",
        f"SocketConnectHost={cfg.host}",
        f"SocketConnectPort={cfg.port}",
    ]
    return "\n".join(lines) + "\n"


def acceptor_settings_text(cfg: FixSessionConfig, extra_begin_strings: tuple[str, ...] = ()) -> str:
    """The acceptor's text: `cfg.sender_comp_id` is the venue; one session per FIX version."""
    lines = [*_common(cfg), "ConnectionType=acceptor", f"SocketAcceptPort={cfg.port}"]
    lines.append(f"SocketAcceptHost={cfg.host}")
    for begin in (cfg.begin_string, *extra_begin_strings):
        dictionary = cfg.dictionary if begin == cfg.begin_string else default_dictionary(begin)
        lines += [
            "",
            "[SESSION]",
            f"BeginString={begin}",
            f"SenderCompID={cfg.sender_comp_id}",
            f"TargetCompID={cfg.target_comp_id}",
            f"DataDictionary={dictionary}",
        ]
    return "\n".join(lines) + "\n"


def session_settings(text: str) -> fix.SessionSettings:
    """QuickFIX SessionSettings filled from text (the `setFromString` extension of 1.16)."""
    settings = fix.SessionSettings()
    settings.setFromString(text)
    return settings


def ensure_dirs(cfg: FixSessionConfig) -> None:
    cfg.store_dir.mkdir(parents=True, exist_ok=True)
    if cfg.file_log:
        cfg.log_dir.mkdir(parents=True, exist_ok=True)


def gateway_config_from_settings(settings: object, **overrides: object) -> FixSessionConfig:
    """The bot's session from the project's Settings: credentials from TOPSTEP_API_USER/PASS,
    state under STATE_DIR, and any `fix_*` fields Settings may carry (FIX_HOST, FIX_PORT, ...).
    """
    values: dict[str, object] = {
        "username": getattr(settings, "topstep_api_user", ""),
        "password": getattr(settings, "topstep_api_pass", SecretStr("")),
        "state_dir": getattr(settings, "state_dir", Path("state")),
    }
    for name in FixSessionConfig.model_fields:
        value = getattr(settings, f"fix_{name}", None)
        if value is not None:
            values[name] = value
    values.update(overrides)
    return FixSessionConfig.model_validate(values)
