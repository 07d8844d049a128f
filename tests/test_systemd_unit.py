"""The systemd unit (systemd/topstep-quant.service): what the bot's shutdown and safety rely on.

`systemd-analyze verify` and `security --offline` run on the unit file itself (a throwaway root
with the host's unit tree and a stub executable); `make e2e` repeats both inside a booted
container, on the unit as Ansible installed it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.config import Settings

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "topstep-quant.service"
EXEC = "opt/topstep-quant/current/bin/topstep-quant"
EXPOSURE_MAX = 2.0


def parse(text: str) -> dict[str, dict[str, list[str]]]:
    """Sections -> key -> every value in order (systemd keys repeat)."""
    out: dict[str, dict[str, list[str]]] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            out.setdefault(section, {})
            continue
        key, _, value = line.partition("=")
        out[section].setdefault(key.strip(), []).append(value.strip())
    return out


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|min)?", value)
    assert match, f"not a plain duration: {value}"
    return float(match.group(1)) * (60 if match.group(2) == "min" else 1)


def one(unit: dict[str, dict[str, list[str]]], section: str, key: str) -> str:
    values = unit[section].get(key)
    assert values, f"[{section}] {key}= missing"
    return values[-1]


def test_supervision_settings() -> None:
    unit = parse(UNIT.read_text())
    svc = "Service"
    assert one(unit, svc, "Type") == "notify"
    assert one(unit, svc, "NotifyAccess") == "main"
    assert one(unit, svc, "Restart") == "on-failure"
    assert one(unit, svc, "KillSignal") == "SIGTERM"
    assert seconds(one(unit, svc, "WatchdogSec")) > 0
    assert int(one(unit, "Unit", "StartLimitBurst")) >= 1
    assert seconds(one(unit, "Unit", "StartLimitIntervalSec")) > 0
    # systemd must not SIGKILL the bot while its own bounded flatten is still running
    budget = Settings.model_fields["shutdown_timeout_s"].default
    assert seconds(one(unit, svc, "TimeoutStopSec")) >= budget + 10
    assert one(unit, svc, "User") not in ("", "root")
    assert any(p.endswith("secrets.env") for p in unit[svc]["EnvironmentFile"])
    assert one(unit, svc, "StateDirectory") == "topstep-quant"
    assert one(unit, svc, "LogsDirectory") == "topstep-quant"
    assert one(unit, svc, "ExecStart").startswith(f"/{EXEC} run")


def test_hardening_settings() -> None:
    svc = parse(UNIT.read_text())["Service"]
    expected = {
        "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
        "PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "",
        "MemoryDenyWriteExecute": "yes", "RestrictNamespaces": "yes", "LockPersonality": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    }  # fmt: skip
    for key, value in expected.items():
        assert svc.get(key, [None])[-1] == value, key
    assert "@system-service" in svc["SystemCallFilter"]


def _analyze_root(tmp: Path, unit_text: str) -> Path:
    root = tmp / "root"
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/systemd/system/topstep-quant.service").write_text(unit_text)
    for units in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")):
        if units.is_dir():
            shutil.copytree(units, root / "usr/lib/systemd/system", symlinks=True)
            break
    stub = root / EXEC
    stub.parent.mkdir(parents=True)
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    return root


def _verify(tmp: Path, unit_text: str) -> str:
    root = _analyze_root(tmp, unit_text)
    proc = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", "topstep-quant.service"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    return f"{proc.stdout}{proc.stderr}".strip() + ("" if proc.returncode == 0 else " (failed)")


needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)


@needs_systemd_analyze
def test_systemd_analyze_verify_is_clean(tmp_path: Path) -> None:
    assert _verify(tmp_path, UNIT.read_text()) == ""


@needs_systemd_analyze
def test_systemd_analyze_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    broken = UNIT.read_text().replace("Type=notify", "Type=notifyy")
    assert "notifyy" in _verify(tmp_path, broken)


@needs_systemd_analyze
def test_systemd_analyze_security_exposure(tmp_path: Path) -> None:
    root = _analyze_root(tmp_path, UNIT.read_text())
    proc = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", f"--root={root}", "--no-pager",
         "topstep-quant.service"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    found = re.search(r"Overall exposure level for topstep-quant\.service: ([0-9.]+)", proc.stdout)
    assert found, proc.stdout[-2000:] + proc.stderr
    assert float(found.group(1)) <= EXPOSURE_MAX
