"""Run a dump script in a child process on the compiled core or on pure Python, and read the
JSON it prints: the compiled-vs-pure exactness tests compare two such runs."""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404 - test helper running our own scripts
import sys
from pathlib import Path
from typing import Any

from bot import _native
from tests.conftest import REPO


def run_dump(script: Path, *args: str, pure: bool) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != _native.PURE_ENV}
    if pure:
        env[_native.PURE_ENV] = "1"
    out = subprocess.run(
        [sys.executable, str(script), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result
