"""The compiled core: which modules mypyc compiles, how to tell, and the switch to pure Python.

`setup.py` compiles `COMPILED_MODULES` with mypyc into extension modules beside their sources
(plus one shared library, ``bot/_core__mypyc*.so``).  Python imports an extension module in
preference to a same-named ``.py``, so the compiled core is used whenever it was built.  The
sources stay the one readable, typed implementation and remain importable as pure Python:

- ``TOPSTEP_PURE_PYTHON=1`` in the environment makes `bot` load these modules from their ``.py``
  files (a meta-path finder placed first), at run time and, in `setup.py`, at build time (nothing
  is compiled).
- A source edited after the build (an editable install, before `make setup` rebuilds) is newer
  than the shared library: the core is then stale, so pure Python is used and a warning says so.

Standard library only: `bot/__init__.py` calls `install()` before any other `bot` import.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from types import ModuleType

PURE_ENV = "TOPSTEP_PURE_PYTHON"
GROUP = "bot._core"  # mypyc group: the shared library is bot/_core__mypyc<ext suffix>
COMPILED_MODULES: tuple[str, ...] = (
    "bot.book.ladder",
    "bot.book.l3",
    "bot.book.l2",
    "bot.book.mbo",
    "bot.book.mbp",
    "bot.book.tape",
    "bot.exchange.orders",
    "bot.exchange.events",
    "bot.exchange.matching",
)
# Not bot.marketdata.records: its time is in databento_dbn's attribute getters, which compiled
# code calls the same way; measured compiled it decoded slower (0.55 vs 0.62 M records/s).
_STALE_AFTER_S = 2.0  # a wheel's files are written in any order, within moments of each other

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_pure_reason = ""


def source_path(module: str) -> str:
    """The ``.py`` file of a compiled module, inside this installation."""
    return os.path.join(_ROOT, *module.split(".")) + ".py"


def _shared_library() -> str | None:
    base = os.path.join(_ROOT, *GROUP.split(".")) + "__mypyc"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if os.path.exists(base + suffix):
            return base + suffix
    return None


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Loads the compiled modules from their ``.py`` sources (the pure-Python path)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in COMPILED_MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, source_path(fullname))


def install() -> None:
    """Choose the path once per process, before any compiled module is imported."""
    global _pure_reason
    if any(isinstance(f, _SourceFinder) for f in sys.meta_path):
        return
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        _pure_reason = f"{PURE_ENV} is set"
    else:
        lib = _shared_library()
        if lib is None:
            return  # nothing compiled: the sources load as usual
        built = os.path.getmtime(lib)
        stale = [m for m in COMPILED_MODULES if _newer(source_path(m), built)]
        if not stale:
            return
        _pure_reason = f"the compiled core is older than {stale[0]}"
        print(
            f"topstep-quant: {_pure_reason}; using pure Python (run `make setup` to rebuild)",
            file=sys.stderr,
        )
    sys.meta_path.insert(0, _SourceFinder())


def _newer(source: str, built: float) -> bool:
    try:
        return os.path.getmtime(source) > built + _STALE_AFTER_S
    except OSError:
        return False


def compiled() -> bool:
    """True when the core in this process (book and matching engine: built all or none) is the
    mypyc-compiled one."""
    import bot.book.l3

    module_file = bot.book.l3.__file__ or ""
    return module_file.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def status() -> str:
    """One line for people: which path this process runs, and why."""
    if compiled():
        return f"compiled core: mypyc, {len(COMPILED_MODULES)} modules"
    if _pure_reason:
        return f"pure Python ({_pure_reason})"
    return "pure Python (no compiled core was built: see the build log for the reason)"
