"""Running out of file descriptors on purpose, in a child process the test starts.

The child imports this module: `limit_descriptors` lowers RLIMIT_NOFILE so that `exhaust` can
take every free descriptor quickly; `release` gives them back.  `start_child` runs such a child
with pipes for its commands and answers and its stderr in a log file.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def limit_descriptors(soft: int) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def exhaust(held: list[int]) -> list[int]:
    """Open /dev/null until the process has no descriptor left; `held` grows in place."""
    try:
        while True:
            held.append(os.open("/dev/null", os.O_RDONLY))
    except OSError:
        return held


def release(held: list[int]) -> None:
    for fd in held:
        os.close(fd)
    held.clear()


def start_child(code: str, log: Path, **values: object) -> subprocess.Popen[str]:
    """Run `code` (formatted with `root` and `values`) in a child Python; text pipes."""
    source = textwrap.dedent(code).format(root=str(ROOT), **values)
    with log.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-c", source], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=err, text=True,
        )  # fmt: skip
