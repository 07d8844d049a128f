"""Build hook beside pyproject.toml: compile the book's hot paths with mypyc, or fall back.

The list of modules lives in `bot/_native.py` (read here without importing `bot`).  mypyc
type-checks them with the build environment's mypy (pinned in `[build-system] requires`) and
compiles them to C extensions; `make setup`'s editable install places them beside the sources,
and a wheel (the Dockerfile) carries them.  Where that cannot work (no C compiler, no Python
headers, mypyc missing) the build says why on stderr and installs pure Python, which is the same
code and gives the same books.  ``TOPSTEP_PURE_PYTHON=1`` skips compiling altogether.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


def _native_config() -> tuple[str, list[str], str]:
    """PURE_ENV, COMPILED_MODULES and GROUP from bot/_native.py, by parsing, not importing."""
    found: dict[str, Any] = {}
    target: ast.expr
    for node in ast.parse((HERE / "bot" / "_native.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant | ast.Tuple):
            found[target.id] = ast.literal_eval(value)
    return found["PURE_ENV"], list(found["COMPILED_MODULES"]), found["GROUP"]


def _say(message: str) -> None:
    print(f"topstep-quant build: {message}", file=sys.stderr, flush=True)


class OptionalBuildExt(build_ext):
    """All compiled modules or none: a failed compile removes what was built and carries on."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # any compiler failure: install pure Python instead
            for ext in self.extensions:
                built = Path(self.get_ext_fullpath(ext.name))
                built.unlink(missing_ok=True)
            _say(f"compiling the core failed ({exc}); installing pure Python (same results)")
            return
        # A source edit that leaves the C unchanged recompiles nothing: stamp the extensions so
        # bot._native's staleness check (source newer than the build) sees this build as current.
        for ext in self.extensions:
            for built in (
                Path(self.get_ext_fullpath(ext.name)),
                HERE / self.get_ext_filename(ext.name),
            ):
                if built.exists():
                    os.utime(built)


def _extensions() -> list[Any]:
    pure_env, modules, group = _native_config()
    if os.environ.get(pure_env, "") not in ("", "0"):
        _say(f"{pure_env} is set: pure Python, nothing compiled")
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _say("mypyc is not available: pure Python, nothing compiled")
        return []
    paths = [str(Path(*m.split("."))) + ".py" for m in modules]
    # The build environment has no third-party packages or the project's mypy plugins, so no
    # config file: missing imports are Any here (`make type` checks them strictly).
    options = ["--config-file=", "--ignore-missing-imports", "--no-warn-no-return"]
    try:
        return list(mypycify(options + paths, opt_level="3", group_name=group))
    except (Exception, SystemExit) as exc:  # mypyc reports type errors by exiting
        _say(f"mypyc could not translate the core ({exc!r}); installing pure Python")
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
