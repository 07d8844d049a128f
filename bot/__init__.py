"""TopstepQuant: an autonomous CME micro-futures trading appliance for a Topstep 50K account."""

from bot import _native

_native.install()  # compiled book core, or pure Python (TOPSTEP_PURE_PYTHON=1); see bot/_native.py

__version__ = "0.1.0"
